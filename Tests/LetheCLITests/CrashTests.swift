import Foundation
import Testing

/// kill -9 at random moments: the archive always opens and verifies, and a re-run completes exactly.
@Suite(.serialized) struct CrashTests {
    @Test func importKilledAtRandomMomentsThenCompletes() throws {
        let root = Harness.tempDir("crash")
        let export = root.appendingPathComponent("export")
        let total = try SyntheticExport.write(to: export, channels: 6, days: 120, perDay: 40)
        let a = try Harness.makeArchive("crash")
        // Small commits so that kills land between them too.
        var env = a.env
        env["LETHE_COMMIT_EVERY_BYTES"] = "65536"
        var seed: UInt64 = 42
        var killedMidway = 0
        for round in 0..<8 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let delay = 0.05 + Double(seed >> 40 % 1000) / 1000.0 * 0.6
            let p = Process()
            p.executableURL = Harness.binary
            p.arguments = ["import", export.path]
            p.environment = env.merging(["PATH": "/usr/bin:/bin"]) { $1 }
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            Thread.sleep(forTimeInterval: delay)
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                killedMidway += 1
            }
            p.waitUntilExit()
            let v = try Harness.run(["verify", "--json"], env: a.env)
            #expect(v.status == 0, "round \(round): verify after kill -9 at \(delay) s: \(v.stdout) \(v.stderr)")
        }
        #expect(killedMidway >= 3, "most kills land while the import runs (\(killedMidway) of 8)")
        let final = try Harness.run(["import", "--json", export.path], env: a.env)
        #expect(final.status == 0, "\(final.stderr)")
        let stats = try Harness.run(["stats", "--json"], env: a.env).json
        #expect(stats?["messages"] as? Int == total, "nothing lost, nothing doubled")
        let again = try Harness.run(["import", "--json", export.path], env: a.env).json
        #expect(again?["messages_added"] as? Int == 0)
        #expect(again?["messages_unchanged"] as? Int == total)
    }
}
