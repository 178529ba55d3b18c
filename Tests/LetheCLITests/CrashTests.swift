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

/// kill -9 during `retention apply`: every bucket is either intact or shredded, and a re-run completes.
@Suite(.serialized) struct ApplyCrashTests {
    @Test func applyKilledAtRandomMomentsThenCompletes() throws {
        let root = Harness.tempDir("applycrash")
        let export = root.appendingPathComponent("export")
        try SyntheticExport.write(to: export, channels: 4, days: 300, perDay: 4)
        let policy = root.appendingPathComponent("p.yml")
        try Data("version: 1\ndefault:\n  keep: 100d\n".utf8).write(to: policy)
        let now = "2024-12-31T00:00:00Z"
        let a = try Harness.makeArchive("applycrash")
        #expect(try Harness.run(["import", export.path], env: a.env).status == 0)
        let plan = try Harness.run(["retention", "plan", "--policy", policy.path, "--now", now, "--json"], env: a.env).json ?? [:]
        let expectedBuckets = plan["buckets"] as? Int ?? 0
        let totalBefore = try Harness.run(["stats", "--json"], env: a.env).json?["messages"] as? Int ?? 0
        #expect(expectedBuckets > 500)

        // Time one uninterrupted apply on a copy, to aim the kills inside it.
        let timing = root.appendingPathComponent("timing")
        try FileManager.default.copyItem(at: a.dir, to: timing)
        let t0 = Date()
        #expect(try Harness.run(["retention", "apply", "--policy", policy.path, "--now", now], env: a.env.merging(["LETHE_ARCHIVE": timing.path]) { $1 }).status == 0)
        let duration = Date().timeIntervalSince(t0)

        var killed = 0
        for round in 0..<6 {
            let dir = root.appendingPathComponent("round\(round)")
            try FileManager.default.copyItem(at: a.dir, to: dir)
            let env = a.env.merging(["LETHE_ARCHIVE": dir.path, "PATH": "/usr/bin:/bin"]) { $1 }
            let p = Process()
            p.executableURL = Harness.binary
            p.arguments = ["retention", "apply", "--policy", policy.path, "--now", now]
            p.environment = env
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            Thread.sleep(forTimeInterval: duration * (0.2 + 0.13 * Double(round)))
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                killed += 1
            }
            p.waitUntilExit()
            let v = try Harness.run(["verify", "--json"], env: env)
            #expect(v.status == 0, "round \(round): \(v.stdout) \(v.stderr)")
            // Each bucket is intact or gone: the messages left are whole buckets of the plan.
            let mid = try Harness.run(["stats", "--json"], env: env).json ?? [:]
            let shreddedSoFar = mid["shredded_buckets"] as? Int ?? -1
            #expect(shreddedSoFar == 0 || shreddedSoFar == expectedBuckets, "round \(round): one transaction: all or nothing (\(shreddedSoFar))")
            let again = try Harness.run(["retention", "apply", "--policy", policy.path, "--now", now, "--json"], env: env)
            #expect(again.status == 0)
            let after = try Harness.run(["stats", "--json"], env: env).json ?? [:]
            #expect(after["shredded_buckets"] as? Int == expectedBuckets)
            #expect(after["messages"] as? Int == totalBefore - (plan["messages"] as? Int ?? 0))
            #expect(try Harness.run(["audit", "--verify"], env: env).status == 0)
        }
        #expect(killed >= 2, "some kills land while apply runs (\(killed) of 6)")
    }
}
