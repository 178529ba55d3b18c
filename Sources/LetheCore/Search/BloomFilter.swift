import Foundation

/// A classic Bloom filter over search terms (their UTF-8 bytes). It answers
/// "certainly absent" or "maybe present": false positives at about the rate it
/// was sized for, never false negatives.
///
/// Hashing (format version 1): `h1 = SipHash-2-4(key "lethe-bloom-v1-a", term)`,
/// `h2 = SipHash-2-4(key "lethe-bloom-v1-b", term) | 1`; probe `i` (0 ≤ i < k) sets
/// bit `(h1 + i·h2) mod m` (wrapping 64-bit arithmetic). Deterministic across runs
/// and platforms.
///
/// Serialized form (little-endian):
/// ```
/// offset 0  u8   version (1)
///        1  u8   k, hash count (1...32)
///        2  u16  reserved, 0
///        4  u32  m, bit count (a positive multiple of 64)
///        8  m/8 bytes: the bits, as u64 words, bit j of the filter = bit j%64 of word j/64
/// ```
public struct BloomFilter: Sendable, Equatable {
    public static let formatVersion: UInt8 = 1
    public static let headerSize = 8
    /// Largest accepted bit count (512 MiB of bits).
    public static let maxBitCount = 1 << 32 - 64

    /// m, a multiple of 64.
    public let bitCount: Int
    /// k.
    public let hashCount: Int
    private var words: [UInt64]

    private static let hashA = SipHash24(key: Array("lethe-bloom-v1-a".utf8))
    private static let hashB = SipHash24(key: Array("lethe-bloom-v1-b".utf8))

    /// A filter sized for `expectedCount` terms at `falsePositiveRate`:
    /// `m = ⌈-n·ln p / (ln 2)²⌉` rounded up to 64, `k = round(-log₂ p)` (the optimum
    /// for the unrounded m; the extra bits only lower the rate).
    public init(expectedCount: Int, falsePositiveRate: Double = 0.01) {
        let n = Double(max(1, expectedCount))
        let p = min(max(falsePositiveRate, 1e-9), 0.5)
        let ln2 = log(2.0)
        let rawBits = (-n * log(p) / (ln2 * ln2)).rounded(.up)
        let bits = min(BloomFilter.maxBitCount, max(64, (Int(rawBits) + 63) / 64 * 64))
        let k = Int((-log(p) / ln2).rounded())
        self.init(bitCount: bits, hashCount: min(32, max(1, k)))
    }

    /// An empty filter with explicit parameters (`bitCount` rounded up to 64).
    public init(bitCount: Int, hashCount: Int) {
        let bits = min(BloomFilter.maxBitCount, max(64, (bitCount + 63) / 64 * 64))
        self.bitCount = bits
        self.hashCount = min(32, max(1, hashCount))
        self.words = Array(repeating: 0, count: bits / 64)
    }

    public mutating func insert(_ term: String) {
        let (h1, h2) = BloomFilter.hashes(term)
        insert(TermHash(h1: h1, h2: h2))
    }

    /// The two hashes of a term, computed once (for sets of terms built on a hot path).
    public struct TermHash: Hashable, Sendable {
        public var h1: UInt64
        public var h2: UInt64
    }

    public static func termHash(_ term: String) -> TermHash {
        let (h1, h2) = hashes(term)
        return TermHash(h1: h1, h2: h2)
    }

    /// The hash of a term given as UTF-8 bytes; equal to `termHash` of the same string.
    public static func termHash(utf8 bytes: UnsafeBufferPointer<UInt8>) -> TermHash {
        TermHash(h1: hashA.hash(bytes), h2: hashB.hash(bytes) | 1)
    }

    public mutating func insert(_ h: TermHash) {
        let (h1, h2) = (h.h1, h.h2)
        let m = UInt64(bitCount)
        for i in 0..<UInt64(hashCount) {
            let bit = Int((h1 &+ i &* h2) % m)
            words[bit >> 6] |= 1 << UInt64(bit & 63)
        }
    }

