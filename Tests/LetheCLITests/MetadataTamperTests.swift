import Foundation
import LetheTestSupport
import Testing
@testable import LetheCore

/// The writer adversary (docs/SECURITY.md): someone who can change the archive files but
/// holds no secret. Each test makes one change to plaintext metadata a decision reads, with
/// plain SQL, then runs the real binary: what writes or shreds refuses with exit 8 naming
/// what was altered and changes nothing; what reads reads on; `verify` reports it.
@Suite(.serialized) struct MetadataTamperTests {
    static let now = "2026-11-27T00:00:00Z"
    static let policy = Repository.policy("standard.yml").path

    func imported(_ name: String, bucket: String = "day") throws -> TestArchive {
        let a = try Harness.makeArchive(name, initArgs: ["--bucket", bucket])
        try a.importFixture("slack-sample")
        return a
    }

    func count(_ a: TestArchive, _ file: String, _ query: String) throws -> Int64 {
        try #require(try a.scalar(file: file, query), "\(file): \(query) returns a row")
    }

    func apply(_ a: TestArchive) throws -> Harness.Result {
        try Harness.run(["retention", "apply", "--policy", Self.policy, "--now", Self.now, "--json"], env: a.env)
    }

    /// The shred is refused (exit 8, naming `what`) and keys.db's keys, tombstones and audit stay as they were.
    func expectShredRefused(_ a: TestArchive, naming what: String, _ label: String) throws {
        let before = try keystoreRows(a)
        let r = try apply(a)
        #expect(r.status == 8, "\(label): apply must refuse: \(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains(what), "\(label): apply names \(what): \(r.stderr)")
        #expect(try keystoreRows(a) == before, "\(label): nothing shredded")
        let p = try Harness.run(["retention", "plan", "--policy", Self.policy, "--now", Self.now], env: a.env)
        #expect(p.status == 8, "\(label): plan refuses too: \(p.stderr)")
        let v = try a.run(["verify", "--json"])
        #expect(v.status == 8, "\(label): verify fails: \(v.stdout) \(v.stderr)")
        let report = try v.decode(VerifyReport.self)
        #expect(report.failures.contains { $0.reason.contains(what) }, "\(label): verify reports \(what): \(v.stdout)")
    }

    func keystoreRows(_ a: TestArchive) throws -> [Int64] {
        try ["SELECT COUNT(*) FROM bucket_keys", "SELECT COUNT(*) FROM channel_keys", "SELECT COUNT(*) FROM tombstones", "SELECT COUNT(*) FROM audit"]
            .map { try count(a, "keys.db", $0) }
    }

    func messages(_ a: TestArchive) throws -> Int64 {
        try count(a, "data.db", "SELECT COALESCE(SUM(messages), 0) FROM segments")
    }

