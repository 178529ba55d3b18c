import Foundation
import LetheTestSupport
import Testing
@testable import LetheCore

/// Upgrades on real archives of the older formats (Tests/Fixtures/archive-v1, -v2, -v3
/// -v5, -v6, -v7 and -v8, made by the lethe of that format): each up to the current format.
@Suite(.serialized) struct UpgradeTests {
    static let fixture = Repository.fixture("archive-v1")
    static let keyFile = Repository.fixture("archive-v1.key")
    static func fixture(version: Int) -> URL { Repository.fixture("archive-v\(version)") }
    static func keyFile(version: Int) -> URL { Repository.fixture("archive-v\(version).key") }
    static let policy = Repository.policy("standard.yml").path

    /// A copy of the format-1 archive; its env holds no passphrase (the key file opens it).
    static func copyFixture(_ name: String, version: Int = 1) throws -> TestArchive {
        let dir = Harness.tempDir(name).appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for f in ["keys.db", "data.db"] {
            try FileManager.default.copyItem(at: fixture(version: version).appendingPathComponent(f), to: dir.appendingPathComponent(f))
        }
        return TestArchive(dir: dir, env: ["LETHE_ARCHIVE": dir.path], keyFile: keyFile(version: version))
    }

    /// A meta value as the next opener will see it. After a kill inside the upgrade's
    /// transaction keys.db has a hot journal, which a read-only reader cannot roll back
    /// (SQLITE_READONLY_ROLLBACK): then the value is read from a copy rolled back there,
    /// so that the archive's own journal stays for lethe's next open to recover.
    static func meta(_ file: URL, _ key: String) throws -> String? {
        var path = file.path
        var options: SQLiteDatabase.OpenOptions = [.readOnly]
        if FileManager.default.fileExists(atPath: file.path + "-journal") {
            let copy = Harness.tempDir("meta-copy").appendingPathComponent(file.lastPathComponent)
            try FileManager.default.copyItem(atPath: file.path, toPath: copy.path)
            try FileManager.default.copyItem(atPath: file.path + "-journal", toPath: copy.path + "-journal")
            (path, options) = (copy.path, [.readWrite])
        }
        let db = try SQLiteDatabase(path: path, options: options)
        let s = try db.statement("SELECT value FROM meta WHERE key = ?").query(.text(key))
        return try s.step() ? String(decoding: s.blob(0), as: UTF8.self) : nil
    }

    /// The same history built fresh by this lethe: the upgraded archive must read exactly as it does.
    /// `adding`: the fixtures a later format's archive was given after the sample's update.
    static func freshExport(adding later: [String] = []) throws -> ExportTree {
        let a = try Harness.makeArchive("upgrade-fresh")
        try a.importFixture("slack-sample")
        #expect(try Harness.run(["retention", "apply", "--policy", policy, "--now", "2026-11-27T00:00:00Z"], env: a.env).status == 0)
        try a.importFixture("slack-sample-update")
        for fixture in later { try a.importFixture(fixture) }
        let out = Harness.tempDir("upgrade-fresh-out").appendingPathComponent("out")
        #expect(try Harness.run(["export", "--out", out.path], env: a.env).status == 0)
        return try ExportTree(out)
    }

    static func expectUpgradedAndWhole(_ a: TestArchive, expected: ExportTree, _ label: String) throws {
        let k = ["--key-file", a.keyFile.path]
        let v = try Harness.run(["verify"] + k, env: a.env)
        #expect(v.status == 0, "\(label): verify: \(v.stdout) \(v.stderr)")
        #expect(try meta(a.dir.appendingPathComponent("keys.db"), "format_version") == String(Schema.formatVersion), "\(label)")
        #expect(try meta(a.dir.appendingPathComponent("data.db"), "format_version") == String(Schema.formatVersion), "\(label)")
        #expect(try Harness.run(["audit", "--verify"] + k, env: a.env).status == 0, "\(label): audit chain")
        let out = Harness.tempDir("upgrade-out").appendingPathComponent("out")
        let e = try Harness.run(["export", "--out", out.path] + k, env: a.env)
        #expect(e.status == 0, "\(label): \(e.stderr)")
        let got = try ExportTree(out)
        #expect(got.days == expected.days, "\(label): the upgraded archive exports what a fresh one does")
        #expect(got.metadata == expected.metadata, "\(label): metadata")
    }

