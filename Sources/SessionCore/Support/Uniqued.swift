import SessionBasics

/// `items` without repeats, first occurrence kept.
package func uniqued(_ items: [Bytes]) -> [Bytes] {
    var seen = Set<Bytes>()
    return items.filter { seen.insert($0).inserted }
}
