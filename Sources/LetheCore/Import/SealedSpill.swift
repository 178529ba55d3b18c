import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Plaintext an import has to set aside before it can use it (a Mattermost export's posts, in
/// file order, until they are sorted into conversations), kept out of memory in a temporary
/// file that is unlinked as soon as it is made, each record sealed (XChaCha20-Poly1305) under a
/// key drawn for this process and held only in guarded memory, bound to its offset. So a crash
/// leaves no file, and the disk never holds the export's plaintext (docs/SECURITY.md).
final class SealedSpill: @unchecked Sendable {
    struct Record: Sendable, Equatable {
        var offset: Int64
        var count: Int
    }

    /// The open, unlinked file (internal for the tests that attack it).
    let fd: Int32
    private let key = SecretKey.random()
    private var end: Int64 = 0
    private let lock = NSLock()
    static let header: UInt8 = 0x53

    /// In `directory` (the temporary folder: `TMPDIR`, else /tmp).
    init(directory: URL = FileManager.default.temporaryDirectory) throws {
        var template = Array(directory.appendingPathComponent("lethe-spill-XXXXXX").path.utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw LetheError(.failure, "cannot make a temporary file in \(directory.path): \(String(cString: strerror(errno)))",
                             hint: "set TMPDIR to a writable folder")
        }
        _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Seals `plaintext` and appends it.
    func append(_ plaintext: [UInt8]) throws -> Record {
        lock.lock()
        defer { lock.unlock() }
        let sealed = AEAD.seal(plaintext, header: Self.header, ad: Self.ad(end), key: key)
        var done = 0
        while done < sealed.count {
            let n = sealed.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, sealed.count - done, off_t(end) + off_t(done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw LetheError(errno == ENOSPC ? .noSpace : .failure, "cannot write the import's temporary file: \(String(cString: strerror(errno)))",
                                 hint: "it holds the export's records sealed while they are sorted; set TMPDIR to a folder with room")
            }
            done += n
        }
        let record = Record(offset: end, count: sealed.count)
        end += Int64(sealed.count)
        return record
    }

    /// The plaintext of `record`.
    func read(_ record: Record) throws -> [UInt8] {
        var sealed = [UInt8](repeating: 0, count: record.count)
        var done = 0
        while done < record.count {
            let n = sealed.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, record.count - done, off_t(record.offset) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw LetheError(.failure, "cannot read the import's temporary file: \(n < 0 ? String(cString: strerror(errno)) : "cut short")") }
            done += n
        }
        guard let opened = AEAD.open(sealed, ad: Self.ad(record.offset), key: key), opened.header == Self.header else {
            throw LetheError(.integrity, "the import's temporary file was changed while the import ran", hint: "nothing was imported from it; run the import again")
        }
        return opened.plaintext
    }

    private static func ad(_ offset: Int64) -> [UInt8] {
        Array("lethe-spill".utf8) + withUnsafeBytes(of: offset.littleEndian, Array.init)
    }
}
