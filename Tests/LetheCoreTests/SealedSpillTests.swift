import Foundation
import Testing
@testable import LetheCore

/// The import's spill file (Mattermost's posts set aside while they are sorted): no name on
/// disk, no plaintext in its bytes, and a record changed or moved under it is refused.
@Suite struct SealedSpillTests {
    static func folder() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("spill-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// The bytes the file holds, through its descriptor (it has no name).
    static func onDisk(_ spill: SealedSpill) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: "/proc/self/fd/\(spill.fd)")))
    }

    @Test func recordsComeBackAndNothingReadableIsLeftOnDisk() throws {
        let dir = try Self.folder()
        let spill = try SealedSpill(directory: dir)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "unlinked as soon as it is made")
        let texts = (0..<50).map { Array("post \($0): the secret word is quokkaquartz".utf8) }
        let records = try texts.map(spill.append)
        #expect(try records.map(spill.read) == texts)
        let disk = try Self.onDisk(spill)
        #expect(disk.count == records.reduce(0) { $0 + $1.count })
        let needle = Array("quokkaquartz".utf8)
        #expect(!disk.indices.contains { disk[$0...].starts(with: needle) }, "no plaintext on disk")
    }

    @Test func aChangedOrMovedRecordIsRefused() throws {
        let spill = try SealedSpill(directory: try Self.folder())
        let a = try spill.append(Array("first".utf8))
        let b = try spill.append(Array("second".utf8))
        // Moved: b's bytes read as if at a's offset.
        let moved = SealedSpill.Record(offset: a.offset, count: b.count)
        #expect(throws: LetheError.self) { _ = try spill.read(moved) }
        // Changed: one byte of a's ciphertext flipped.
        var byte: UInt8 = 0
        #expect(pread(spill.fd, &byte, 1, off_t(a.offset + 30)) == 1)
        byte ^= 1
        #expect(pwrite(spill.fd, &byte, 1, off_t(a.offset + 30)) == 1)
        do {
            _ = try spill.read(a)
            Issue.record("a changed record was read")
        } catch let e as LetheError {
            #expect(e.kind == .integrity)
        }
        #expect(try spill.read(b) == Array("second".utf8))
    }
}
