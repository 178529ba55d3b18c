import Foundation
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
        let apply = try Harness.run(["retention", "apply", "--policy", Harness.packageRoot.appendingPathComponent("Policies/strict.yml").path,
                                     "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(apply.status == 7)

        let waited = try Harness.run(["import", "--json", small.path, "--wait", "120", "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(waited.status == 0, "\(waited.stderr)")
        #expect(waited.json?["messages_added"] as? Int == totalSmall)
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        let stats = try Harness.run(["stats", "--json", "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path]).json
        #expect(stats?["messages"] as? Int == totalBig + totalSmall, "nothing lost, nothing doubled")
        #expect(try Harness.run(["verify", "--key-file", a.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path]).status == 0)
    }
}
