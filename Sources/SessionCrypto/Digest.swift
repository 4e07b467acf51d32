import COpenSSL

/// Message digests for audit records and cookie transforms, from OpenSSL's EVP interface.
///
/// This target is the only home of COpenSSL outside the transport: the domain and the CLI
/// ask it, and never call OpenSSL themselves.
public enum Digest {
    /// SHA-256 fetched from OpenSSL's provider once: `EVP_sha256()` makes every digest fetch it
    /// again (a lock and a lookup, more than the hashing of a short id).
    nonisolated(unsafe) static let sha256Method: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    /// The SHA-256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { raw in
            EVP_Digest(raw.baseAddress, raw.count, &digest, &length, sha256Method ?? EVP_sha256(), nil)
        }
        // EVP_Digest fails only when OpenSSL cannot allocate; there is nothing to return then.
        precondition(ok == 1 && length == 32, "SHA-256 failed in OpenSSL")
        return Array(digest.prefix(Int(length)))
    }

    /// The SHA-256 of `bytes` in lower-case hex.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        hex(sha256(bytes))
    }

    /// `bytes` in lower-case hex.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// SHA-256 digests of many short inputs written as hex straight into a buffer, through one
/// OpenSSL context reused for each (the audit trail's two digests per session: a context and
/// three arrays a digest cost more than the hashing).
public final class SHA256HexWriter {
    private let context: OpaquePointer

    /// A writer with a context of its own.
    public init() {
        // EVP_MD_CTX_new fails only when OpenSSL cannot allocate.
        guard let c = EVP_MD_CTX_new() else { preconditionFailure("SHA-256 failed in OpenSSL") }
        context = c
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Appends the SHA-256 of `bytes`, 64 lower-case hex digits, to `out`.
    public func append(digestOf bytes: [UInt8], to out: inout [UInt8]) {
        // The digest and its hex on the stack: 96 bytes, no array made.
        var buffer: (SIMD32<UInt8>, SIMD64<UInt8>) = (.zero, .zero)
        withUnsafeMutableBytes(of: &buffer) { raw in
            let digest = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let hex = raw.baseAddress!.advanced(by: MemoryLayout<SIMD32<UInt8>>.stride).assumingMemoryBound(to: UInt8.self)
            var length: UInt32 = 0
            let ok = bytes.withUnsafeBytes { input in
                EVP_DigestInit_ex2(context, Digest.sha256Method ?? EVP_sha256(), nil) == 1
                    && EVP_DigestUpdate(context, input.baseAddress, input.count) == 1
                    && EVP_DigestFinal_ex(context, digest, &length) == 1
            }
            precondition(ok && length == 32, "SHA-256 failed in OpenSSL")
            for i in 0..<32 {
                let b = digest[i]
                let high = b >> 4
                let low = b & 0xF
                hex[2 * i] = high < 10 ? 0x30 + high : 0x57 + high
                hex[2 * i + 1] = low < 10 ? 0x30 + low : 0x57 + low
            }
            out.append(contentsOf: UnsafeBufferPointer(start: hex, count: 64))
        }
    }
}

/// SHA-256 over bytes given a piece at a time (a snapshot's lines as they are written or read):
/// the one owner of its OpenSSL digest context.
public final class SHA256Hasher {
    private let context: OpaquePointer

    /// A hasher that has seen nothing.
    public init() {
        // EVP_MD_CTX_new fails only when OpenSSL cannot allocate.
        guard let c = EVP_MD_CTX_new(), EVP_DigestInit_ex(c, EVP_sha256(), nil) == 1 else { preconditionFailure("SHA-256 failed in OpenSSL") }
        context = c
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Adds `bytes`.
    public func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let ok =
            bytes.withContiguousStorageIfAvailable { EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
            ?? Array(bytes).withUnsafeBytes {
                EVP_DigestUpdate(context, $0.baseAddress, $0.count)
            }
        precondition(ok == 1, "SHA-256 failed in OpenSSL")
    }

    /// The digest of everything added so far; the hasher goes on (a copy of its context is finished).
    public func current() -> [UInt8] {
        guard let copy = EVP_MD_CTX_new() else { preconditionFailure("SHA-256 failed in OpenSSL") }
        defer { EVP_MD_CTX_free(copy) }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        precondition(
            EVP_MD_CTX_copy_ex(copy, context) == 1 && EVP_DigestFinal_ex(copy, &digest, &length) == 1 && length == 32, "SHA-256 failed in OpenSSL")
        return Array(digest.prefix(Int(length)))
    }

    /// The digest of everything added; the hasher is not to be used after.
    public func finish() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        precondition(EVP_DigestFinal_ex(context, &digest, &length) == 1 && length == 32, "SHA-256 failed in OpenSSL")
        return Array(digest.prefix(Int(length)))
    }
}
