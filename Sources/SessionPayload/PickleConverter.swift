/// The second half of reading a pickle: the boxes the stack machine built, turned into one
/// ``PayloadValue`` tree (cycles marked, every copy counted against the value limit).
extension Pickle {
    // MARK: From boxes to values

    struct Converter {
        var budget: Budget
        var open = Set<ObjectIdentifier>()

        mutating func convert(_ box: Box, at offset: Int) throws(PayloadError) -> PayloadValue {
            try budget.spend(at: offset)
            let id = ObjectIdentifier(box)
            guard !open.contains(id) else { return .cycle }
            try budget.enter(at: offset)
            open.insert(id)
            defer {
                open.remove(id)
                budget.leave()
            }
            switch box.kind {
            case .value(let v): return v
            case .list(let items), .tuple(let items), .set(let items):
                return .list(try items.map { b throws(PayloadError) in try convert(b, at: offset) })
            case .dict(let pairs): return .map(try entries(pairs, offset))
            case .global(let name): return .opaque("class", Array(name.utf8))
            case .object(let name, let args, let state, let items, let pairs):
                var fields: [PayloadEntry] = []
                if let args, case .tuple(let t) = args.kind, t.isEmpty {
                } else if let args {
                    fields.append(PayloadEntry(.string(Array("args".utf8)), try convert(args, at: offset)))
                }
                if let state {
                    let s = try convert(state, at: offset)
                    if case .map(let e) = s { fields += e } else { fields.append(PayloadEntry(.string(Array("state".utf8)), s)) }
                }
                if !items.isEmpty {
                    fields.append(
                        PayloadEntry(.string(Array("items".utf8)), .list(try items.map { b throws(PayloadError) in try convert(b, at: offset) })))
                }
                if !pairs.isEmpty { fields.append(PayloadEntry(.string(Array("items".utf8)), .map(try entries(pairs, offset)))) }
                return .object(name, fields)
            }
        }

        mutating func entries(_ pairs: [(Box, Box)], _ offset: Int) throws(PayloadError) -> [PayloadEntry] {
            var out: [PayloadEntry] = []
            for (k, v) in pairs { out.append(PayloadEntry(try convert(k, at: offset), try convert(v, at: offset))) }
            return out
        }
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
public func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}
