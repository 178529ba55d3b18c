import Foundation

/// An advisory `flock` on the archive's `lock` file: shared for readers, exclusive for writers.
///
/// The exclusive holder writes its pid and command into the file, so a second
/// process can say who holds it. The file is opened with `O_NOFOLLOW` and must be
/// a regular file with one link: the holder truncates it, and a `lock` that is a
/// symbolic or hard link to another file would truncate that file.
final class ArchiveLock {
    private let fd: Int32
    private let exclusive: Bool
    private var acquired = false

    enum Mode { case shared, exclusive }

    /// How long a process that found the lock taken keeps looking for the holder's line
    /// (or for the lock to come free) before it reports: the holder writes its line just
    /// after it takes the lock, and empties the file just before it lets go.
    static let holderGraceSeconds = 1.0

    init(directory: URL, mode: Mode, command: String, waitSeconds: Double) throws {
        let path = directory.appendingPathComponent(Schema.lockFile).path
        exclusive = mode == .exclusive
        fd = try ArchiveLock.openLockFile(path)
        let op = (mode == .exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB
        let deadline = Date().addingTimeInterval(waitSeconds)
        let graceEnd = deadline.addingTimeInterval(ArchiveLock.holderGraceSeconds)
        while flock(fd, op) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw LetheError(.failure, "cannot lock \(path): \(String(cString: strerror(errno)))")
            }
            let now = Date()
            if now >= deadline {
                // Past the deadline, report at once when the holder is named; else look a
                // little longer, for a holder between taking the lock and writing its line.
                let holder = ArchiveLock.holder(fd: fd) ?? (now >= graceEnd ? ArchiveLock.readersOnly(fd: fd, exclusive: exclusive) : nil)
                if holder != nil || now >= graceEnd {
                    throw LetheError(.locked, "the archive is locked by another lethe process\(holder.map { " (\($0))" } ?? "")",
                                     hint: "wait for it to finish, or pass --wait SECONDS to wait for the lock")
                }
                usleep(20_000)
                continue
            }
            usleep(100_000)
        }
        acquired = true
        if mode == .exclusive {
            // Write the line first, then cut off whatever was longer: the file never looks empty while held.
            let info = Array("pid \(getpid()), \(command), since \(ISO8601DateFormatter().string(from: Date()))\n".utf8)
            _ = info.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
            _ = ftruncate(fd, off_t(info.count))
        }
    }

    /// Opens (or makes) the lock file without following a link, and refuses anything
    /// but a regular file with a single link.
    private static func openLockFile(_ path: String) throws -> Int32 {
        let hint = "remove \(path) (lethe makes a new, empty lock file) and check who put it there"
        // O_NONBLOCK: opening a FIFO must not wait for a writer.
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0o600)
        guard fd >= 0 else {
            let err = errno
            var info = stat()
            if lstat(path, &info) == 0, let kind = describe(info.st_mode), (info.st_mode & S_IFMT) != S_IFREG {
                throw LetheError(.failure, "\(path) is \(kind), not a regular file: refusing to use it as the archive's lock", hint: hint)
            }
            throw LetheError(.failure, "cannot open lock file \(path): \(String(cString: strerror(err)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw LetheError(.failure, "cannot inspect lock file \(path): \(reason)")
        }
        if (info.st_mode & S_IFMT) != S_IFREG {
            close(fd)
            throw LetheError(.failure, "\(path) is \(describe(info.st_mode) ?? "not a regular file"), not a regular file: refusing to use it as the archive's lock", hint: hint)
        }
        if info.st_nlink > 1 {
            close(fd)
            throw LetheError(.failure, "\(path) has \(info.st_nlink) hard links: refusing to use (and truncate) a file shared with another path", hint: hint)
        }
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        return fd
    }

    private static func describe(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFLNK: return "a symbolic link"
        case S_IFDIR: return "a folder"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFREG: return "a regular file"
        default: return nil
        }
    }

    private static func holder(fd: Int32) -> String? {
        var buf = [UInt8](repeating: 0, count: 200)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, 200, 0) }
        guard n > 0 else { return nil }
        let s = String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }

    /// For a writer refused while the file names no one: the holders are readers (which
    /// write no line) when a shared lock is free to take. Released at once.
    private static func readersOnly(fd: Int32, exclusive: Bool) -> String? {
        guard exclusive, flock(fd, LOCK_SH | LOCK_NB) == 0 else { return nil }
        flock(fd, LOCK_UN)
        return "held by one or more reading commands: search, export, stats, verify…"
    }

    /// Lets go of the lock before the end of the process's use of the archive (see
    /// `Archive.reopenForWriting`): a shared lock cannot become exclusive in place.
    func release() {
        guard acquired else { return }
        if exclusive { _ = ftruncate(fd, 0) }
        flock(fd, LOCK_UN)
        acquired = false
    }

    deinit {
        if acquired {
            if exclusive { _ = ftruncate(fd, 0) }  // a finished run leaves the lock file as it found it: empty
            flock(fd, LOCK_UN)
        }
        close(fd)  // also when init threw after opening: Swift runs deinit then
    }
}
