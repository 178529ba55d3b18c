import Foundation
import CZstd
import LetheTestSupport
import Testing
@testable import LetheCore

/// zstd frames whose header claims more than their bytes can hold (found by the
/// record-decoder fuzz target: a 363-byte frame made `decompress` allocate 816 MB).
@Suite struct ZstdLimitTests {
    @Test func refusesAClaimedSizeTheInputCannotHold() {
        // A single-segment frame header declaring 800 MB, then one 4-byte raw block.
        var lying: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xA0]  // magic, FHD: 4-byte content size, single segment
        let claimed: UInt32 = 800_000_000
        for k in 0..<4 { lying.append(UInt8(truncatingIfNeeded: claimed >> (8 * UInt32(k)))) }
        lying += [0x21, 0x00, 0x00, 0x61, 0x62, 0x63, 0x64]  // last raw block of 4 bytes
        #expect(lying.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) } == UInt64(claimed))
        #expect(lying.withUnsafeBytes { Zstd.plausibleSize(of: $0, maxSize: Segment.maxBytes) } == nil)
        #expect(Zstd().decompress(lying, maxSize: Segment.maxBytes) == nil)
    }

    @Test func stillDecompressesHighlyCompressibleFrames() {
        let zeros = [UInt8](repeating: 0, count: 8 << 20)
        let zstd = Zstd()
        let frame = zstd.compress(zeros)
        #expect(UInt64(zeros.count) > UInt64(frame.count) * 1_000)
        #expect(frame.withUnsafeBytes { Zstd.plausibleSize(of: $0, maxSize: Segment.maxBytes) } == zeros.count)
        #expect(zstd.decompress(frame, maxSize: Segment.maxBytes) == zeros)
    }

    @Test func fuzzRegressionInputIsRefusedBeforeAllocating() throws {
        let url = Repository.fuzzCorpus.appendingPathComponent("record-decoder/regress-zstd-lying-content-size")
        let input = try [UInt8](Data(contentsOf: url))
        // Mode 1 of the target: header, count, then the zstd frame sealed and opened.
        #expect(input.count > 3)
        let frame = Array(input[3...])
        #expect(frame.withUnsafeBytes { Zstd.plausibleSize(of: $0, maxSize: Segment.maxBytes) } == nil)
    }
}