    @Test func formatOneArchiveIsUpgradedAtFirstOpen() throws {
        guard FileManager.default.fileExists(atPath: Self.fixture.appendingPathComponent("keys.db").path) else {
            Issue.record("the format-1 fixture is missing")
            return
        }
        let a = try Self.copyFixture("upgrade")
        let auditBefore = try SQLiteDatabase(path: a.dir.appendingPathComponent("keys.db").path, options: [.readOnly])
            .statement("SELECT entry FROM audit ORDER BY seq").query()
        var v1Entries: [String] = []
        while try auditBefore.step() { v1Entries.append(auditBefore.text(0)) }
        #expect(v1Entries.count == 1 && v1Entries[0].contains("C05"), "format 1 kept channel ids in the clear")

        // A reader's first open upgrades (it can have the archive to itself).
        let s = try Harness.run(["stats", "--json", "--key-file", Self.keyFile.path], env: a.env)
        #expect(s.status == 0, "\(s.stderr)")
        try Self.expectUpgradedAndWhole(a, expected: try Self.freshExport(), "upgraded")

        // The audit: the same shred, its channel details now sealed, readable with the key.
        let shown = try Harness.run(["audit", "--json", "--key-file", Self.keyFile.path], env: a.env)
        let entry = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        let old = try #require(try JSONSerialization.jsonObject(with: Data(v1Entries[0].utf8)) as? [String: Any])
        let oldShredded = try #require(old["shredded"] as? [[String: Any]], "format 1's entry lists its shreds")
        let channelIDs = try oldShredded.map { try #require($0["channel_id"] as? String, "each shred names its channel") }
        #expect(!channelIDs.isEmpty)
        #expect((entry["shredded"] as? [[String: Any]])?.map { $0["channel_id"] as? String } == channelIDs)
        #expect(try #require(entry["buckets"] as? Int) == old["buckets"] as? Int)
        let leaks = Harness.scan(a.dir, for: Set(channelIDs))
        #expect(leaks.isEmpty, "no Slack channel id left in the clear after the upgrade: \(leaks)")
        // The passphrase slot of format 1 still opens it.
        #expect(try Harness.run(["stats"], env: a.env.merging(["LETHE_PASSPHRASE": "correct horse battery staple"]) { $1 }).status == 0)
        // A writer works on the upgraded archive.
        #expect(try Harness.run(["retention", "apply", "--policy", Self.policy, "--key-file", Self.keyFile.path], env: a.env).status == 0)
    }

    @Test func formatTwoArchiveIsUpgradedAtFirstOpen() throws {
        let a = try Self.copyFixture("upgrade-v2", version: 2)
        let s = try Harness.run(["stats", "--json", "--key-file", a.keyFile.path], env: a.env)
        #expect(s.status == 0, "\(s.stderr)")
        try Self.expectUpgradedAndWhole(a, expected: try Self.freshExport(), "upgraded from 2")
        // What format 3 adds works on it: a forget, and an import that does not bring it back.
        let f = try a.run(["forget", "--user", "U05C4R0L8MN", "--no-policy", "--reason", "test", "--key-file", a.keyFile.path])
        #expect(f.status == 0, "\(f.stderr)")
        #expect(try a.run(["audit", "--verify", "--key-file", a.keyFile.path]).status == 0)
        // Format 5: the buckets the forget rewrote are compressed with the built-in dictionary
        // (header 0x07), the others stay as format 2 wrote them (0x02), and both read.
        let headers = try Self.segmentHeaders(a.dir.appendingPathComponent("data.db"))
        #expect(headers[0x07, default: 0] > 0 && headers[0x02, default: 0] > 0, "old and new segments side by side: \(headers)")
        #expect(Set(headers.keys).isSubset(of: [0x02, 0x07]), "\(headers)")
        let v = try a.run(["verify", "--key-file", a.keyFile.path])
        #expect(v.status == 0, "every segment, old and new, opens: \(v.stdout) \(v.stderr)")
    }

    /// How many segments of data.db carry each envelope header byte.
    static func segmentHeaders(_ dataDB: URL) throws -> [UInt8: Int] {
        let db = try SQLiteDatabase(path: dataDB.path, options: [.readOnly])
        let s = try db.statement("SELECT body FROM segments").query()
        var counts: [UInt8: Int] = [:]
        while try s.step() { counts[s.blob(0).first ?? 0, default: 0] += 1 }
        return counts
    }

    @Test func formatThreeArchiveIsUpgradedAtFirstOpen() throws {
        let a = try Self.copyFixture("upgrade-v3", version: 3)
        #expect(try Self.meta(a.dir.appendingPathComponent("keys.db"), "format_version") == "3")
        let s = try Harness.run(["stats", "--json", "--key-file", a.keyFile.path], env: a.env)
        #expect(s.status == 0, "\(s.stderr)")
        try Self.expectUpgradedAndWhole(a, expected: try Self.freshExport(), "upgraded from 3")
        // What format 4 adds works on it: role keys issued, refused where their role does not reach, revoked.
        let importKey = a.root.appendingPathComponent("import.key")
        let k = ["--key-file", a.keyFile.path]
        #expect(try a.run(["key", "issue", "--role", "import", "--out", importKey.path] + k).status == 0)
        #expect(try Harness.run(["search", "x", "--key-file", importKey.path], env: ["LETHE_ARCHIVE": a.dir.path]).status == 12)
        #expect(try a.run(["key", "revoke", "1"] + k).status == 0)
        #expect(try a.run(["audit", "--verify"] + k).status == 0)
        #expect(try a.run(["verify"] + k).status == 0)
    }

    /// Format 5 → 6 on an archive with a role-key import not yet folded in: the first full-key
    /// open computes the views from the segments, then folds the deltas in (their buckets'
    /// entries rewritten); the retention role then plans exactly as the full key, and the old
    /// import key still imports.
    @Test func formatFiveArchiveIsUpgradedAtFirstOpen() throws {
        let a = try Self.copyFixture("upgrade-v5", version: 5)
        let keys = a.dir.appendingPathComponent("keys.db")
        #expect(try Self.meta(keys, "format_version") == "5")
        #expect(try a.scalar(file: "keys.db", "SELECT COUNT(*) FROM delta_keys") == 7, "the fixture has a role-key import pending")
        let k = ["--key-file", a.keyFile.path]
        let retentionKey = a.root.appendingPathComponent("retention.key")
        let issued = try a.run(["key", "issue", "--role", "retention", "--out", retentionKey.path] + k)
        #expect(issued.status == 0, "\(issued.stderr)")
        #expect(issued.stderr.contains("folded in what role-key imports wrote: 7 delta segments"), "\(issued.stderr)")
        try Self.expectUpgradedAndWhole(a, expected: try Self.freshExport(), "upgraded from 5")
        #expect(try a.scalar(file: "keys.db", "SELECT COUNT(*) FROM retention_views WHERE seq = 0")! >= 6)
        let args = ["retention", "plan", "--policy", Self.policy, "--now", "2027-06-01T00:00:00Z", "--json"]
        let full = try a.run(args + k).expectSuccess("full-key plan")
        let role = try Harness.run(args + ["--key-file", retentionKey.path], env: ["LETHE_ARCHIVE": a.dir.path]).expectSuccess("role plan")
        #expect(try RetentionRoleTests.comparable(role) == RetentionRoleTests.comparable(full))
        let again = try Harness.run(["import", "--json", "--key-file", Repository.fixture("archive-v5-import.key").path, Repository.fixture("slack-sample-update").path],
                                    env: ["LETHE_ARCHIVE": a.dir.path]).expectSuccess("the format-5 import key imports into format 6")
        #expect(try again.decode(ImportReport.self).messagesDeferred == 0, "nothing new")
        #expect(try a.run(["verify"] + k).status == 0)
    }

    /// kill -9 at random moments of the first open: keys.db is in one format or the next,
    /// never between, and the next open finishes the upgrade to exactly the same archive.
    /// Format 6 → 7 (attachments): keys.db changes only its version, data.db gains the two
    /// attachment tables; the upgraded archive reads as a fresh one and then takes files.
    @Test func formatSixArchiveIsUpgradedAtFirstOpen() throws {
        let a = try Self.copyFixture("upgrade-v6", version: 6)
        #expect(try Self.meta(a.dir.appendingPathComponent("keys.db"), "format_version") == "6")
        #expect(try a.scalar(file: "data.db", "SELECT COUNT(*) FROM sqlite_master WHERE name = 'attachments'") == 0)
        let k = ["--key-file", a.keyFile.path]
        try Self.expectUpgradedAndWhole(a, expected: try Self.freshExport(), "upgraded from 6")
        #expect(try a.scalar(file: "data.db", "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('attachments', 'attachment_chunks')") == 2)
        let r = try Harness.run(["import", "--json"] + k + [Repository.fixture("slack-files").path], env: a.env).expectSuccess("import with files")
        #expect(try r.decode(ImportReport.self).filesAdded == 7)
        #expect(try Harness.run(["verify"] + k, env: a.env).status == 0)
    }

    /// Format 7 → 8 (Grid workspaces): the archive reads as the same history built fresh, files
    /// included; records written before stay version 1 and a Grid import beside them is version 2.
    @Test func formatSevenArchiveIsUpgradedAtFirstOpen() throws {
        let a = try Self.copyFixture("upgrade-v7", version: 7)
        #expect(try Self.meta(a.dir.appendingPathComponent("keys.db"), "format_version") == "7")
        let k = ["--key-file", a.keyFile.path]
        try Self.expectUpgradedAndWhole(a, expected: try Self.freshExport(adding: ["slack-files"]), "upgraded from 7")
        #expect(try Harness.run(["stats", "--json"] + k, env: a.env).expectSuccess("stats").decode(ArchiveStats.self).files == 8)

        let grid = try GridExportTests.write("grid-into-v7", GridExportTests.files)
        let r = try Harness.run(["import", "--json"] + k + [grid.path], env: a.env).expectSuccess("Grid import into the upgraded archive")
        #expect(try r.decode(ImportReport.self).messagesAdded == 9)
        let hits = try Harness.run(["search", "pricing in:acme-sales/#eng-sales", "--json"] + k, env: a.env).expectSuccess("search")
        #expect(try hits.decodeLines(SearchHit.self).count == 2)
        #expect(try Harness.run(["verify"] + k, env: a.env).status == 0)
    }

    /// Format 8 → 9 only raises the version: the archive reads as before, and then takes a
    /// modern export's canvases, lists and file conversations (items, docs/FORMAT.md §4c).
    @Test func formatEightArchiveIsUpgradedAtFirstOpen() throws {
        let a = try Self.copyFixture("upgrade-v8", version: 8)
        #expect(try Self.meta(a.dir.appendingPathComponent("keys.db"), "format_version") == "8")
        let k = ["--key-file", a.keyFile.path]
        try Self.expectUpgradedAndWhole(a, expected: try Self.freshExport(adding: ["slack-files", "slack-grid"]), "upgraded from 8")
        #expect(try Harness.run(["stats", "--json"] + k, env: a.env).expectSuccess("stats").decode(ArchiveStats.self).files == 8)
        let hits = try Harness.run(["search", "quasar in:acme-sales/#general", "--json"] + k, env: a.env).expectSuccess("search")
        #expect(try hits.decodeLines(SearchHit.self).count == 1, "the format-8 Grid import reads as it did")

        let r = try Harness.run(["import", "--json"] + k + [Repository.fixture("slack-canvases").path], env: a.env).expectSuccess("a modern export into the upgraded archive")
        #expect(try r.decode(ImportReport.self).itemsAdded == 9)
        let canvas = try Harness.run(["search", "persimmonpalette", "--json"] + k, env: a.env).expectSuccess("search")
        #expect(try canvas.decodeLines(SearchHit.self).map(\.channelID) == ["C0CANVDES2"])
        #expect(try Harness.run(["verify"] + k, env: a.env).status == 0)
    }

    @Test func upgradeKilledAtRandomMomentsIsAllOrNothing() throws {
        let expected = try Self.freshExport()
        var rng = SplitMix64(seed: 0x1e7e_0002)
        var landed = 0, rounds = 0
        for round in 0..<15 {
            let from = round < 5 ? 1 : round < 8 ? 2 : round < 10 ? 3 : round < 13 ? 5 : 6
            let fixtureKeys = try Data(contentsOf: Self.fixture(version: from).appendingPathComponent("keys.db"))
            let a = try Self.copyFixture("upgrade-kill-\(round)", version: from)
            let journal = a.dir.appendingPathComponent("keys.db-journal")
            // Half the kills count from the moment keys.db's journal appears (the upgrade's transaction).
            let aimed = round % 2 == 0
            let delay = aimed ? Double(rng.next() % 3000) / 1_000_000 : Double(rng.next() % 60_000) / 1_000_000
            let killed = try Harness.runKilled(["stats", "--key-file", a.keyFile.path], env: a.env, after: delay, whenExists: aimed ? journal : nil)
            rounds += 1
            if killed { landed += 1 }
            let version = try Self.meta(a.dir.appendingPathComponent("keys.db"), "format_version")
            #expect(["1", "2", "3", "4", "5", "6", "7", "8", "9"].contains(version ?? "") && Int(version ?? "") ?? 0 >= from,
                    "round \(round): keys.db is in one format or a later one (\(version ?? "nil"))")
            if version == String(from) && !FileManager.default.fileExists(atPath: journal.path) {
                // (With a hot journal, keys.db is mid-transaction until the next open rolls it back.)
                #expect(try Data(contentsOf: a.dir.appendingPathComponent("keys.db")) == fixtureKeys, "round \(round): not upgraded means untouched")
            }
            let again = try Harness.run(["stats", "--key-file", a.keyFile.path], env: a.env)
            #expect(again.status == 0, "round \(round): the next open completes: \(again.stderr)")
            try Self.expectUpgradedAndWhole(a, expected: expected, "round \(round) (killed: \(killed), delay \(delay))")
        }
        print("UpgradeTests: \(landed) of \(rounds) kills landed while lethe ran")
        #expect(landed >= 3, "at least 3 kills landed mid-run (\(landed))")
    }
}