    public mutating func insert<S: Sequence>(contentsOf terms: S) where S.Element == String {
        for term in terms { insert(term) }
    }

    /// False: `term` was certainly never inserted. True: it may have been.
    public func mayContain(_ term: String) -> Bool {
        let (h1, h2) = BloomFilter.hashes(term)
        let m = UInt64(bitCount)
        for i in 0..<UInt64(hashCount) {
            let bit = Int((h1 &+ i &* h2) % m)
            if words[bit >> 6] & (1 << UInt64(bit & 63)) == 0 { return false }
        }
        return true
    }

    /// Whether every group of `SearchQuery.requiredIndexTerms` has a term that may
    /// be present: false means no message behind this filter can match.
    public func mayMatch(_ groups: [[String]]) -> Bool {
        groups.allSatisfy { group in group.contains { mayContain($0) } }
    }

    /// The filter of the union of both sets. Both must have the same size and k.
    public func union(_ other: BloomFilter) throws -> BloomFilter {
        var copy = self
        try copy.formUnion(other)
        return copy
    }

    public mutating func formUnion(_ other: BloomFilter) throws {
        guard other.bitCount == bitCount, other.hashCount == hashCount else {
            throw LetheError(.failure,
                             "bloom filter: cannot unite a filter of \(other.bitCount) bits and k=\(other.hashCount) with one of \(bitCount) bits and k=\(hashCount)")
        }
        for i in words.indices { words[i] |= other.words[i] }
    }

    /// Fraction of bits set (about `1 - e^(-k·n/m)`); the false-positive rate is about its k-th power.
    public var fillRatio: Double {
        Double(words.reduce(0) { $0 + $1.nonzeroBitCount }) / Double(bitCount)
    }

    // MARK: - Serialization

    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(BloomFilter.headerSize + bitCount / 8)
        out.append(BloomFilter.formatVersion)
        out.append(UInt8(hashCount))
        out.append(0)
        out.append(0)
        let m = UInt32(bitCount)
        for j in 0..<4 { out.append(UInt8(truncatingIfNeeded: m >> (8 * UInt32(j)))) }
        for word in words {
            for j in 0..<8 { out.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(j)))) }
        }
        return out
    }

    /// Reads `serialized()` output, refusing unknown versions and malformed data.
    public init(serialized bytes: [UInt8]) throws {
        func bad(_ reason: String) -> LetheError { LetheError(.integrity, "bloom filter: \(reason)") }
        guard bytes.count >= BloomFilter.headerSize else { throw bad("\(bytes.count) bytes, shorter than its header") }
        guard bytes[0] == BloomFilter.formatVersion else { throw bad("unknown version \(bytes[0])") }
        let k = Int(bytes[1])
        guard (1...32).contains(k) else { throw bad("hash count \(k) out of range 1...32") }
        guard bytes[2] == 0, bytes[3] == 0 else { throw bad("reserved header bytes are not zero") }
        var m = 0
        for j in 0..<4 { m |= Int(bytes[4 + j]) << (8 * j) }
        guard m > 0, m % 64 == 0, m <= BloomFilter.maxBitCount else { throw bad("bit count \(m) is not a positive multiple of 64") }
        guard bytes.count == BloomFilter.headerSize + m / 8 else {
            throw bad("\(bytes.count) bytes where \(BloomFilter.headerSize + m / 8) were expected for \(m) bits")
        }
        var words = [UInt64](repeating: 0, count: m / 64)
        for w in 0..<words.count {
            var v: UInt64 = 0
            let base = BloomFilter.headerSize + w * 8
            for j in 0..<8 { v |= UInt64(bytes[base + j]) << (8 * UInt64(j)) }
            words[w] = v
        }
        self.bitCount = m
        self.hashCount = k
        self.words = words
    }

    static func hashes(_ term: String) -> (UInt64, UInt64) {
        (hashA.hash(term), hashB.hash(term) | 1)
    }
}
