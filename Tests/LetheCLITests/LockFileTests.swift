import Foundation
import Testing

/// The archive's `lock` file: never followed when it is a link, never anything but a
/// regular file of its own, and a refused run names the holder even in the instant
/// between the holder taking the lock and writing its line.
@Suite(.serialized) struct LockFileTests {
    static let sample = Harness.fixtures.appendingPathComponent("slack-sample")

    func importRefused(_ a: TestArchive, _ what: String) throws {
        let r = try Harness.run(["import", Self.sample.path, "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path])
        let lock = a.dir.appendingPathComponent("lock").path
        #expect(r.status == 1, "\(what): exit \(r.status): \(r.stderr)")
        #expect(r.stderr.contains("lethe: error: \(lock) is \(what), not a regular file"), "\(what): \(r.stderr)")
    }

    @Test func aSymlinkedLockIsRefusedAndItsTargetUntouched() throws {
        let a = try Harness.makeArchive("lock-symlink")
        let victim = a.dir.deletingLastPathComponent().appendingPathComponent("victim.conf")
        let content = Data("important = true\nkeep = this\n".utf8)
        try content.write(to: victim)
        let lock = a.dir.appendingPathComponent("lock")
        try FileManager.default.removeItem(at: lock)
        try FileManager.default.createSymbolicLink(atPath: lock.path, withDestinationPath: victim.path)
        try importRefused(a, "a symbolic link")
        #expect(try Data(contentsOf: victim) == content, "the link's target is byte-identical")
        // A reader is refused the same way.
        let s = try Harness.run(["stats", "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(s.status == 1 && s.stderr.contains("is a symbolic link"), "\(s.stderr)")
        #expect(try Data(contentsOf: victim) == content)
        // A dangling link is not created through either.
        let elsewhere = a.dir.deletingLastPathComponent().appendingPathComponent("not-there")
        try FileManager.default.removeItem(at: lock)
        try FileManager.default.createSymbolicLink(atPath: lock.path, withDestinationPath: elsewhere.path)
        try importRefused(a, "a symbolic link")
        #expect(!FileManager.default.fileExists(atPath: elsewhere.path))
    }

    @Test func aFIFOOrFolderAtTheLockPathIsRefused() throws {
        let a = try Harness.makeArchive("lock-fifo")
        let lock = a.dir.appendingPathComponent("lock")
        try FileManager.default.removeItem(at: lock)
        #expect(mkfifo(lock.path, 0o600) == 0)
        try importRefused(a, "a FIFO")
        try FileManager.default.removeItem(at: lock)
        try FileManager.default.createDirectory(at: lock, withIntermediateDirectories: false)
        try importRefused(a, "a folder")
        // Removed, lethe makes a fresh one and works.
        try FileManager.default.removeItem(at: lock)
        let r = try Harness.run(["import", Self.sample.path, "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func aHardLinkedLockIsRefusedAndItsOtherNameUntouched() throws {
        let a = try Harness.makeArchive("lock-hardlink")
        let victim = a.dir.deletingLastPathComponent().appendingPathComponent("victim.conf")
        let content = Data("important = true\n".utf8)
        try content.write(to: victim)
        let lock = a.dir.appendingPathComponent("lock")
        try FileManager.default.removeItem(at: lock)
        #expect(link(victim.path, lock.path) == 0)
        let r = try Harness.run(["import", Self.sample.path, "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(r.status == 1 && r.stderr.contains("has 2 hard links"), "\(r.stderr)")
        #expect(try Data(contentsOf: victim) == content)
    }

    /// The holder takes the lock, and only then writes its line: a run refused in between
    /// still names it (it looks again for a moment before reporting).
    @Test func aRefusedRunNamesAHolderThatHasNotWrittenItsLineYet() throws {
        let a = try Harness.makeArchive("lock-race")
        let lockPath = a.dir.appendingPathComponent("lock").path
        let fd = open(lockPath, O_RDWR)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let line = Array("pid 424242, lethe import (test holder), since 2026-01-01T00:00:00Z\n".utf8)
        let writer = Thread {
            usleep(300_000)
            _ = line.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
        }
        writer.start()
        let r = try Harness.run(["import", Self.sample.path, "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(r.status == 7, "\(r.stderr)")
        #expect(r.stderr.contains("locked by another lethe process (pid 424242, lethe import (test holder)"), "\(r.stderr)")
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
    }

    /// Readers write no line; a writer refused by them says so instead of naming no one.
    @Test func aWriterRefusedByReadersSaysSo() throws {
        let a = try Harness.makeArchive("lock-readers")
        let fd = open(a.dir.appendingPathComponent("lock").path, O_RDWR)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(flock(fd, LOCK_SH | LOCK_NB) == 0)
        let r = try Harness.run(["import", Self.sample.path, "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(r.status == 7, "\(r.stderr)")
        #expect(r.stderr.contains("(held by one or more reading commands"), "\(r.stderr)")
        // A reader is not refused by readers.
        let s = try Harness.run(["stats", "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(s.status == 0, "\(s.stderr)")
        flock(fd, LOCK_UN)
    }
}
