/// SipHash-2-4 (Aumasson & Bernstein, 2012), 64-bit output, in pure Swift.
///
/// Used with fixed, public keys as a deterministic, well-distributed hash for the
/// Bloom filters (which are stored encrypted, so the hash need not be secret).
/// Unlike `Hasher`, it gives the same value in every process and on every platform.
public struct SipHash24: Sendable {
    private let k0: UInt64
    private let k1: UInt64

    /// `key` must hold 16 bytes; shorter keys are zero-padded, longer ones truncated.
    public init(key: [UInt8]) {
        var k: [UInt8] = Array(key.prefix(16))
        while k.count < 16 { k.append(0) }
        k0 = SipHash24.readLE(k, 0)
        k1 = SipHash24.readLE(k, 8)
    }

    public func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBufferPointer { hash($0) }
    }

    public func hash(_ string: String) -> UInt64 {
        if let h = string.utf8.withContiguousStorageIfAvailable({ hash($0) }) { return h }
        return hash(Array(string.utf8))
    }

    public func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var v0: UInt64 = k0 ^ 0x736f_6d65_7073_6575
        var v1: UInt64 = k1 ^ 0x646f_7261_6e64_6f6d
        var v2: UInt64 = k0 ^ 0x6c79_6765_6e65_7261
        var v3: UInt64 = k1 ^ 0x7465_6462_7974_6573

        @inline(__always) func round() {
            v0 = v0 &+ v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
            v2 = v2 &+ v3; v3 = rotl(v3, 16); v3 ^= v2
            v0 = v0 &+ v3; v3 = rotl(v3, 21); v3 ^= v0
            v2 = v2 &+ v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
        }

        let count = bytes.count
        let fullBlocks = count / 8
        for block in 0..<fullBlocks {
            var m: UInt64 = 0
            for j in 0..<8 { m |= UInt64(bytes[block * 8 + j]) << (8 * UInt64(j)) }
            v3 ^= m
            round(); round()
            v0 ^= m
        }
        var last = UInt64(truncatingIfNeeded: count) << 56
        for j in 0..<(count % 8) { last |= UInt64(bytes[fullBlocks * 8 + j]) << (8 * UInt64(j)) }
        v3 ^= last
        round(); round()
        v0 ^= last
        v2 ^= 0xff
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }

    @inline(__always) private func rotl(_ x: UInt64, _ b: UInt64) -> UInt64 { (x << b) | (x >> (64 - b)) }

    private static func readLE(_ b: [UInt8], _ at: Int) -> UInt64 {
        var v: UInt64 = 0
        for j in 0..<8 { v |= UInt64(b[at + j]) << (8 * UInt64(j)) }
        return v
    }
}
