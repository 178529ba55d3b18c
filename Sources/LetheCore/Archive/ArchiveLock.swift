import Foundation

/// An advisory `flock` on the archive's `lock` file: shared for readers, exclusive for writers.
///
/// The exclusive holder writes its pid and command into the file, so a second
/// process can say who holds it.
final class ArchiveLock {
    private let fd: Int32
    private let exclusive: Bool
    private var acquired = false

    enum Mode { case shared, exclusive }

    init(directory: URL, mode: Mode, command: String, waitSeconds: Double) throws {
        let path = directory.appendingPathComponent(Schema.lockFile).path
        exclusive = mode == .exclusive
        fd = open(path, O_RDWR | O_CREAT, 0o600)
        guard fd >= 0 else { throw LetheError(.failure, "cannot open lock file \(path): \(String(cString: strerror(errno)))") }
        let op = (mode == .exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB
        let deadline = Date().addingTimeInterval(waitSeconds)
        while flock(fd, op) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw LetheError(.failure, "cannot lock \(path): \(String(cString: strerror(errno)))")
            }
            if Date() >= deadline {
                let holder = ArchiveLock.holder(fd: fd)
                throw LetheError(.locked, "the archive is locked by another lethe process\(holder.map { " (\($0))" } ?? "")",
                                 hint: "wait for it to finish, or pass --wait SECONDS to wait for the lock")
            }
            usleep(100_000)
        }
        acquired = true
        if mode == .exclusive {
            let info = Array("pid \(getpid()), \(command), since \(ISO8601DateFormatter().string(from: Date()))\n".utf8)
            _ = ftruncate(fd, 0)
            _ = info.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
        }
    }

    private static func holder(fd: Int32) -> String? {
        var buf = [UInt8](repeating: 0, count: 200)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, 200, 0) }
        guard n > 0 else { return nil }
        let s = String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }

    deinit {
        if acquired {
            if exclusive { _ = ftruncate(fd, 0) }  // a finished run leaves the lock file as it found it: empty
            flock(fd, LOCK_UN)
        }
        close(fd)  // also when init threw after opening: Swift runs deinit then
    }
}
