/// Raw bytes: keys, values, ids and payloads are binary in every store and stay binary here.
public typealias Bytes = [UInt8]

extension Array where Element == UInt8 {
    /// ASCII/UTF-8 bytes of a literal, for building commands.
    package init(_ s: StaticString) {
        self = s.withUTF8Buffer { Array($0) }
    }
}
