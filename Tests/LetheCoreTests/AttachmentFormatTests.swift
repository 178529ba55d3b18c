import Foundation
import Testing
@testable import LetheCore

/// The attachment layout of docs/FORMAT.md §4b against its test vectors, computed
/// independently (PyNaCl's XChaCha20-Poly1305, Python's hashlib.blake2b and a Python
/// encoder written from the text).
@Suite struct AttachmentFormatTests {
    static let archiveID = Array(UInt8(0x60)...UInt8(0x6f))
    static let key = Array(UInt8(0)...UInt8(0x1f))
    static let nonce = Array(UInt8(0x40)...UInt8(0x57))
    static let ref = BucketRef(cno: 1, bucket: 19844)
    static let plain = Array("hello attachment".utf8)

    static func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

    @Test func chunkEnvelopeIsTheDocumentedOne() throws {
        let ad = Archive.chunkAD(archiveID: Self.archiveID, Self.ref, blob: 1, n: 0, last: true)
        #expect(Self.hex(ad) == "6c657468653111606162636465666768696a6b6c6d6e6f00000000000000010000000000004d84000000000000000100000000000000000000000000000001")
        let key = Self.key.withUnsafeBytes { SecretKey.copying($0) }
        let sealed = AEAD.seal(Self.plain, header: Envelope.Encoding.rawChunk.rawValue, ad: ad, key: key, nonce: Self.nonce)
        #expect(Self.hex(sealed) == "09404142434445464748494a4b4c4d4e4f5051525354555657bc5c691cbfc01862fb95e4d6c2f90be60028e58fbfdcf625b0267001fe8faf26")
        #expect(AEAD.open(sealed, ad: ad, key: key)?.plaintext == Self.plain)
        // Not the last chunk, or chunk 1, or another bucket: the same bytes do not open.
        for other in [Archive.chunkAD(archiveID: Self.archiveID, Self.ref, blob: 1, n: 0, last: false),
                      Archive.chunkAD(archiveID: Self.archiveID, Self.ref, blob: 1, n: 1, last: true),
                      Archive.chunkAD(archiveID: Self.archiveID, BucketRef(cno: 1, bucket: 19845), blob: 1, n: 0, last: true)] {
            #expect(AEAD.open(sealed, ad: other, key: key) == nil)
        }
    }

    static let documentedIndex = "010101202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f100178b5a0cb85f832984e2557d73235673c2775224327b3ba4a0e3108cf313abf7a011000000068656c6c6f206174746163686d656e74010a00000046305458543030303031090000006e6f7465732e7478740101010a0000004630474f4e4530303031"

    static var index: AttachmentIndex {
        AttachmentIndex(blobs: [.init(number: 1, key: Array(UInt8(0x20)...UInt8(0x3f)), size: 16, chunks: 1, digest: KDF.digest(plain), text: "hello attachment")],
                        references: [.init(fileID: "F0TXT00001", name: "notes.txt", layout: .standard, blob: 1)],
                        missing: ["F0GONE0001"])
    }

    @Test func indexEncodingIsTheDocumentedOne() throws {
        #expect(Self.hex(KDF.digest(Self.plain)) == "78b5a0cb85f832984e2557d73235673c2775224327b3ba4a0e3108cf313abf7a")
        #expect(Self.hex(Self.index.encoded()) == Self.documentedIndex)
        #expect(try AttachmentIndex.decode(Self.index.encoded()) == Self.index)
        #expect(Self.hex(Envelope.associatedData(.attachmentIndex, archiveID: Self.archiveID, 1, 19844, 1))
                == "6c657468653110606162636465666768696a6b6c6d6e6f00000000000000010000000000004d840000000000000001")
    }

    @Test func malformedIndexesAreRefused() {
        let good = Self.index.encoded()
        var badLayout = good
        badLayout[good.count - 17] = 9  // the reference's layout byte
        var unknownBlob = Self.index
        unknownBlob.references[0].blob = 2
        for (name, bytes) in [("truncated", Array(good.dropLast())), ("trailing byte", good + [0]), ("version 2", [2] + good.dropFirst()),
                              ("unknown layout", badLayout), ("reference to no blob", unknownBlob.encoded()), ("empty", [])] {
            #expect(throws: (any Error).self, "\(name)") { try AttachmentIndex.decode(bytes) }
        }
    }

    @Test func streamingDigestIsTheDigestOfTheWhole() {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let d = StreamingDigest()
        var i = 0
        while i < bytes.count {
            let n = min(Int.random(in: 1...70_000), bytes.count - i)
            d.update(Array(bytes[i..<i + n]))
            i += n
        }
        #expect(d.finish() == KDF.digest(bytes))
    }

    @Test func alreadyCompressedFormatsAreStoredAsTheyAre() {
        let zstd = Zstd()
        let text = Array(String(repeating: "minutes of the meeting, ", count: 4000).utf8)
        #expect(BlobWriter.worthCompressing(text, zstd: zstd))
        #expect(!BlobWriter.worthCompressing([0x89, 0x50, 0x4E, 0x47] + text, zstd: zstd), "PNG by its magic")
        #expect(!BlobWriter.worthCompressing([0x50, 0x4B, 0x03, 0x04] + text, zstd: zstd), "zip/docx by its magic")
        var rng = SystemRandomNumberGenerator()
        #expect(!BlobWriter.worthCompressing((0..<200_000).map { _ in UInt8.random(in: 0...255, using: &rng) }, zstd: zstd), "random bytes")
    }
}
