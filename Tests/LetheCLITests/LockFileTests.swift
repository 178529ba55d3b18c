import Foundation
import Testing

/// The archive's `lock` file: never followed when it is a link, never anything but a
/// regular file of its own.
@Suite(.serialized) struct LockFileTests {
    static let sample = Harness.fixtures.appendingPathComponent("slack-sample")

    func importRefused(_ a: (dir: URL, env: [String: String], keyFile: URL), _ what: String) throws {
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
}
