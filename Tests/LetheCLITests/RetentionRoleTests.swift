import Foundation
import LetheTestSupport
import Testing
@testable import LetheCore

/// The retention role (issue #12, format 6, docs/FORMAT.md §2d): `retention.key` plans and
/// applies a policy from the retention views alone — channel facts, bucket dates, who wrote on
/// which day — and reads no message. Its plans must be the full key's, and nothing a writer
/// without IK can do to keys.db or data.db may make it shred what a hold keeps.
@Suite(.serialized) struct RetentionRoleTests {
    static let now = "2026-11-27T00:00:00Z"

    /// The standard rules, and a hold on everything carol (U05C4R0L8MN) wrote from 2023-06-01 on
    /// and on #random's first half of 2024: a user hold the views must answer by author and day.
    static func holdPolicy(_ root: URL) throws -> String {
        let url = root.appendingPathComponent("hold.yml")
        let standard = try String(contentsOf: Repository.policy("standard.yml"), encoding: .utf8)
        try (standard + """

            holds:
              - name: carol-matter
                case: "Test v. Carol"
                match:
                  users: [U05C4R0L8MN]
                from: 2023-06-01
              - name: random-2024
                match:
                  channels: ["random"]
                from: 2024-01-01
                until: 2024-06-30
            """).write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static func keys(_ a: TestArchive) throws -> (importKey: URL, retentionKey: URL) {
        let importKey = a.root.appendingPathComponent("import.key"), retentionKey = a.root.appendingPathComponent("retention.key")
        try a.run(["key", "issue", "--role", "import", "--out", importKey.path]).expectSuccess("issue import key")
        try a.run(["key", "issue", "--role", "retention", "--out", retentionKey.path]).expectSuccess("issue retention key")
        return (importKey, retentionKey)
    }

    /// A plan's JSON without what only the full key can show (DM labels by members' handles) and
    /// without the run's damage list.
    static func comparable(_ r: Harness.Result) throws -> NSDictionary {
        var obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout) \(r.stderr)")
        if let plan = obj["plan"] as? [String: Any] { obj = plan }
        for key in ["channels", "shred", "held"] {
            if let rows = obj[key] as? [[String: Any]] { obj[key] = rows.map { $0.filter { $0.key != "label" } } }
        }
        obj["damaged"] = nil
        return obj as NSDictionary
    }

    /// Issue #12's "done means", retention part: full-key import of A, role-key import of B,
    /// role-key retention apply; then the full key reads exactly what a full-key import of A
    /// then B then the same apply gives, and verify, search and audit --verify pass.
    @Test func aRetentionKeyAppliesWhatTheFullKeyWouldAndReadsNoMessage() throws {
        let a = try Harness.makeArchive("rr")
        try a.importFixture("slack-sample")
        let (importKey, retentionKey) = try Self.keys(a)
        let policy = try Self.holdPolicy(a.root)
        try RoleImportTests.roleRun(a, importKey, ["import", try RoleImportTests.exportB(a.root).path]).expectSuccess("role-key import of B")
        #expect(try a.scalar(file: "keys.db", "SELECT COUNT(*) FROM retention_views WHERE seq > 0")! > 0, "the import role wrote delta views")

        let plan = try RoleImportTests.roleRun(a, retentionKey, ["retention", "plan", "--policy", policy, "--now", Self.now, "--json"])
            .expectSuccess("role-key plan, deltas not folded in")
        #expect((plan.json?["held_buckets"] as? Int ?? 0) > 5, "the user hold and the channel hold keep expired buckets: \(plan.stdout.prefix(300))")
        let applied = try RoleImportTests.roleRun(a, retentionKey, ["retention", "apply", "--policy", policy, "--now", Self.now, "--json"])
            .expectSuccess("role-key apply")
        let result = try #require(applied.json?["result"] as? [String: Any], "\(applied.stdout)")
        #expect((result["buckets"] as? Int ?? 0) > 50, "\(result)")
        #expect(try Self.comparable(applied) == Self.comparable(plan), "apply executes the plan it printed")
        #expect(try a.scalar(file: "keys.db", "SELECT COUNT(*) FROM pending_purge")! > 0,
                "the purge notes stay for the full key, which rebuilds the search filters the role cannot open")