    // 1. bucket_scheme
    @Test func alteredBucketSchemeIsRefusedBeforeAnythingIsShredded() throws {
        let a = try imported("scheme", bucket: "month")
        let honest = try Harness.run(["retention", "plan", "--policy", Self.policy, "--now", Self.now, "--json"], env: a.env)
        let honestBuckets = try honest.decode(RetentionPlan.self).buckets
        #expect(honestBuckets > 0, "the honest plan shreds something")
        try a.sql(file: "keys.db", "UPDATE meta SET value = CAST('day' AS BLOB) WHERE key = 'bucket_scheme'")
        try expectShredRefused(a, naming: "bucket_scheme", "month read as day")
        // Readers go on with the authenticated scheme, and say so.
        let s = try Harness.run(["search", "roadmap"], env: a.env)
        #expect(s.status == 0 && s.stderr.contains("bucket_scheme"), "\(s.stdout) \(s.stderr)")
        // Put back, the same apply shreds what the honest plan said.
        try a.sql(file: "keys.db", "UPDATE meta SET value = CAST('month' AS BLOB) WHERE key = 'bucket_scheme'")
        let r = try apply(a)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try ApplyReport(r).result.buckets == honestBuckets, "\(r.stdout)")
    }

    func swapChannelTags(_ a: TestArchive, _ x: Int64, _ y: Int64) throws {
        let db = try SQLiteDatabase(path: a.dir.appendingPathComponent("keys.db").path, options: [.readWrite])
        func tag(_ cno: Int64) throws -> [UInt8] {
            let s = try db.statement("SELECT tag FROM channel_keys WHERE cno = ?").query(.int(cno))
            defer { s.reset() }
            return try s.step() ? s.blob(0) : []
        }
        let tx = try tag(x), ty = try tag(y)
        try db.statement("UPDATE channel_keys SET tag = X'00' WHERE cno = ?").run(.int(x))
        try db.statement("UPDATE channel_keys SET tag = ? WHERE cno = ?").run(.blob(tx), .int(y))
        try db.statement("UPDATE channel_keys SET tag = ? WHERE cno = ?").run(.blob(ty), .int(x))
    }

    // 2. channel tag ↔ cno
    @Test func swappedChannelTagsAreRefusedByImportAndRetention() throws {
        let a = try imported("tags")
        let messagesBefore = try messages(a)
        try swapChannelTags(a, 1, 2)
        let i = try Harness.run(["import", Repository.fixture("slack-sample-update").path], env: a.env)
        #expect(i.status == 8, "the nightly import must not write one channel's messages under another's number: \(i.stderr)")
        #expect(try messages(a) == messagesBefore, "the import changed nothing")
        // Retention shreds what it can authenticate and nothing of the two relabelled
        // conversations (their keys do not open with the swapped tags), then names them.
        let keysOf = "SELECT COUNT(*) FROM bucket_keys WHERE cno IN (1, 2)"
        let heldBefore = try count(a, "keys.db", keysOf)
        let r = try apply(a)
        #expect(r.status == 8 && r.stderr.contains("tag"), "\(r.stderr)")
        #expect(try count(a, "keys.db", keysOf) == heldBefore, "no key of the two swapped conversations destroyed")
        let v = try Harness.run(["verify"], env: a.env)
        #expect(v.status == 8 && v.stderr.contains("tag"), "verify names the tag: \(v.stderr)")
        // Reading goes on for the other conversations: results, and the two damaged ones named.
        let s = try Harness.run(["search", "the", "--limit", "1000"], env: a.env)
        #expect(s.status == 8 && s.stdout.contains("result"), "\(s.stdout) \(s.stderr)")
        // Swapped back, the archive is whole and the import runs.
        try swapChannelTags(a, 1, 2)
        #expect(try Harness.run(["verify"], env: a.env).status == 0)
        try a.importFixture("slack-sample-update")
    }

    // 3. a damaged kept record in an epoch that a shred touches
    @Test func aDamagedKeptBucketIsQuarantinedAndTheShredCompletes() throws {
        let a = try imported("quarantine")
        // Which buckets the policy expires: from a shredded copy (the plan lists days, not cnos).
        let copy = try a.copy("quarantine-copy")
        func segments(_ dir: URL) throws -> Set<[Int64]> {
            let db = try SQLiteDatabase(path: dir.appendingPathComponent("data.db").path, options: [.readOnly])
            let s = try db.statement("SELECT cno, bucket FROM segments").query()
            var out = Set<[Int64]>()
            while try s.step() { out.insert([s.int(0), s.int(1)]) }
            return out
        }
        let all = try segments(a.dir)
        #expect(try copy.run(["retention", "apply", "--policy", Self.policy, "--now", Self.now]).status == 0)
        let kept = try segments(copy.dir)
        #expect(!kept.isEmpty && kept.count < all.count, "the policy expires some buckets and keeps others")
        let expired = all.subtracting(kept)
        let victim = try #require(kept.sorted { $0.lexicographicallyPrecedes($1) }.first { k in
            expired.contains { $0[0] == k[0] && IndexFilter.epoch(of: $0[1]) == IndexFilter.epoch(of: k[1]) }
        }, "a kept bucket sharing an epoch with an expired one")
        try a.sql(file: "data.db", "UPDATE segments SET body = substr(body, 1, 40) || X'FF' || substr(body, 42) WHERE cno = \(victim[0]) AND bucket = \(victim[1])")

        let r = try apply(a)
        #expect(r.status == 8, "the shred completes, then names the damaged bucket: \(r.stdout) \(r.stderr)")
        let label = BucketScheme.day.label(of: victim[1])
        #expect(r.stderr.contains(label), "names bucket \(label): \(r.stderr)")
        let result = try ApplyReport(r).result
        #expect(result.buckets == expired.count, "every expired bucket shredded: \(r.stdout)")
        #expect(try segments(a.dir) == kept, "the damaged bucket is kept (quarantined), everything expired is gone")
        // The archive is usable: nothing pending, the shredded terms gone from the filters,
        // readers and writers work and name the one damaged bucket.
        #expect(try count(a, "keys.db", "SELECT COUNT(*) FROM pending_purge") == 0)
        #expect(try Harness.run(["stats"], env: a.env).status == 0)
        let v = try Harness.run(["verify", "--json"], env: a.env)
        #expect(v.status == 8, "\(v.stdout) \(v.stderr)")
        #expect(try v.decode(VerifyReport.self).failures.count == 1, "exactly the one bucket: \(v.stdout)")
        let out = Harness.tempDir("quarantine-export").appendingPathComponent("out")
        let e = try Harness.run(["export", "--out", out.path], env: a.env)
        #expect(e.status == 8 && e.stderr.contains(label), "\(e.stderr)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("users.json").path), "the rest is exported")
        // Writers go on: exit 0, or 8 naming only that bucket when they reach it.
        let i = try Harness.run(["import", Repository.fixture("slack-sample-update").path], env: a.env)
        #expect(i.status == 0 || (i.status == 8 && i.stderr.contains(label)), "\(i.stderr)")
        let again = try Harness.run(["retention", "apply", "--policy", Self.policy, "--now", Self.now], env: a.env)
        #expect(again.status == 0 || (again.status == 8 && again.stderr.contains(label)), "\(again.stderr)")
    }

    // 4. audit truncation
    @Test func deletedAuditEntriesAreDetected() throws {
        let a = try imported("audit")
        #expect(try apply(a).status == 0)
        try a.importFixture("slack-sample-update")
        #expect(try Harness.run(["retention", "apply", "--policy", Self.policy, "--now", "2027-06-01T00:00:00Z"], env: a.env).status == 0)
        for (label, statement) in [("the last entry", "DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)"), ("every entry", "DELETE FROM audit")] {
            let t = try a.copy("audit-copy")
            try t.sql(file: "keys.db", statement)
            let av = try Harness.run(["audit", "--verify"], env: t.env)
            #expect(av.status == 8, "\(label) deleted: audit --verify must fail: \(av.stdout) \(av.stderr)")
            let shown = try Harness.run(["audit"], env: t.env)
            #expect(!shown.stdout.contains("No shreds recorded") || shown.stderr.contains("audit"), "\(label): `lethe audit` warns: \(shown.stderr)")
            try expectShredRefused(t, naming: "audit", "\(label) deleted")
        }
    }

    // 5. tombstones
    @Test func deletedOrForgedTombstonesAreRefused() throws {
        let a = try imported("tomb")
        #expect(try apply(a).status == 0)
        let kept = try messages(a)
        // Deleted: a re-import of the old export would bring the shredded days back.
        let t1 = try copyOf(a, "tomb-deleted")
        try t1.sql(file: "keys.db", "DELETE FROM tombstones")
        let i1 = try Harness.run(["import", Repository.fixture("slack-sample").path], env: t1.env)
        #expect(i1.status == 8 && i1.stderr.contains("tombstones deleted"), "\(i1.stderr)")
        #expect(try messages(t1) == kept, "nothing resurrected")
        try expectShredRefused(t1, naming: "tombstones", "tombstones deleted")
        // Forged: a tombstone on a live bucket would make the import drop its new messages.
        let t2 = try copyOf(a, "tomb-forged")
        try t2.sql(file: "keys.db", """
            INSERT INTO tombstones(tag, bucket, shredded_at, rule)
            SELECT c.tag, b.bucket, 0, 'forged' FROM channel_keys c JOIN bucket_keys b ON b.cno = c.cno LIMIT 3
            """)
        let i2 = try Harness.run(["import", Repository.fixture("slack-sample-update").path], env: t2.env)
        #expect(i2.status == 8 && i2.stderr.contains("tombstones forged"), "\(i2.stderr)")
        try expectShredRefused(t2, naming: "tombstones", "tombstones forged")
        // A forged pending purge would make the next writer delete live ciphertext.
        let t3 = try copyOf(a, "pending-forged")
        try t3.sql(file: "keys.db", "INSERT INTO pending_purge(cno, bucket) SELECT cno, bucket FROM bucket_keys LIMIT 2")
        let before = try messages(t3)
        let s = try Harness.run(["stats"], env: t3.env)
        #expect(s.stderr.contains("pending purges"), "\(s.stderr)")
        #expect(try messages(t3) == before, "no ciphertext deleted on the forged notes' word")
        try expectShredRefused(t3, naming: "pending purges", "pending purge forged")
    }

    func copyOf(_ a: TestArchive, _ name: String) throws -> TestArchive { try a.copy(name) }

    // 6. format parameters
    @Test func outOfRangeFormatParametersAreRefused() throws {
        let a = try imported("params")
        for version in ["0", "-7"] {
            let t = try copyOf(a, "version")
            try t.sql(file: "keys.db", "UPDATE meta SET value = CAST('\(version)' AS BLOB) WHERE key = 'format_version'")
            let r = try Harness.run(["stats"], env: t.env)
            #expect(r.status == 8 && r.stderr.contains("format_version \(version)"), "format_version \(version): \(r.stderr)")
        }
        // A downgraded version number on a format-2 keystore is seen, not "upgraded".
        let down = try copyOf(a, "downgrade")
        try down.sql(file: "keys.db", "UPDATE meta SET value = CAST('1' AS BLOB) WHERE key = 'format_version'")
        let d = try Harness.run(["import", Repository.fixture("slack-sample-update").path], env: down.env)
        #expect(d.status == 8 && d.stderr.contains("format_version"), "\(d.stderr)")
        // Argon2id limits of 2^32-1 would make unlocking hang: refused before Argon2id runs.
        let slow = try copyOf(a, "kdf")
        try slow.sql(file: "keys.db", "UPDATE slots SET ops_limit = 4294967295 WHERE kind = 'passphrase'")
        let started = Date()
        var env = slow.env
        env["LETHE_PASSPHRASE"] = "correct horse battery staple"
        let r = try Harness.run(["stats"], env: env)
        #expect(r.status == 8 && r.stderr.contains("Argon2id"), "\(r.stderr)")
        #expect(Date().timeIntervalSince(started) < 30, "refused without running Argon2id")
        #expect(try Harness.run(["stats", "--key-file", slow.keyFile.path], env: slow.env.filter { $0.key != "LETHE_PASSPHRASE" }).status == 0,
                "the key file still opens the archive")
    }

    // 8. metadata linking: what keys.db and an old data.db backup give someone without a secret
    @Test func noSlackIdentifierIsInTheClearAfterShredsEvenWithAnOldDataBackup() throws {
        let a = try imported("links")
        let backup = Harness.tempDir("links-backup")
        try FileManager.default.copyItem(at: a.dir.appendingPathComponent("data.db"), to: backup.appendingPathComponent("data.db"))
        #expect(try apply(a).status == 0)
        try a.importFixture("slack-sample-update")
        #expect(try Harness.run(["retention", "apply", "--policy", Self.policy, "--now", "2027-06-01T00:00:00Z"], env: a.env).status == 0)
        // Every Slack id and name of the exports: channels, users, their names.
        var needles = Set<String>()
        for export in ["slack-sample", "slack-sample-update"] {
            let tree = try ExportTree(Repository.fixture(export))
            for (_, list) in tree.metadata {
                for case let o as NSDictionary in list {
                    for key in ["id", "name", "real_name", "user"] { if let v = o[key] as? String, v.count >= 4 { needles.insert(v) } }
                }
            }
        }
        #expect(needles.count >= 20, "\(needles.count) identifiers to look for")
        let live = Harness.scan(a.dir, for: needles)
        #expect(live.isEmpty, "keys.db and data.db name no Slack channel or user: \(live.prefix(5))")
        let old = Harness.scan(backup, for: needles)
        #expect(old.isEmpty, "nor does an old data.db backup: \(old.prefix(5))")
        // With a secret, the audit still says which channels were shredded.
        let shown = try Harness.run(["audit", "--json"], env: a.env)
        #expect(shown.stdout.contains("\"channel_id\":\"C05"), "\(shown.stdout.prefix(300))")
    }
}
