import Foundation
import LetheCore
import LetheTestSupport
import Testing

/// kill -9 at random moments: the archive always opens and verifies, and a re-run completes exactly.
@Suite(.serialized) struct CrashTests {
    @Test func importKilledAtRandomMomentsThenCompletes() throws {
        let root = Harness.tempDir("crash")
        let export = root.appendingPathComponent("export")
        let total = try SyntheticExport.write(to: export, channels: 6, days: 120, perDay: 40)
        let a = try Harness.makeArchive("crash")
        // Small commits (--commit-every) so that kills land between them too.
        let env = a.env
        var seed: UInt64 = 42
        var killedMidway = 0
        for round in 0..<8 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let delay = 0.05 + Double(seed >> 40 % 1000) / 1000.0 * 0.6
            if try Harness.runKilled(["import", "--commit-every", "64K", export.path], env: env, after: delay) { killedMidway += 1 }
            let v = try Harness.run(["verify", "--json"], env: a.env)
            #expect(v.status == 0, "round \(round): verify after kill -9 at \(delay) s: \(v.stdout) \(v.stderr)")
        }
        print("CrashTests: \(killedMidway) of 8 kills landed while the import ran")
        #expect(killedMidway >= 5, "most kills land while the import runs (\(killedMidway) of 8)")
        try a.importExport(export)
        #expect(try a.stats().messages == total, "nothing lost, nothing doubled")
        let again = try a.importExport(export)
        #expect(again.messagesAdded == 0)
        #expect(again.messagesUnchanged == total)
    }
}

/// kill -9 during `retention apply`: every bucket is either intact or shredded, and a re-run completes.
@Suite(.serialized) struct ApplyCrashTests {
    @Test func applyKilledAtRandomMomentsThenCompletes() throws {
        let scenario = try ShredScenario("applycrash")
        let (root, policy, now, a, plan) = (scenario.root, scenario.policy, scenario.now, scenario.archive, scenario.plan)
        let expectedBuckets = plan.buckets
        let totalBefore = try a.stats().messages
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
            if try Harness.runKilled(["retention", "apply", "--policy", policy.path, "--now", now], env: env,
                                     after: duration * (0.2 + 0.13 * Double(round))) { killed += 1 }
            let v = try Harness.run(["verify", "--json"], env: env)
            #expect(v.status == 0, "round \(round): \(v.stdout) \(v.stderr)")
            // Each bucket is intact or gone: the messages left are whole buckets of the plan.
            let shreddedSoFar = try Harness.run(["stats", "--json"], env: env).decode(ArchiveStats.self).shreddedBuckets
            #expect(shreddedSoFar == 0 || shreddedSoFar == expectedBuckets, "round \(round): one transaction: all or nothing (\(shreddedSoFar))")
            let again = try Harness.run(["retention", "apply", "--policy", policy.path, "--now", now, "--json"], env: env)
            #expect(again.status == 0)
            let after = try Harness.run(["stats", "--json"], env: env).decode(ArchiveStats.self)
            #expect(after.shreddedBuckets == expectedBuckets)
            #expect(after.messages == totalBefore - plan.messages)
            #expect(try Harness.run(["audit", "--verify"], env: env).status == 0)
        }
        print("ApplyCrashTests: \(killed) of 6 kills landed while apply ran (uninterrupted: \(String(format: "%.2f", duration)) s)")
        #expect(killed >= 3, "half the kills land while apply runs (\(killed) of 6)")
    }
}

/// kill -9 during `lethe key …`: after every kill the archive opens with the old secret, or — exactly
/// when the change committed — with the new one; never neither, never a half-changed slot set.
@Suite(.serialized) struct KeyCrashTests {
    typealias SlotSet = [String]  // "id kind", sorted

    struct Case {
        var name: String
        var args: (_ round: Int) -> [String]
        /// The secrets the command unlocks with (and its new passphrase).
        var env: [String: String]
        var before: SlotSet
        var after: SlotSet
        /// A secret that opens only the state before the change, and one that opens only the state after it.
        var onlyBefore: (_ round: Int) -> [String: String]
        var onlyAfter: (_ round: Int) -> [String: String]
    }

    /// The slots `key list --json` shows; nil when the secret does not open the archive.
    static func slotSet(_ r: Harness.Result) throws -> SlotSet? {
        guard r.status == 0 else { return nil }
        return try r.decode(KeyListing.self).slots.map { "\($0.id) \($0.kind)" }.sorted()
    }

