import Foundation
import LetheCore
import LetheTestSupport
import Testing

/// Two lethe processes on one archive: the second fails fast with exit 7 naming the holder,
/// or waits with --wait; nothing is lost or doubled.
@Suite(.serialized) struct ConcurrencyTests {
    @Test func secondWriterIsRefusedOrWaits() throws {
        let root = Harness.tempDir("conc")
        let big = root.appendingPathComponent("big"), small = root.appendingPathComponent("small")
        let totalBig = try SyntheticExport.write(to: big, channels: 6, days: 200, perDay: 30)
        let totalSmall = try SyntheticExport.write(to: small, channels: 2, days: 5, perDay: 3, seed: 99)
        let a = try Harness.makeArchive("conc")
        let first = Process()
        first.executableURL = Harness.binary
        first.arguments = ["import", big.path, "--key-file", a.keyFile.path]
        first.environment = ["LETHE_ARCHIVE": a.dir.path, "PATH": "/usr/bin:/bin"]
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        // Wait until the first holds the lock (it writes its pid into the lock file).
        let lockFile = a.dir.appendingPathComponent("lock")
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, ((try? String(contentsOf: lockFile, encoding: .utf8)) ?? "").isEmpty { usleep(20_000) }
        #expect(first.isRunning, "the first import must still run for this test to mean anything")

        let refused = try Harness.run(["import", small.path, "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(refused.status == 7, "\(refused.stderr)")
        #expect(refused.stderr.contains("locked by another lethe process (pid \(first.processIdentifier), lethe import"), "\(refused.stderr)")
        let apply = try Harness.run(["retention", "apply", "--policy", Repository.policy("strict.yml").path,
                                     "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(apply.status == 7)

        let waited = try Harness.run(["import", "--json", small.path, "--wait", "120", "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(waited.status == 0, "\(waited.stderr)")
        #expect(try waited.decode(ImportReport.self).messagesAdded == totalSmall)
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        let stats = try Harness.run(["stats", "--json", "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path]).decode(ArchiveStats.self)
        #expect(stats.messages == totalBig + totalSmall, "nothing lost, nothing doubled")
        #expect(try Harness.run(["verify", "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path]).status == 0)
    }

    /// The nightly pair: an import still running when retention starts. `retention apply --wait`
    /// queues behind it, then shreds exactly what the policy says of everything imported,
    /// and a search run meanwhile is refused with the holder named, or waits.
    @Test func retentionWaitsForARunningImportThenShredsExactly() throws {
        let root = Harness.tempDir("conc-ret")
        let export = root.appendingPathComponent("export")
        let total = try SyntheticExport.write(to: export, channels: 6, days: 200, perDay: 30)
        let policy = root.appendingPathComponent("p.yml")
        try Data("version: 1\ndefault:\n  keep: 100d\n".utf8).write(to: policy)
        let now = "2024-09-01T00:00:00Z"  // the export runs from 2024-01-01 for 200 days
        // The expected result, from a separate archive that imports first and shreds after.
        let reference = try Harness.makeArchive("conc-ref")
        try reference.importExport(export)
        let shredded = try reference.run(["retention", "plan", "--policy", policy.path, "--now", now, "--json"]).decode(RetentionPlan.self).messages
        #expect(shredded > 0 && shredded < total)

        let a = try Harness.makeArchive("conc-ret")
        let env = ["LETHE_ARCHIVE": a.dir.path, "PATH": "/usr/bin:/bin"]
        let importer = Process()
        importer.executableURL = Harness.binary
        importer.arguments = ["import", export.path, "--key-file", a.keyFile.path]
        importer.environment = env
        importer.standardOutput = FileHandle.nullDevice
        importer.standardError = FileHandle.nullDevice
        try importer.run()
        let lockFile = a.dir.appendingPathComponent("lock")
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, ((try? String(contentsOf: lockFile, encoding: .utf8)) ?? "").isEmpty { usleep(5_000) }
        #expect(importer.isRunning, "the import must still run for this test to mean anything")

        let search = try Harness.run(["search", "hello", "--key-file", a.keyFile.path], env: env)
        #expect(search.status == 7 || (search.status == 0 && !importer.isRunning), "a reader is refused while the import writes: \(search.stderr)")
        if search.status == 7 { #expect(search.stderr.contains("lethe import"), "names the holder: \(search.stderr)") }

        let apply = try Harness.run(["retention", "apply", "--policy", policy.path, "--now", now, "--wait", "300", "--json",
                                     "--key-file", a.keyFile.path], env: env)
        importer.waitUntilExit()
        #expect(importer.terminationStatus == 0)
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(try ApplyReport(apply).result.messages == shredded, "the whole import was there to shred: \(apply.stdout)")
        let stats = try Harness.run(["stats", "--json", "--key-file", a.keyFile.path], env: env).decode(ArchiveStats.self)
        #expect(stats.messages == total - shredded, "nothing lost, nothing left that should be gone")
        #expect(try Harness.run(["verify", "--key-file", a.keyFile.path], env: env).status == 0)
        #expect(try Harness.run(["audit", "--verify", "--key-file", a.keyFile.path], env: env).status == 0)
    }
}
