import CZstd
import Foundation
import LetheTestSupport
import Testing
@testable import LetheCore

/// The built-in zstd dictionary (docs/FORMAT.md §4a): the one the spec names, used for
/// segments, and strict about which dictionary a frame may name.
@Suite struct ZstdDictionaryTests {
    /// A small segment shaped like real Slack messages.
    static func segment() -> Segment {
        let texts = ["budget numbers for Q3 look good", "can you send the contract?", "shipping the release tonight"]
        return Segment(messages: texts.enumerated().map { i, text in
            let ts = "17121731\(42 + i).14361\(i)"
            let json = #"{"client_msg_id":"8c2f4b1e-0d7a-4c3e-9f1a-\#(i)b6d2e5f7a9c0","type":"message","text":"\#(text)","user":"U024BE7LH","ts":"\#(ts)","blocks":[{"type":"rich_text","block_id":"Ab\#(i)cD","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"\#(text)"}]}]}],"team":"T024BE7LG","user_profile":{"avatar_hash":"ge3b51ca72de","first_name":"Ann","real_name":"Ann Example","display_name":"ann","team":"T024BE7LG","name":"ann","is_restricted":false,"is_ultra_restricted":false}}"#
            return Segment.Message(ts: SlackTimestamp(ts)!, fileDay: 19820, editedTS: nil, json: Array(json.utf8))
        })
    }

    /// The id, size and SHA-256 of each built-in dictionary, as the §4a table of docs/FORMAT.md
    /// gives them: a dictionary must never change once shipped.
    @Test func builtInDictionaryIsTheOneTheSpecNames() throws {
        let spec = try String(contentsOf: Repository.root.appendingPathComponent("docs/FORMAT.md"), encoding: .utf8)
        let row = try #require(spec.split(separator: "\n").first { $0.hasPrefix("| `slack-1` |") }, "FORMAT.md §4a lists slack-1")
        let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`")) }
        let d = ZstdDictionary.slack1
        #expect(cells[1] == String(d.id), "id")
        #expect(cells[2] == String(d.bytes.count), "size")
        #expect(cells[3] == KDF.sha256(d.bytes).hexString, "SHA-256 of the dictionary")
        #expect(ZstdDictionary.current === d)
        #expect(d.id >= 32_768 && d.id < 1 << 31, "an id outside zstd's reserved ranges")
    }

    @Test func segmentsRoundTripThroughTheDictionaryAndShrink() throws {
        let seg = Self.segment()
        let plain = seg.encoded()
        let zstd = Zstd()
        let with = zstd.compress(plain, dictionary: ZstdDictionary.slack1)
        let without = zstd.compress(plain)
        #expect(with.withUnsafeBytes { ZSTD_getDictID_fromFrame($0.baseAddress, $0.count) } == ZstdDictionary.slack1.id,
                "the frame names its dictionary")
        #expect(with.count < without.count, "the dictionary helps a small segment: \(with.count) vs \(without.count) bytes")
        #expect(try SealedRecord.decodeSegment(compressed: with, messages: 3, zstd: zstd, dictionary: true) == seg)
        #expect(try SealedRecord.decodeSegment(compressed: without, messages: 3, zstd: zstd) == seg)
    }

    /// Header 0x07 must hold a frame naming a known dictionary; 0x02 one naming none.
    @Test func aFrameNamingTheWrongDictionaryIsRefused() throws {
        let plain = Self.segment().encoded()
        let zstd = Zstd()
        let with = zstd.compress(plain, dictionary: ZstdDictionary.slack1)
        let without = zstd.compress(plain)
        #expect(throws: SealedRecord.Failure.badEncoding) {
            try SealedRecord.decodeSegment(compressed: with, messages: 3, zstd: zstd, dictionary: false)
        }
        #expect(throws: SealedRecord.Failure.badEncoding) {
            try SealedRecord.decodeSegment(compressed: without, messages: 3, zstd: zstd, dictionary: true)
        }
        // Another dictionary, with an id lethe does not know, trained here on the same kind of data.
        let samples = (0..<400).map { i in Array(#"{"type":"message","text":"sample \#(i) of a foreign dictionary","user":"U\#(i % 7)","ts":"1\#(i).0"}"#.utf8) }
        let foreign = try DictionaryTraining.train(samples: samples, capacity: 4096)
        #expect(DictionaryTraining.id(of: foreign) != ZstdDictionary.slack1.id)
        let cdict = try #require(ZSTD_createCDict(foreign, foreign.count, 3))
        defer { ZSTD_freeCDict(cdict) }
        let cctx = try #require(ZSTD_createCCtx())
        defer { ZSTD_freeCCtx(cctx) }
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(plain.count))
        let n = out.withUnsafeMutableBytes { ZSTD_compress_usingCDict(cctx, $0.baseAddress, $0.count, plain, plain.count, cdict) }
        #expect(ZSTD_isError(n) == 0)
        out.removeLast(out.count - n)
        #expect(throws: SealedRecord.Failure.badEncoding) {
            try SealedRecord.decodeSegment(compressed: out, messages: 3, zstd: zstd, dictionary: true)
        }
    }

    /// Training is deterministic: the same samples give the same bytes and id (what
    /// `make dictionary-check` relies on for the shipped one).
    @Test func trainingIsDeterministic() throws {
        let samples = (0..<600).map { i in Self.segment().encoded() + Array("\(i) extra \(i * 7919 % 1000)".utf8) }
        let a = try DictionaryTraining.train(samples: samples, capacity: 8192)
        let b = try DictionaryTraining.train(samples: samples, capacity: 8192)
        #expect(a == b)
        #expect(DictionaryTraining.id(of: a) == DictionaryTraining.id(of: b))
    }
}