    @Test func keyCommandsKilledAtRandomMomentsAreAllOrNothing() throws {
        let root = Harness.tempDir("keycrash")
        let base = try Harness.makeArchive("keycrash")
        try base.importFixture("slack-sample")
        let messages = try base.stats().messages
        #expect(messages > 0)
        let oldPass = base.env["LETHE_PASSPHRASE"]!
        let newPass = "a brand new passphrase"
        #expect(try Self.slotSet(try base.run(["key", "list", "--json"])) == ["1 keyfile", "2 passphrase"])
        func keyFile(_ round: Int) -> URL { root.appendingPathComponent("added-\(round).key") }

        // Each round runs one command on a fresh copy of the base archive.
        let cases: [Case] = [
            Case(name: "add-passphrase", args: { _ in ["key", "add-passphrase", "--kdf", "interactive"] },
                 env: ["LETHE_PASSPHRASE": oldPass, "LETHE_NEW_PASSPHRASE": newPass],
                 before: ["1 keyfile", "2 passphrase"], after: ["1 keyfile", "2 passphrase", "3 passphrase"],
                 onlyBefore: { _ in [:] }, onlyAfter: { _ in ["LETHE_PASSPHRASE": newPass] }),
            Case(name: "change-passphrase", args: { _ in ["key", "change-passphrase", "--kdf", "interactive"] },
                 env: ["LETHE_PASSPHRASE": oldPass, "LETHE_NEW_PASSPHRASE": newPass],
                 before: ["1 keyfile", "2 passphrase"], after: ["1 keyfile", "3 passphrase"],
                 onlyBefore: { _ in ["LETHE_PASSPHRASE": oldPass] }, onlyAfter: { _ in ["LETHE_PASSPHRASE": newPass] }),
            Case(name: "add-keyfile", args: { ["key", "add-keyfile", keyFile($0).path] },
                 env: ["LETHE_PASSPHRASE": oldPass],
                 before: ["1 keyfile", "2 passphrase"], after: ["1 keyfile", "2 passphrase", "3 keyfile"],
                 onlyBefore: { _ in [:] }, onlyAfter: { ["KEY_FILE": keyFile($0).path] }),
            Case(name: "remove", args: { _ in ["key", "remove", "1"] },
                 env: ["LETHE_PASSPHRASE": oldPass],
                 before: ["1 keyfile", "2 passphrase"], after: ["2 passphrase"],
                 onlyBefore: { _ in ["KEY_FILE": base.keyFile.path] }, onlyAfter: { _ in [:] }),
        ]
        /// Runs `args` with `secret` (a KEY_FILE entry becomes --key-file) on the archive at `dir`.
        func run(_ args: [String], _ secret: [String: String], _ dir: URL) throws -> Harness.Result {
            var env = secret.filter { $0.key != "KEY_FILE" }
            env["LETHE_ARCHIVE"] = dir.path
            return try Harness.run(args + (secret["KEY_FILE"].map { ["--key-file", $0] } ?? []), env: env)
        }
        func slots(_ secret: [String: String], _ dir: URL) throws -> SlotSet? { try Self.slotSet(try run(["key", "list", "--json"], secret, dir)) }
        // Look with a secret the command does not change: the key file, or for `remove` (of the key-file slot) the passphrase.
        func opener(_ c: Case) -> [String: String] { c.name == "remove" ? ["LETHE_PASSPHRASE": oldPass] : ["KEY_FILE": base.keyFile.path] }

        // Time each command uninterrupted (the faster of two runs), to aim the kills inside its run.
        var duration: [String: Double] = [:]
        for c in cases {
            for attempt in 0..<2 {
                let dir = root.appendingPathComponent("timing-\(c.name)-\(attempt)")
                try FileManager.default.copyItem(at: base.dir, to: dir)
                let t0 = Date()
                let r = try run(c.args(1000 + attempt), c.env, dir)
                duration[c.name] = min(duration[c.name] ?? .infinity, Date().timeIntervalSince(t0))
                #expect(r.status == 0, "\(c.name): \(r.stderr)")
                #expect(try slots(opener(c), dir) == c.after, "\(c.name): the uninterrupted run ends in the expected slot set")
            }
        }

        var rng = SplitMix64(seed: 0x6b65_7973)
        let rounds = 20
        var killedMidRun = 0, committedBeforeKill = 0, inTransaction = 0, hotJournals = 0, plays = 0
        var outcomes: [String] = []
        /// One kill of `c` on a fresh copy of the base archive, then every check; true when the
        /// kill landed inside the keys.db write transaction (a journal was left behind).
        func play(_ round: Int, _ c: Case, attempt: Int) throws -> Bool {
            plays += 1
            let dir = root.appendingPathComponent("round\(round)-\(attempt)")
            try FileManager.default.copyItem(at: base.dir, to: dir)
            // Rounds 0–3, 8–11: between 30 % and 100 % of an uninterrupted run, so they land while it
            // unlocks or derives the new key (Argon2). Rounds 4–7, 12–15: 0–3 ms after keys.db-journal
            // appears, so they land in the short write transaction and its commit. Rounds 16–19:
            // 90–130 % of a run, around its commit and its end.
            let atJournal = (round / cases.count) % 2 == 1
            let late = round >= 16
            let delay = atJournal ? 0.003 * rng.unit() : (duration[c.name] ?? 0.3) * (late ? 0.9 + 0.4 * rng.unit() : 0.3 + 0.7 * rng.unit())
            var env = c.env
            env["LETHE_ARCHIVE"] = dir.path
            let journal = dir.appendingPathComponent("keys.db-journal")
            let killed = try Harness.runKilled(c.args(round), env: env, after: delay, whenExists: atJournal ? journal : nil)
            if killed { killedMidRun += 1 }
            // A journal left behind: the kill landed inside the keys.db write transaction. Its header is
            // zero until SQLite syncs it at commit, before writing keys.db: a non-zero header is a hot
            // journal (killed while committing), which the next open must roll back.
            let header = (try? Data(contentsOf: journal)).map { $0.prefix(12) }
            if header != nil { inTransaction += 1 }
            if let header, header.contains(where: { $0 != 0 }) { hotJournals += 1 }
            let what = "round \(round) (\(c.name), kill -9 \(String(format: "%.4f", delay)) s after \(atJournal ? "keys.db-journal appeared" : "start"), \(killed ? "mid-run" : "after exit"))"

            let opener = opener(c)
            let state = try slots(opener, dir)
            #expect(state == c.before || state == c.after, "\(what): slots \(state ?? ["<none>"]) are neither the old nor the new set")
            let committed = state == c.after
            outcomes.append("\(round):\(c.name):\(killed ? "killed" : "exited"):journal-\(header.map { $0.contains { $0 != 0 } ? "hot" : "cold" } ?? "none"):\(committed ? "new" : "old")")
            if killed && committed { committedBeforeKill += 1 }
            // The old secret opens exactly when the change did not commit, the new one exactly when it did.
            if !c.onlyBefore(round).isEmpty {
                let old = try run(["stats", "--json"], c.onlyBefore(round), dir)
                #expect(old.status == (committed ? 3 : 0), "\(what): old secret: \(old.stderr)")
            }
            // (add-keyfile killed before it wrote the new key file: there is no new secret to try.)
            if !c.onlyAfter(round).isEmpty, c.onlyAfter(round)["KEY_FILE"].map({ FileManager.default.fileExists(atPath: $0) }) ?? true {
                let new = try run(["stats", "--json"], c.onlyAfter(round), dir)
                #expect(new.status == (committed ? 0 : 3), "\(what): new secret: \(new.stderr)")
            }
            let v = try run(["verify", "--json"], opener, dir)
            #expect(v.status == 0, "\(what): verify: \(v.stdout) \(v.stderr)")
            // stats counts data.db's entries, items (format 9: the sample's canvas and log entries) included.
            let report = try v.decode(VerifyReport.self)
            #expect(report.messages + report.items == messages && report.items > 0, "\(what): every message and item still there")
            let leftHeader = (try? Data(contentsOf: journal)).map { $0.prefix(12) }
            #expect(leftHeader == nil || leftHeader?.allSatisfy { $0 == 0 } == true, "\(what): the hot journal was rolled back")

            // Not committed: running the command again completes it.
            if !committed {
                let again = try run(c.args(round), c.env, dir)
                #expect(again.status == 0, "\(what): re-run: \(again.stderr)")
            } else if c.name == "add-keyfile" {
                // Re-running add-keyfile after it committed adds nothing: the key file already has its slot.
                let again = try run(c.args(round), c.env, dir)
                #expect(again.status == 0, "\(what): re-run: \(again.stderr)")
            }
            let finalSlots = try slots(opener, dir)
            #expect(finalSlots == c.after, "\(what): after the re-run: \(finalSlots ?? [])")
            let afterOpens = try run(["stats"], c.onlyAfter(round).isEmpty ? opener : c.onlyAfter(round), dir)
            #expect(afterOpens.status == 0, "\(what): the new state opens: \(afterOpens.stderr)")
            return header != nil
        }
        for round in 0..<rounds {
            let c = cases[round % cases.count]
            // A kill aimed at the transaction can still miss its few milliseconds on a busy
            // machine: such a round is played again, on a fresh copy, up to three more times.
            let aimedAtJournal = (round / cases.count) % 2 == 1 && round < 16
            var attempt = 0
            while try !play(round, c, attempt: attempt) && aimedAtJournal && attempt < 3 { attempt += 1 }
        }
        print("KeyCrashTests: uninterrupted runs \(duration.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.3f", $0.value)) s" }.joined(separator: ", "))")
        print("KeyCrashTests: \(killedMidRun) of \(plays) kills (\(rounds) rounds, \(plays - rounds) replayed) landed mid-run; \(inTransaction) inside the keys.db transaction (\(hotJournals) while committing: a hot journal), \(committedBeforeKill) after the commit")
        print("KeyCrashTests: rounds \(outcomes.joined(separator: " "))")
        // With CrashTests (≥ 5) and ApplyCrashTests (≥ 3): at least 20 kills that land mid-run.
        #expect(killedMidRun >= 12, "most kills land while the key command runs (\(killedMidRun) of \(rounds))")
        #expect(inTransaction >= 2, "some kills land inside the keys.db write transaction (\(inTransaction) of \(rounds))")
    }
}

