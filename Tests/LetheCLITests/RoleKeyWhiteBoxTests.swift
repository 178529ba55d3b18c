import Foundation
import LetheTestSupport
import Testing
@testable import LetheCore

/// Issue #12's white-box test: take only what `import.key` and `retention.key` contain, plus
/// every file of the archive; try every key they hold, and every key those open in turn,
/// against every envelope and sealed value the archive holds, each with the associated data
/// docs/FORMAT.md gives for its place (§2b, §2c, §3). Nothing opens but each file's own
/// material — and, for the retention key, the audit entries' sealed details (it holds ADK to
/// write and read them) and the retention views it plans from (docs/SECURITY.md "Role keys"):
/// no segment, delta segment, record, filter or key, for either.
@Suite(.serialized) struct RoleKeyWhiteBoxTests {
    /// What a role key file opens: its own material's keys (the file's secret and KEK besides).
    static func material(of file: URL, archive: URL) throws -> (id: Int64, keys: [[UInt8]]) {
        let text = try Array(Data(contentsOf: file))
        let role = try #require(try RoleKeyFile.parse(text, path: file.path))
        let keys = try SQLiteDatabase(path: archive.appendingPathComponent("keys.db").path, options: [.readOnly])
        let archiveID = try Self.blob(keys, "SELECT value FROM meta WHERE key = 'archive_id'")[0]
        let wrapped = try Self.blob(keys, "SELECT wrapped FROM role_keys WHERE id = \(role.id)")[0]
        let kek = Archive.roleKeyKEK(role.secret, archiveID: archiveID)
        let opened = try #require(AEAD.open(wrapped, ad: Archive.roleKeyAD(archiveID: archiveID, id: role.id, role: role.role), key: kek),
                                  "the file opens its own material")
        let m = opened.plaintext
        var out = [role.secret.withUnsafeBytes { Array($0) }, kek.withUnsafeBytes { Array($0) }]
        for i in 0..<Int(m[2]) { out.append(Array(m[(3 + 32 * i)..<(3 + 32 * (i + 1))])) }
        return (role.id, out)
    }

    static func blob(_ db: SQLiteDatabase, _ sql: String) throws -> [[UInt8]] {
        let s = try db.statement(sql).query()
        var out: [[UInt8]] = []
        while try s.step() { out.append(s.blob(0)) }
        return out
    }

    /// One thing to try: an AEAD envelope or a value sealed to the archive, with its AD.
    struct Target {
        var what: String
        var bytes: [UInt8]
        var ad: [UInt8]
        /// Whether what it holds is a key (then an opened one joins the ring).
        var holdsKey: Bool
    }

    /// Every envelope and sealed value of both files, with the AD of its place.
    static func targets(_ dir: URL, exceptRoleKey own: Int64) throws -> [Target] {
        let k = try SQLiteDatabase(path: dir.appendingPathComponent("keys.db").path, options: [.readOnly])
        let d = try SQLiteDatabase(path: dir.appendingPathComponent("data.db").path, options: [.readOnly])
        let id = try blob(k, "SELECT value FROM meta WHERE key = 'archive_id'")[0]
        func ad(_ p: Envelope.Purpose, _ f: Int64...) -> [UInt8] {
            var a = Envelope.magic + [p.rawValue] + id
            for v in f { for s in stride(from: 56, through: 0, by: -8) { a.append(UInt8(truncatingIfNeeded: UInt64(bitPattern: v) >> UInt64(s))) } }
            return a
        }
        var out: [Target] = []
        func rows(_ db: SQLiteDatabase, _ sql: String, _ body: (SQLiteStatement) throws -> Void) throws {
            let s = try db.statement(sql).query()
            while try s.step() { try body(s) }
        }
        try rows(k, "SELECT id, wrapped FROM slots") { out.append(Target(what: "slot \($0.int(0))", bytes: $0.blob(1), ad: ad(.slot, $0.int(0)), holdsKey: true)) }
        try rows(k, "SELECT name, wrapped FROM archive_keys") { s in
            let name = s.text(0)
            let a = name == "directory" ? ad(.directoryKey) : ad(.roleSecret, name == "import" ? 1 : 2)
            out.append(Target(what: "archive key \(name)", bytes: s.blob(1), ad: a, holdsKey: true))
        }
        try rows(k, "SELECT cno, tag, wrapped FROM channel_keys") { s in
            out.append(Target(what: "channel key \(s.int(0))", bytes: s.blob(2), ad: ad(.channelKey, s.int(0)) + s.blob(1), holdsKey: true))
        }
        try rows(k, "SELECT cno, bucket, wrapped FROM bucket_keys") { s in
            out.append(Target(what: "bucket key \(s.int(0))/\(s.int(1))", bytes: s.blob(2), ad: ad(.bucketKey, s.int(0), s.int(1)), holdsKey: true))
        }
        try rows(k, "SELECT cno, bucket, wrapped FROM rewrite_keys") { s in
            out.append(Target(what: "rewrite key", bytes: s.blob(2), ad: ad(.bucketKey, s.int(0), s.int(1)), holdsKey: true))
        }
        try rows(k, "SELECT cno, bucket, seq, sealed FROM delta_keys") { s in
            out.append(Target(what: "delta key \(s.int(0))/\(s.int(1))/\(s.int(2))", bytes: s.blob(3), ad: ad(.deltaKey, s.int(0), s.int(1), s.int(2)), holdsKey: true))
        }
        try rows(k, "SELECT id, role, wrapped FROM role_keys") { s in
            guard s.int(0) != own else { return }
            out.append(Target(what: "role key \(s.int(0))'s material", bytes: s.blob(2), ad: ad(.roleKey, s.int(0), s.text(1) == "import" ? 1 : 2), holdsKey: false))
        }
        if try k.scalarInt("SELECT COUNT(*) FROM sqlite_master WHERE name = 'retention_views'") == 1 {
            try rows(k, "SELECT cno, seq, sealed FROM retention_views") { s in
                out.append(Target(what: "retention view \(s.int(0))/\(s.int(1))", bytes: s.blob(2), ad: ad(.retentionView, s.int(0), s.int(1)), holdsKey: false))
            }
        }
        try rows(k, "SELECT seq, entry FROM audit") { s in
            if let obj = try? JSONSerialization.jsonObject(with: Data(s.text(1).utf8)) as? [String: Any], let detail = obj["detail"] as? String,
               let bytes = Data(base64Encoded: detail) {
                out.append(Target(what: "audit detail \(s.int(0))", bytes: Array(bytes), ad: ad(.auditDetail, s.int(0)), holdsKey: false))
            }
        }
        try rows(d, "SELECT cno, record FROM channels") { out.append(Target(what: "channel record \($0.int(0))", bytes: $0.blob(1), ad: ad(.channelMeta, $0.int(0)), holdsKey: false)) }
        try rows(d, "SELECT uno, record FROM users") { out.append(Target(what: "user \($0.int(0))", bytes: $0.blob(1), ad: ad(.user, $0.int(0)), holdsKey: false)) }
        try rows(d, "SELECT cno, bucket, messages, body FROM segments") { s in
            out.append(Target(what: "segment \(s.int(0))/\(s.int(1))", bytes: s.blob(3), ad: ad(.segment, s.int(0), s.int(1), s.int(2)), holdsKey: false))
        }
        try rows(d, "SELECT epoch, cno, body FROM filters") { s in
            out.append(Target(what: "filter \(s.int(1))/\(s.int(0))", bytes: s.blob(2), ad: ad(.filter, s.int(1), s.int(0)), holdsKey: false))
        }
        try rows(d, "SELECT cno, bucket, seq, messages, body FROM deltas") { s in
            out.append(Target(what: "delta segment \(s.int(0))/\(s.int(1))/\(s.int(2))", bytes: s.blob(4), ad: ad(.deltaSegment, s.int(0), s.int(1), s.int(2), s.int(3)), holdsKey: false))
        }
        try rows(d, "SELECT seq, kind, cno, body FROM record_deltas") { s in
            out.append(Target(what: "record delta \(s.int(0))", bytes: s.blob(3), ad: ad(.recordDelta, s.int(1), s.int(2), s.int(0)), holdsKey: false))
        }
        return out
    }

    /// Tries every key of the ring on every target, as an AEAD key and as an X25519 secret key,
    /// adding each key that opens to the ring, until nothing more opens. Returns what opened.
    static func attack(_ dir: URL, ring start: [[UInt8]], own: Int64) throws -> (opened: [String], tried: Int) {
        var ring = start
        var opened: [String] = []
        var remaining = try targets(dir, exceptRoleKey: own)
        let total = remaining.count
        var progress = true
        while progress {
            progress = false
            for (i, t) in remaining.enumerated().reversed() {
                for k in ring {
                    let key = k.withUnsafeBytes { SecretKey.copying($0) }
                    let plain: [UInt8]? = SealedKey.isSealed(t.bytes) ? SealedKey.open(t.bytes, ad: t.ad, secret: key) : AEAD.open(t.bytes, ad: t.ad, key: key)?.plaintext
                    if let plain {
                        opened.append(t.what)
                        if t.holdsKey && plain.count == 32 { ring.append(plain) }
                        remaining.remove(at: i)
                        progress = true
                        break
                    }
                }
            }
        }
        return (opened, total)
    }

    static func expectNothingOpens(_ a: TestArchive, keys: [URL], _ step: String) throws {
        for file in keys {
            let (own, ring) = try material(of: file, archive: a.dir)
            let (opened, tried) = try attack(a.dir, ring: ring, own: own)
            #expect(tried > 20, "\(step): the archive has envelopes to try (\(tried))")
            // The retention role reads the audit's sealed details and the retention views (format 6), nothing else.
            let allowed = file.lastPathComponent == "retention.key" ? opened.filter { $0.hasPrefix("audit detail") || $0.hasPrefix("retention view") } : []
            #expect(opened.count == allowed.count, "\(step): \(file.lastPathComponent)'s \(ring.count) keys open \(opened)")
            if file.lastPathComponent == "retention.key" {
                let views = try a.scalar(file: "keys.db", "SELECT COUNT(*) FROM retention_views") ?? 0
                #expect(opened.filter { $0.hasPrefix("retention view") }.count == Int(views), "\(step): the retention key opens every view (\(views)), as it must to plan")
            }
        }
        // The attack itself opens things when it should: with the archive's key file, segments open.
        let full = try KeyFile.load(a.keyFile)
        let id = try blob(try SQLiteDatabase(path: a.dir.appendingPathComponent("keys.db").path, options: [.readOnly]), "SELECT value FROM meta WHERE key = 'archive_id'")[0]
        let kek = Archive.keyFileKEK(full, archiveID: id).withUnsafeBytes { Array($0) }
        let (opened, _) = try attack(a.dir, ring: [kek], own: 0)
        #expect(opened.contains { $0.hasPrefix("segment") } && opened.contains { $0.hasPrefix("channel key") }, "\(step): the same attack with the full key file's KEK opens the archive (\(opened.count) opened)")
    }

    @Test func roleKeysOpenNothingOfTheArchiveAtAnyStep() throws {
        let a = try Harness.makeArchive("whitebox")
        try a.importFixture("slack-sample")
        let importKey = a.root.appendingPathComponent("import.key"), retentionKey = a.root.appendingPathComponent("retention.key")
        try a.run(["key", "issue", "--role", "import", "--out", importKey.path]).expectSuccess("issue import")
        try a.run(["key", "issue", "--role", "retention", "--out", retentionKey.path]).expectSuccess("issue retention")
        try Self.expectNothingOpens(a, keys: [importKey, retentionKey], "after a full-key import")

        try RoleImportTests.roleRun(a, importKey, ["import", try RoleImportTests.exportB(a.root).path]).expectSuccess("role-key import")
        #expect(try a.scalar(file: "data.db", "SELECT COUNT(*) FROM deltas")! > 0)
        try Self.expectNothingOpens(a, keys: [importKey, retentionKey], "after a role-key import (deltas, sealed keys and records present)")

        try a.run(["compact"]).expectSuccess("compact")
        try Self.expectNothingOpens(a, keys: [importKey, retentionKey], "after compaction")

        try RoleImportTests.roleRun(a, retentionKey, ["retention", "apply", "--policy", Repository.policy("standard.yml").path, "--now", "2026-03-01T00:00:00Z"])
            .expectSuccess("role-key apply")
        try Self.expectNothingOpens(a, keys: [importKey, retentionKey], "after a role-key shred")
        try a.run(["retention", "apply", "--policy", Repository.policy("standard.yml").path, "--now", "2026-11-27T00:00:00Z"]).expectSuccess("apply")
        try a.run(["forget", "--user", "U05C4R0L8MN", "--no-policy", "--reason", "white-box", "--yes"]).expectSuccess("forget")
        try Self.expectNothingOpens(a, keys: [importKey, retentionKey], "after a shred and a forget")
    }
}
