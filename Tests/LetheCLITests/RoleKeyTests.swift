import Foundation
import LetheTestSupport
import Testing
@testable import LetheCore

/// Role keys (issue #12, docs/SECURITY.md "Role keys"): issued, listed and revoked with the
/// full secret; a role key is refused, with exit 12 and nothing changed, by every command its
/// role does not allow; a revoked, altered or foreign role key opens nothing (exit 3).
@Suite(.serialized) struct RoleKeyTests {
    static let roleRefused: Int32 = 12

    /// An archive with the sample imported, and an import and a retention key issued.
    static func archiveWithRoleKeys(_ name: String) throws -> (TestArchive, importKey: URL, retentionKey: URL) {
        let a = try Harness.makeArchive(name)
        try a.importFixture("slack-sample")
        let importKey = a.root.appendingPathComponent("import.key"), retentionKey = a.root.appendingPathComponent("retention.key")
        try a.run(["key", "issue", "--role", "import", "--out", importKey.path]).expectSuccess("key issue --role import")
        try a.run(["key", "issue", "--role", "retention", "--out", retentionKey.path]).expectSuccess("key issue --role retention")
        return (a, importKey, retentionKey)
    }

    /// Runs with only the role key: no passphrase in the environment.
    static func runWithRoleKey(_ a: TestArchive, _ key: URL, _ args: [String]) throws -> Harness.Result {
        try Harness.run(args + ["--key-file", key.path], env: ["LETHE_ARCHIVE": a.dir.path])
    }

    @Test func issuedRoleKeysAreListedAuditedAndPrivate() throws {
        let (a, importKey, retentionKey) = try Self.archiveWithRoleKeys("rk-issue")
        for (file, role) in [(importKey, "import"), (retentionKey, "retention")] {
            let text = try String(contentsOf: file, encoding: .utf8)
            let lines = text.split(separator: "\n")
            #expect(lines.count == 2 && lines[0].hasPrefix("# lethe role key: \(role).") && lines[0].contains(a.scalarHex("archive_id")),
                    "the first line names the role and the archive: \(lines.first ?? "")")
            #expect(lines[1].hasPrefix("lethe-rolekey-v1:\(role):"))
            var st = stat()
            #expect(stat(file.path, &st) == 0 && st.st_mode & 0o777 == 0o600, "\(role) key file is mode 0600")
        }
        let listing = try a.run(["key", "list", "--json"]).expectSuccess("key list").decode(KeyListing.self)
        #expect(listing.roleKeys.map(\.role) == ["import", "retention"])
        #expect(listing.roleKeys.allSatisfy { $0.revokedAt == nil })
        #expect(listing.slots.map(\.kind).sorted() == ["keyfile", "passphrase"], "the slots are listed beside them")
        let text = try a.run(["key", "list"]).stdout
        #expect(text.contains("role key 1  import") && text.contains("role key 2  retention"))

        let entries = try a.run(["audit", "--json"]).expectSuccess("audit").stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let issued = entries.compactMap { $0["role_key"] as? [String: Any] }
        #expect(entries.map { $0["kind"] as? String } == ["role-key", "role-key"])
        #expect(issued.map { "\($0["action"] ?? "") \($0["id"] ?? "") \($0["role"] ?? "")" } == ["issue 1 import", "issue 2 retention"])
        #expect(try a.run(["audit", "--verify"]).status == 0)
        #expect(try a.run(["verify"]).status == 0)