        // The reference: full key throughout.
        let ref = try Harness.makeArchive("rr-ref")
        try ref.importFixture("slack-sample")
        _ = try ref.importExport(try RoleImportTests.exportB(ref.root))
        let refApply = try ref.run(["retention", "apply", "--policy", policy, "--now", Self.now, "--json"]).expectSuccess("full-key apply")
        #expect(try Self.comparable(applied) == Self.comparable(refApply), "the retention role shreds exactly what the full key shreds")

        let got = try RoleImportTests.export(a, "out-role"), want = try RoleImportTests.export(ref, "out-full")
        #expect(got.days == want.days, "every message, version and day file as the full key's history gives")
        #expect(got.metadata == want.metadata)
        #expect(try a.scalar(file: "keys.db", "SELECT COUNT(*) FROM pending_purge") == 0, "the full key's first open finished the purge")
        #expect(try a.run(["verify"]).status == 0, "verify: views, segments and filters agree")
        #expect(try a.run(["audit", "--verify"]).status == 0)
        for word in ["platypunk", "zebracorn"] {
            #expect(try a.run(["search", "--json", word]).stdout == (try ref.run(["search", "--json", word]).stdout), "search \(word)")
        }
        // The audit entry names the role key; the role reads the chain and checks it.
        let audit = try RoleImportTests.roleRun(a, retentionKey, ["audit", "--json"]).expectSuccess("audit with the retention key")
        let last = try #require(audit.stdout.split(separator: "\n").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(last["kind"] as? String == "shred" && last["by_role_key"] as? Int == 2, "\(last)")
        try RoleImportTests.roleRun(a, retentionKey, ["audit", "--verify"]).expectSuccess("audit --verify with the retention key")
        try RoleImportTests.roleRun(a, retentionKey, ["policy", "check", policy]).expectSuccess("policy check with the retention key")
    }

    /// The views answer exactly as the segments would: on the same archive, the role's plan is
    /// the full key's for every shipped policy and a user hold, at several dates.
    @Test func theRolesPlanIsTheFullKeysPlan() throws {
        let a = try Harness.makeArchive("rr-plans")
        try a.importFixture("slack-sample")
        try a.importFixture("slack-sample-update")
        let (_, retentionKey) = try Self.keys(a)
        let policies = try ["standard.yml", "strict.yml", "legal-hold.yml"].map { Repository.policy($0).path } + [Self.holdPolicy(a.root)]
        for policy in policies {
            for now in ["2025-01-01T00:00:00Z", Self.now, "2028-06-30T00:00:00Z"] {
                let args = ["retention", "plan", "--policy", policy, "--now", now, "--json"]
                let full = try a.run(args).expectSuccess("full-key plan")
                let role = try RoleImportTests.roleRun(a, retentionKey, args).expectSuccess("role-key plan")
                #expect(try Self.comparable(role) == Self.comparable(full), "\(policy) at \(now)")
            }
        }
    }

    /// Tampered plaintext metadata and tampered views: what a writer without IK can change does
    /// not move the retention role to shred anything, and what it cannot check it does not read.
    @Test func aWriterWithoutKeysCannotSteerTheRetentionRole() throws {
        let base = try Harness.makeArchive("rr-tamper")
        try base.importFixture("slack-sample")
        let (_, retentionKey) = try Self.keys(base)
        let policy = try Self.holdPolicy(base.root)
        let args = ["retention", "plan", "--policy", policy, "--now", Self.now, "--json"]
        let honest = try Self.comparable(try RoleImportTests.roleRun(base, retentionKey, args).expectSuccess("honest plan"))

        // data.db's plaintext counts and bucket numbers: the role never reads them.
        let counts = try base.copy("rr-counts")
        try counts.sql(file: "data.db", "UPDATE segments SET messages = messages + 1000; UPDATE segments SET bucket = bucket - 3000 WHERE rowid % 2 = 0")
        let steered = try RoleImportTests.roleRun(counts, retentionKey, args)
        let steeredPlan = try Self.comparable(steered)
        #expect(steered.status == 0 && steeredPlan == honest, "the plan comes from the views, not from data.db's plaintext: \(steered.stderr)")

        // A view deleted, two views swapped, a view put back from an older copy of keys.db, a view's bytes changed.
        func refuses(_ name: String, _ tamper: (TestArchive) throws -> Void) throws {
            let t = try base.copy(name)
            try tamper(t)
            func files() -> [String: Data] { Harness.snapshot(t.dir).filter { ["/keys.db", "/data.db"].contains($0.key) } }
            let before = files()
            let apply = try RoleImportTests.roleRun(t, retentionKey, ["retention", "apply", "--policy", policy, "--now", Self.now])
            #expect(apply.status == 8, "\(name): refused with exit 8: \(apply.status) \(apply.stderr)")
            #expect(apply.stderr.contains("retention views"), "\(name): \(apply.stderr)")
            #expect(files() == before, "\(name): nothing changed")
        }
        try refuses("rr-deleted") { try $0.sql(file: "keys.db", "DELETE FROM retention_views WHERE cno = (SELECT MIN(cno) FROM retention_views)") }
        try refuses("rr-swapped") { t in
            try t.sql(file: "keys.db", """
                UPDATE retention_views SET cno = -cno WHERE cno IN (1, 2);
                UPDATE retention_views SET cno = 2 WHERE cno = -1;
                UPDATE retention_views SET cno = 1 WHERE cno = -2;
                """)
        }
        try refuses("rr-flipped") { try $0.sql(file: "keys.db", "UPDATE retention_views SET sealed = sealed || x'00' WHERE cno = 1") }
        let old = try base.copy("rr-old")
        try base.importFixture("slack-sample-update")  // carol writes again: her views change
        try refuses("rr-rolled-back") { t in
            try t.sql(file: "keys.db", "ATTACH '\(old.dir.appendingPathComponent("keys.db").path)' AS old; DELETE FROM retention_views; INSERT INTO retention_views SELECT * FROM old.retention_views;")
        }

        // A view moved to another conversation's place and the manifest left alone is caught by
        // the sealed AD even when the digest would not see it (the same rows, relabelled, XOR alike):
        // proven at the envelope level — the view opens only at its own (cno, seq).
        let k = try SQLiteDatabase(path: base.dir.appendingPathComponent("keys.db").path, options: [.readOnly])
        let s = try k.statement("SELECT cno, seq, sealed FROM retention_views ORDER BY cno LIMIT 1").query()
        #expect(try s.step())
        let (cno, seq, sealed) = (s.int(0), s.int(1), s.blob(2))
        let file = try #require(try RoleKeyFile.parse(Array(Data(contentsOf: retentionKey)), path: retentionKey.path))
        let (_, material) = try RoleKeyWhiteBoxTests.material(of: retentionKey, archive: base.dir)
        #expect(file.role == .retention)
        let sk = material[2].withUnsafeBytes { SecretKey.copying($0) }  // [secret, KEK, SK_retention, IK, AK, ADK]
        let id = try RoleKeyWhiteBoxTests.blob(k, "SELECT value FROM meta WHERE key = 'archive_id'")[0]
        #expect(SealedKey.open(sealed, ad: Archive.viewAD(archiveID: id, cno: cno, seq: seq), secret: sk) != nil, "it opens at its place")
        #expect(SealedKey.open(sealed, ad: Archive.viewAD(archiveID: id, cno: cno + 1, seq: seq), secret: sk) == nil, "and nowhere else")
    }

    /// A conversation's key row relabelled with another's tag: its view no longer matches, so the
    /// role names it as damaged and keeps its buckets (exit 8), and shreds the rest.
    @Test func aRelabelledConversationIsKeptAndNamed() throws {
        let a = try Harness.makeArchive("rr-tag")
        try a.importFixture("slack-sample")
        let (_, retentionKey) = try Self.keys(a)
        try a.sql(file: "keys.db", "UPDATE channel_keys SET tag = zeroblob(32) WHERE cno = 1")
        let r = try RoleImportTests.roleRun(a, retentionKey, ["retention", "plan", "--policy", Repository.policy("standard.yml").path, "--now", Self.now, "--json"])
        #expect(r.status == 8, "\(r.status) \(r.stderr)")
        #expect(r.stderr.contains("names another conversation than its key row"), "\(r.stderr)")
        let plan = try #require(r.json)
        let shredded = (plan["shred"] as? [[String: Any]] ?? []).compactMap { $0["channel_id"] as? String }
        #expect(!shredded.isEmpty && !shredded.contains("C05GENRL001"), "the relabelled conversation (#general, cno 1) is not in the plan: \(Set(shredded))")
    }

    /// A forget by the full key removes the forgotten person's days from the views too.
    @Test func aForgetLeavesNoTraceInTheViews() throws {
        let a = try Harness.makeArchive("rr-forget")
        try a.importFixture("slack-sample")
        let (_, retentionKey) = try Self.keys(a)
        try a.run(["forget", "--user", "U05C4R0L8MN", "--no-policy", "--reason", "test", "--yes"]).expectSuccess("forget carol")
        #expect(try a.run(["verify"]).status == 0, "the views agree with the rewritten segments")
        let (_, material) = try RoleKeyWhiteBoxTests.material(of: retentionKey, archive: a.dir)
        let sk = material[2].withUnsafeBytes { SecretKey.copying($0) }
        let k = try SQLiteDatabase(path: a.dir.appendingPathComponent("keys.db").path, options: [.readOnly])
        let id = try RoleKeyWhiteBoxTests.blob(k, "SELECT value FROM meta WHERE key = 'archive_id'")[0]
        let s = try k.statement("SELECT cno, seq, sealed FROM retention_views").query()
        var authors = Set<String>(), views = 0
        while try s.step() {
            let plain = try #require(SealedKey.open(s.blob(2), ad: Archive.viewAD(archiveID: id, cno: s.int(0), seq: s.int(1)), secret: sk))
            for b in try RetentionView.decode(plain).buckets.values { authors.formUnion(b.authorDays.keys) }
            views += 1
        }
        #expect(views > 5 && authors.contains("U05A1LC3K9P"), "\(views) views, authors \(authors)")
        #expect(!authors.contains("U05C4R0L8MN"), "the forgotten user is in no view")
        let r = try RoleImportTests.roleRun(a, retentionKey, ["retention", "plan", "--policy", try Self.holdPolicy(a.root), "--now", Self.now, "--json"])
        #expect(try Self.comparable(r) == Self.comparable(try a.run(["retention", "plan", "--policy", try Self.holdPolicy(a.root), "--now", Self.now, "--json"])))
    }

    /// kill -9 during a role-key apply: every bucket is intact or shredded; the next role-key apply
    /// completes without the full key, and the full key then reads a whole, verified archive.
    @Test func aRoleKeyApplyKilledAtRandomMomentsThenCompletes() throws {
        let scenario = try ShredScenario("rr-crash")
        let (root, policy, now, a, plan) = (scenario.root, scenario.policy.path, scenario.now, scenario.archive, scenario.plan)
        let retentionKey = root.appendingPathComponent("retention.key")
        try a.run(["key", "issue", "--role", "retention", "--out", retentionKey.path]).expectSuccess("issue retention key")
        let totalBefore = try a.stats().messages
        #expect(plan.buckets > 500)
        let roleApply = ["retention", "apply", "--policy", policy, "--now", now, "--key-file", retentionKey.path]
        let timing = root.appendingPathComponent("timing")
        try FileManager.default.copyItem(at: a.dir, to: timing)
        let t0 = Date()
        try Harness.run(roleApply, env: ["LETHE_ARCHIVE": timing.path]).expectSuccess("uninterrupted role-key apply")
        let duration = Date().timeIntervalSince(t0)
        var killed = 0
        for round in 0..<6 {
            let dir = root.appendingPathComponent("round\(round)")
            try FileManager.default.copyItem(at: a.dir, to: dir)
            let env = ["LETHE_ARCHIVE": dir.path, "PATH": "/usr/bin:/bin"]
            if try Harness.runKilled(roleApply, env: env, after: duration * (0.2 + 0.13 * Double(round))) { killed += 1 }
            let again = try Harness.run(roleApply + ["--json"], env: env)
            #expect(again.status == 0, "round \(round): the next role-key apply completes: \(again.stderr)")
            let full = a.env.merging(["LETHE_ARCHIVE": dir.path]) { $1 }
            let v = try Harness.run(["verify", "--json"], env: full)
            #expect(v.status == 0, "round \(round): \(v.stdout) \(v.stderr)")
            let after = try Harness.run(["stats", "--json"], env: full).decode(ArchiveStats.self)
            #expect(after.shreddedBuckets == plan.buckets && after.messages == totalBefore - plan.messages, "round \(round): \(after)")
            let keys = try SQLiteDatabase(path: dir.appendingPathComponent("keys.db").path, options: [.readOnly])
            #expect(try keys.scalarInt("SELECT COUNT(*) FROM pending_purge") == 0, "round \(round): the full key finished the purge")
            #expect(try Harness.run(["audit", "--verify"], env: full).status == 0)
        }
        print("RetentionRoleTests: \(killed) of 6 kills landed while the role-key apply ran (uninterrupted: \(String(format: "%.2f", duration)) s)")
        #expect(killed >= 3, "half the kills land while apply runs (\(killed) of 6)")
    }

    /// docs/FORMAT.md §9's view vector, computed independently (a Python encoder written from §2d).
    @Test func theViewEncodingIsTheDocumentedOne() throws {
        let v = RetentionView(tag: Array(0..<32), facts: .init(kind: .publicChannel, id: "C05GENRL001", name: "general", isArchived: false, memberIDs: []),
                              buckets: [19_844: .init(messages: 3, authorDays: ["U05A1LC3K9P": [19_844], "U05B0B7Q2XR": [19_844]]),
                                        19_845: .init(messages: 2, authorDays: ["U05A1LC3K9P": [19_845, 19_847]])])
        let documented = "0120000000000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f01060000007075626c69630b00000043303547454e524c303031010700000067656e6572616c0000020b00000055303541314c43334b39500b00000055303542304237513258520288b602030188b6020200010202028ab60204010003"
        #expect(v.encoded().hexString == documented)
        #expect(try RetentionView.decode(v.encoded()) == v)
    }

    /// The view encoding round-trips, and every malformed form is refused (not trusted).
    @Test func viewsRoundTripAndRefuseMalformedBytes() throws {
        var v = RetentionView(tag: [UInt8](repeating: 7, count: 32),
                              facts: .init(kind: .groupDM, id: "C0X", name: "mpdm-a--b-1", isArchived: true, memberIDs: ["U1", "U2"]), buckets: [:])
        v.buckets[20_000] = .init(messages: 3, authorDays: ["U1": [20_000], "B9": [20_000]])
        v.buckets[2_857] = .init(messages: 40, authorDays: ["U1": [20_000, 20_003, 20_030], "U2": [20_030]])  // a month bucket
        v.buckets[-5] = .init(messages: 1, authorDays: ["U2": [-5]])
        let bytes = v.encoded()
        #expect(try RetentionView.decode(bytes) == v)
        let delta = RetentionView(tag: v.tag, facts: nil, buckets: [20_000: .init(messages: 2, authorDays: ["U3": [20_000]])])
        #expect(try RetentionView.decode(delta.encoded()) == delta)
        let merged = try #require(RetentionView.merged([v, delta]))
        #expect(merged.facts == v.facts && merged.buckets[20_000]?.messages == 5 && merged.buckets[20_000]?.authorDays.keys.sorted() == ["B9", "U1", "U3"])
        for cut in 0..<bytes.count { #expect(throws: (any Error).self) { try RetentionView.decode(Array(bytes.prefix(cut))) } }
        #expect(throws: (any Error).self) { try RetentionView.decode(bytes + [0]) }
        var badVersion = bytes
        badVersion[0] = 2
        #expect(throws: (any Error).self) { try RetentionView.decode(badVersion) }
    }
}
