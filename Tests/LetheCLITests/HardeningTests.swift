import Foundation
import Testing

/// Findings of issue 10 outside the lock file and hostile names: each a real run of the binary.
@Suite(.serialized) struct HardeningTests {
    static let sample = Harness.fixtures.appendingPathComponent("slack-sample")

    func imported(_ name: String) throws -> (dir: URL, env: [String: String], keyFile: URL) {
        let a = try Harness.makeArchive(name)
        let r = try Harness.run(["import", Self.sample.path, "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        return a
    }

    // MARK: - export --out

    @Test func exportNeverDeletesOrOverwritesWhatIsAtOut() throws {
        let a = try imported("export-target")
        let root = a.dir.deletingLastPathComponent()
        let env = ["LETHE_ARCHIVE": a.dir.path]
        func export(_ out: URL) throws -> Harness.Result {
            try Harness.run(["export", "--out", out.path, "--key-file", a.keyFile.path], env: env)
        }
        // An existing file.
        let file = root.appendingPathComponent("notes.txt")
        let content = Data("my notes\n".utf8)
        try content.write(to: file)
        var r = try export(file)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("\(file.path) exists and is not a folder"), "\(r.stderr)")
        #expect(try Data(contentsOf: file) == content, "the file is untouched")
        // A folder with something in it.
        let full = root.appendingPathComponent("full")
        try FileManager.default.createDirectory(at: full, withIntermediateDirectories: true)
        try content.write(to: full.appendingPathComponent("keep.txt"))
        r = try export(full)
        #expect(r.status == 64 && r.stderr.contains("exists and is not an empty folder"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: full.path) == ["keep.txt"])
        #expect(try Data(contentsOf: full.appendingPathComponent("keep.txt")) == content)
        // A symbolic link, even to an empty folder.
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let link = root.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: empty.path)
        r = try export(link)
        #expect(r.status == 64 && r.stderr.contains("is a symbolic link"), "\(r.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == empty.path)
        // No staging folder is left beside any of them.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.contains("lethe-partial") } == [])
        // An empty folder and a new path both work.
        r = try export(empty)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: empty.appendingPathComponent("channels.json").path))
        r = try export(root.appendingPathComponent("new/nested"))
        #expect(r.status == 0, "\(r.stderr)")
    }
}
