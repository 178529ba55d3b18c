import LetheTestSupport
import Testing
@testable import LetheCore

@Suite struct SearchBloomFilterTests {
    @Test func sipHashMatchesTheReferenceVectors() {
        // Key 00 01 … 0f, message 00 01 … (len-1): vectors from the SipHash paper's reference code.
        let sip = SipHash24(key: Array(0..<16))
        #expect(sip.hash([]) == 0x726f_db47_dd0e_0e31)
        #expect(sip.hash([0]) == 0x74f8_39c5_93dc_67fd)
        #expect(sip.hash(Array(0..<7)) == 0xab02_00f5_8b01_d137)
        #expect(sip.hash(Array(0..<8)) == 0x93f5_f579_9a93_2462)
        #expect(sip.hash(Array(0..<15)) == 0xa129_ca61_49be_45e5)
        #expect(sip.hash("abc") == sip.hash(Array("abc".utf8)))
    }

    @Test func hashingIsPinned() {
        // Filters are stored: if these ever change, old filters give false negatives.
        let (a, b) = BloomFilter.hashes("budget")
        let (c, d) = BloomFilter.hashes("東")
        let pinned: [UInt64] = [a, b, c, d]
        #expect(pinned == PinnedHashes.values, "new values: \(pinned.map { "0x" + String($0, radix: 16) })")
    }

    @Test func sizing() {
        let f = BloomFilter(expectedCount: 1_000)
        #expect(f.bitCount == 9_600)  // ⌈9585.06⌉ rounded up to 64
        #expect(f.hashCount == 7)
        #expect(BloomFilter(expectedCount: 0).bitCount == 64)
        #expect(BloomFilter(expectedCount: 10, falsePositiveRate: 0.001).hashCount == 10)
    }

    @Test func noFalseNegativesAndMeasuredRateNearTarget() {
        var rng = SplitMix64(seed: 42)
        let n = 100_000
        var filter = BloomFilter(expectedCount: n, falsePositiveRate: 0.01)
        let inserted = (0..<n).map { "in-\($0)-\(rng.next())" }
        filter.insert(contentsOf: inserted)
        #expect(inserted.allSatisfy { filter.mayContain($0) })
        var falsePositives = 0
        for i in 0..<100_000 where filter.mayContain("out-\(i)-\(rng.next())") { falsePositives += 1 }
        let rate = Double(falsePositives) / 100_000
        #expect(rate > 0.007 && rate < 0.013, "measured false-positive rate \(rate)")
        #expect(abs(filter.fillRatio - 0.5) < 0.02)
    }

    @Test func serializationRoundTrips() throws {
        var f = BloomFilter(expectedCount: 50)
        f.insert(contentsOf: ["a", "東", "from:u1", "🚀", ""])
        let bytes = f.serialized()
        #expect(bytes.count == 8 + f.bitCount / 8)
        #expect(Array(bytes.prefix(8)) == [1, UInt8(f.hashCount), 0, 0, UInt8(f.bitCount & 0xff), UInt8(f.bitCount >> 8), 0, 0])
        let back = try BloomFilter(serialized: bytes)
        #expect(back == f)
        #expect(back.mayContain("東") && back.mayContain("🚀") && back.mayContain(""))
        #expect(back.serialized() == bytes)
    }

    @Test func malformedSerializationsAreRefused() {
        let good = BloomFilter(expectedCount: 10).serialized()
        var cases: [[UInt8]] = [[], Array(good.prefix(7)), Array(good.dropLast()), good + [0]]
        var v = good; v[0] = 2; cases.append(v)
        var k0 = good; k0[1] = 0; cases.append(k0)
        var k33 = good; k33[1] = 33; cases.append(k33)
        var reserved = good; reserved[2] = 1; cases.append(reserved)
        var odd = good; odd[4] = 65; odd[5] = 0; cases.append(odd)
        var zero = good; zero[4] = 0; zero[5] = 0; cases.append(zero)
        for bytes in cases {
            #expect(throws: LetheError.self) { _ = try BloomFilter(serialized: bytes) }
            do { _ = try BloomFilter(serialized: bytes) } catch let e as LetheError { #expect(e.kind == .integrity) } catch {}
        }
    }

    @Test func unionHoldsBothSetsAndRefusesOtherSizes() throws {
        var a = BloomFilter(expectedCount: 100)
        var b = BloomFilter(expectedCount: 100)
        a.insert("alpha")
        b.insert("beta")
        let u = try a.union(b)
        #expect(u.mayContain("alpha") && u.mayContain("beta"))
        #expect(throws: LetheError.self) { _ = try a.union(BloomFilter(expectedCount: 1_000)) }
        #expect(throws: LetheError.self) { _ = try a.union(BloomFilter(bitCount: a.bitCount, hashCount: a.hashCount + 1)) }
    }

    @Test func mayMatchIsAnANDOfORs() {
        var f = BloomFilter(expectedCount: 10, falsePositiveRate: 0.0001)
        f.insert(contentsOf: ["budget", "from:u1"])
        #expect(f.mayMatch([]))
        #expect(f.mayMatch([["budget"], ["from:u2", "from:u1"]]))
        #expect(!f.mayMatch([["budget"], ["from:u2", "from:u3"]]))
    }
}

enum PinnedHashes {
    static let values: [UInt64] = [0x4721_f8f2_1846_3336, 0x2237_d0a5_513d_afe7, 0x3060_4ebd_d0cc_9918, 0xff56_3271_4d9b_1cd7]
}