        // Never replaces a file, and a second issue gets a new id.
        let again = try a.run(["key", "issue", "--role", "import", "--out", importKey.path])
        #expect(again.status == 64 && again.stderr.contains("already exists"))
        let third = a.root.appendingPathComponent("import-2.key")
        try a.run(["key", "issue", "--role", "import", "--out", third.path]).expectSuccess("second import key")
        #expect(try a.run(["key", "list", "--json"]).decode(KeyListing.self).roleKeys.map(\.id) == [1, 2, 3])
    }

    /// What issue #12 lists: with import.key, search, export, verify, stats, retention and key
    /// commands are refused; with retention.key, search, export and import. Exit 12, and every
    /// file byte for byte as it was.
    @Test func aRoleKeyIsRefusedByEveryCommandItsRoleDoesNotAllow() throws {
        let (a, importKey, retentionKey) = try Self.archiveWithRoleKeys("rk-refuse")
        let export = Repository.fixture("slack-sample-update").path
        let policy = Repository.policy("standard.yml").path
        let out = a.root.appendingPathComponent("out").path
        let anyone: [[String]] = [["search", "budget"], ["export", "--out", out], ["verify"], ["stats"], ["key", "list"],
                                  ["key", "issue", "--role", "import", "--out", a.root.appendingPathComponent("x.key").path],
                                  ["key", "revoke", "1"], ["key", "remove", "1"],
                                  ["forget", "--user", "U05C4R0L8MN", "--no-policy", "--reason", "t", "--yes"],
                                  ["export", "--out", out, "--format", "rsmf", "--channel", "general"]]
        let refusedForImport = anyone + [["retention", "plan", "--policy", policy], ["retention", "apply", "--policy", policy],
                                         ["policy", "check", policy], ["audit"], ["audit", "--verify"]]
        let refusedForRetention = anyone + [["import", export]]
        let before = Harness.snapshot(a.dir)
        for (key, commands, role) in [(importKey, refusedForImport, "an import"), (retentionKey, refusedForRetention, "a retention")] {
            for cmd in commands {
                let r = try Self.runWithRoleKey(a, key, cmd)
                #expect(r.status == Self.roleRefused, "\(cmd.joined(separator: " ")) with \(role) key: exit \(r.status): \(r.stderr)")
                #expect(r.stderr.contains("this key's role does not allow that command") && r.stderr.contains("is \(role) key"),
                        "\(cmd.first ?? ""): \(r.stderr)")
            }
        }
        #expect(Harness.snapshot(a.dir) == before, "refused commands change nothing: every file byte for byte as it was")
        #expect(!FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: a.root.appendingPathComponent("x.key").path))
        // The passphrase beside a role key does not turn it into the full key: the role key is used alone.
        let withPass = try a.run(["search", "budget", "--key-file", importKey.path])
        #expect(withPass.status == Self.roleRefused, "\(withPass.stderr)")
        // `lethe help exit-codes` lists the new code.
        let help = try Harness.run(["help", "exit-codes"])
        #expect(help.stdout.contains("12") && help.stdout.contains("this key's role does not allow that command"), "\(help.stdout)")
    }

    @Test func aRevokedRoleKeyOpensNothingAndTheRevocationIsAudited() throws {
        let (a, importKey, retentionKey) = try Self.archiveWithRoleKeys("rk-revoke")
        let wrappedBefore = try #require(try a.blob(file: "keys.db", "SELECT wrapped FROM role_keys WHERE id = 1"))
        let r = try a.run(["key", "revoke", "1", "--json"]).expectSuccess("key revoke 1")
        #expect(r.json?["audit_seq"] as? Int == 3)
        let listing = try a.run(["key", "list", "--json"]).decode(KeyListing.self)
        #expect(listing.roleKeys.map { $0.revokedAt != nil } == [true, false])
        #expect(try a.blob(file: "keys.db", "SELECT wrapped FROM role_keys WHERE id = 1")?.isEmpty == true, "the material is destroyed")
        #expect(!Harness.contains(try Array(Data(contentsOf: a.dir.appendingPathComponent("keys.db"))), wrappedBefore),
                "no copy of the revoked key's wrapped material is left in keys.db (secure_delete)")

        let before = Harness.snapshot(a.dir)
        for cmd in [["import", Repository.fixture("slack-sample-update").path], ["search", "budget"]] {
            let refused = try Self.runWithRoleKey(a, importKey, cmd)
            #expect(refused.status == 3, "\(cmd[0]) with a revoked key: \(refused.stderr)")
            #expect(refused.stderr.contains("role key 1 (import) was revoked on"), "\(refused.stderr)")
        }
        #expect(Harness.snapshot(a.dir) == before)
        let audit = try a.run(["audit", "--json"]).stdout.split(separator: "\n").last.map { String($0) } ?? ""
        #expect(audit.contains(#""action":"revoke","id":1,"role":"import""#), "\(audit)")
        #expect(try a.run(["audit", "--verify"]).status == 0)
        let twice = try a.run(["key", "revoke", "1"])
        #expect(twice.status == 64 && twice.stderr.contains("already revoked"))
        #expect(try a.run(["key", "revoke", "9"]).status == 64)
        // The other role key still opens (its role's own refusals prove it unlocked).
        #expect(try Self.runWithRoleKey(a, retentionKey, ["search", "x"]).status == Self.roleRefused)

        // The revoked row put back from a copy taken before (no key needed to write keys.db):
        // the manifest shows it, verify exits 8 naming the role keys.
        try a.sql(file: "keys.db", "UPDATE role_keys SET revoked_at = NULL, wrapped = x'\(wrappedBefore.map { String(format: "%02x", $0) }.joined())' WHERE id = 1")
        let v = try a.run(["verify"])
        #expect(v.status == 8 && (v.stdout + v.stderr).contains("role keys"), "\(v.stdout) \(v.stderr)")
        let w = try a.run(["key", "issue", "--role", "import", "--out", a.root.appendingPathComponent("new.key").path])
        #expect(w.status == 8, "a writer refuses an altered keystore: \(w.stderr)")
    }

    @Test func anAlteredOrForeignRoleKeyOpensNothing() throws {
        let (a, importKey, _) = try Self.archiveWithRoleKeys("rk-alter")
        let before = Harness.snapshot(a.dir)
        let text = try String(contentsOf: importKey, encoding: .utf8)
        func variant(_ name: String, _ body: String) throws -> URL {
            let u = a.root.appendingPathComponent(name)
            try body.write(to: u, atomically: true, encoding: .utf8)
            chmod(u.path, 0o600)
            return u
        }
        // The role changed from import to retention: the role is bound in the material's AD.
        let promoted = try variant("promoted.key", text.replacingOccurrences(of: "lethe-rolekey-v1:import:1:", with: "lethe-rolekey-v1:retention:1:"))
        let p = try Self.runWithRoleKey(a, promoted, ["retention", "plan", "--policy", Repository.policy("standard.yml").path])
        #expect(p.status == 3 && p.stderr.contains("does not open this archive"), "\(p.stderr)")
        // Pointed at the retention key's row.
        let moved = try variant("moved.key", text.replacingOccurrences(of: "lethe-rolekey-v1:import:1:", with: "lethe-rolekey-v1:import:2:"))
        #expect(try Self.runWithRoleKey(a, moved, ["import", Repository.fixture("slack-sample").path]).status == 3)
        // A malformed line.
        let broken = try variant("broken.key", "# lethe role key: import.\nlethe-rolekey-v1:import:x:abc\n")
        let b = try Self.runWithRoleKey(a, broken, ["import", Repository.fixture("slack-sample").path])
        #expect(b.status == 3 && b.stderr.contains("not a valid lethe role key file"), "\(b.stderr)")
        // Another archive's role key.
        let other = try Harness.makeArchive("rk-other")
        let otherKey = other.root.appendingPathComponent("import.key")
        try other.run(["key", "issue", "--role", "import", "--out", otherKey.path]).expectSuccess("issue on the other archive")
        #expect(try Self.runWithRoleKey(a, otherKey, ["import", Repository.fixture("slack-sample").path]).status == 3)
        #expect(Harness.snapshot(a.dir) == before, "no file changed")
    }
}

extension TestArchive {
    /// One blob of a query on an archive file, read-only.
    func blob(file: String, _ query: String) throws -> [UInt8]? {
        let db = try SQLiteDatabase(path: dir.appendingPathComponent(file).path, options: [.readOnly])
        let s = try db.statement(query).query()
        return try s.step() ? s.blob(0) : nil
    }

    /// A keys.db meta value as hex (the archive id).
    func scalarHex(_ key: String) -> String {
        ((try? blob(file: "keys.db", "SELECT value FROM meta WHERE key = '\(key)'")) ?? nil)?.map { String(format: "%02x", $0) }.joined() ?? ""
    }
}
