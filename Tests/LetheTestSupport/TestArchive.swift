import Foundation
@testable import LetheCore

/// A real archive made by the real binary for one test: its folder, the environment that
/// opens it (archive path and passphrase) and its key file.
///
/// Reads like the `(dir, env, keyFile)` tuple it replaces (`a.dir`, `a.env`, `a.keyFile`),
/// and runs lethe on itself: `try a.run(["verify"])`.
public struct TestArchive: Sendable {
    public static let passphrase = "correct horse battery staple"

    /// The archive folder (keys.db, data.db).
    public var dir: URL
    /// LETHE_ARCHIVE and LETHE_PASSPHRASE: what `Harness.run` needs to open it.
    public var env: [String: String]
    /// The key file made by `init`, a second way in.
    public var keyFile: URL

    public init(dir: URL, env: [String: String], keyFile: URL) {
        self.dir = dir
        self.env = env
        self.keyFile = keyFile
    }

    /// The test's own folder around the archive: put exports, outputs and copies here.
    public var root: URL { dir.deletingLastPathComponent() }

    /// `lethe init` (fast interactive KDF, a passphrase slot and a key file) in a fresh
    /// folder below `Harness.testRoot`; throws when init fails.
    public static func create(_ name: String = "a", initArgs: [String] = []) throws -> TestArchive {
        let root = Harness.tempDir(name)
        let a = TestArchive(dir: root.appendingPathComponent("archive"),
                            env: ["LETHE_ARCHIVE": root.appendingPathComponent("archive").path, "LETHE_PASSPHRASE": passphrase],
                            keyFile: root.appendingPathComponent("key"))
        try a.run(["init", "--kdf", "interactive", "--key-file", a.keyFile.path] + initArgs).expectSuccess("lethe init")
        return a
    }

    /// A copy of the archive's files in a fresh folder below `Harness.testRoot`, opened by the
    /// same secrets: to try something destructive on, or to compare with.
    public func copy(_ name: String) throws -> TestArchive {
        let copy = Harness.tempDir(name).appendingPathComponent("archive")
        try FileManager.default.copyItem(at: dir, to: copy)
        return TestArchive(dir: copy, env: env.merging(["LETHE_ARCHIVE": copy.path]) { $1 }, keyFile: keyFile)
    }

    /// Runs lethe on this archive; `env` adds to (or overrides) the archive's environment.
    @discardableResult
    public func run(_ args: [String], env extra: [String: String] = [:], stdin: Data? = nil, fileSizeLimit: Int? = nil) throws -> Harness.Result {
        try Harness.run(args, env: env.merging(extra) { $1 }, stdin: stdin, fileSizeLimit: fileSizeLimit)
    }

    /// Imports an export folder or zip (`import --json`); throws unless lethe exits 0.
    @discardableResult
    public func importExport(_ export: URL, _ extraArgs: [String] = []) throws -> ImportReport {
        try run(["import", "--json"] + extraArgs + [export.path]).expectSuccess("lethe import \(export.lastPathComponent)").decode(ImportReport.self)
    }

    /// Imports a fixture of Tests/Fixtures (`"slack-sample"`, `"slack-sample-update"`).
    @discardableResult
    public func importFixture(_ name: String) throws -> ImportReport {
        try importExport(Repository.fixture(name))
    }

    /// `stats --json`, decoded; throws unless lethe exits 0.
    public func stats() throws -> ArchiveStats {
        try run(["stats", "--json"]).expectSuccess("lethe stats").decode(ArchiveStats.self)
    }

    /// Runs SQL on one of the archive's files (`"keys.db"`, `"data.db"`) directly, as the
    /// writer adversary would: no key, no manifest.
    public func sql(file: String, _ statements: String) throws {
        let db = try SQLiteDatabase(path: dir.appendingPathComponent(file).path, options: [.readWrite])
        try db.execute(statements)
    }

    /// One integer from a query on one of the archive's files (read-only); nil when no row.
    public func scalar(file: String, _ query: String) throws -> Int64? {
        let db = try SQLiteDatabase(path: dir.appendingPathComponent(file).path, options: [.readOnly])
        return try db.scalarInt(query)
    }
}
