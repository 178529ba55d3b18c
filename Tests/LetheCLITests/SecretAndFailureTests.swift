import Foundation
import LetheTestSupport
import Testing
@testable import LetheCore

/// Wrong secrets, missing archives, newer formats, tampering: distinct errors, files unchanged.
@Suite(.serialized) struct SecretAndFailureTests {
    func importedArchive(_ name: String) throws -> TestArchive {
        let a = try Harness.makeArchive(name)
        try a.importFixture("slack-sample")
        return a
    }

    @Test func wrongPassphraseFailsWithCode3AndChangesNothing() throws {
        let a = try importedArchive("wp")
        let before = Harness.snapshot(a.dir)
        for cmd in [["stats"], ["import", Repository.fixture("slack-sample").path], ["verify"], ["export", "--out", a.root.appendingPathComponent("o").path]] {
            let r = try Harness.run(cmd, env: ["LETHE_ARCHIVE": a.dir.path, "LETHE_PASSPHRASE": "wrong horse"])
            #expect(r.status == 3, "\(cmd[0]): \(r.stderr)")
            #expect(r.stderr.contains("lethe: error: the passphrase does not open this archive"))
            #expect(!r.stderr.contains("wrong horse"), "the secret is never echoed")
        }
        #expect(Harness.snapshot(a.dir) == before, "every file byte-for-byte as it was, and no file added")
    }

    @Test func wrongKeyFileFailsWithCode3AndChangesNothing() throws {
        let a = try importedArchive("wk")
        let other = try Harness.makeArchive("wk2")
        let before = Harness.snapshot(a.dir)
        let r = try Harness.run(["stats", "--key-file", other.keyFile.path], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(r.status == 3)
        #expect(r.stderr.contains("the key file does not open this archive"))
        let garbage = a.root.appendingPathComponent("garbage")
        try Data("not a key".utf8).write(to: garbage)
        let g = try Harness.run(["stats", "--key-file", garbage.path], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(g.status == 3)
        #expect(g.stderr.contains("is not a lethe key file"))
        #expect(Harness.snapshot(a.dir) == before)
    }

    @Test func missingArchiveIsCode4() throws {
        let dir = Harness.tempDir("none").appendingPathComponent("nothing-here")
        let r = try Harness.run(["stats"], env: ["LETHE_ARCHIVE": dir.path, "LETHE_PASSPHRASE": "x"])
        #expect(r.status == 4)
        #expect(r.stderr.contains("no archive at"))
        #expect(!FileManager.default.fileExists(atPath: dir.path), "nothing is created")
        let empty = Harness.tempDir("empty")
        let r2 = try Harness.run(["stats"], env: ["LETHE_ARCHIVE": empty.path, "LETHE_PASSPHRASE": "x"])
        #expect(r2.status == 4)
        #expect(r2.stderr.contains("keys.db is missing"))
    }

    @Test func newerFormatIsCode5AndUntouched() throws {
        let a = try importedArchive("nf")
        try a.sql(file: "keys.db", "UPDATE meta SET value = CAST('\(Schema.formatVersion + 1)' AS BLOB) WHERE key = 'format_version'")
        let before = Harness.snapshot(a.dir)
        let r = try Harness.run(["stats"], env: a.env)
        #expect(r.status == 5, "\(r.stderr)")
        #expect(r.stderr.contains("written by a newer lethe"))
        let r2 = try a.run(["import", Repository.fixture("slack-sample").path])
        #expect(r2.status == 5)
        #expect(Harness.snapshot(a.dir) == before)
    }

    @Test func flippedCiphertextByteIsReportedWithChannelAndBucket() throws {
        let a = try importedArchive("tamper")
        let (cno, bucket): (Int64, Int64)
        do {
            let db = try SQLiteDatabase(path: a.dir.appendingPathComponent("data.db").path, options: [.readWrite])
            let s = try db.statement("SELECT cno, bucket, body FROM segments ORDER BY cno, bucket LIMIT 1 OFFSET 1")
            #expect(try s.step())
            cno = s.int(0)
            bucket = s.int(1)
            var body = s.blob(2)
            body[body.count / 2] ^= 0x01
            s.reset()
            try db.statement("UPDATE segments SET body = ? WHERE cno = ? AND bucket = ?").run(.blob(body), .int(cno), .int(bucket))
        }
        let r = try a.run(["verify", "--json"])
        #expect(r.status == 8, "\(r.stderr)")
        let report = try r.decode(VerifyReport.self)
        #expect(!report.ok)
        let failure = try #require(report.failures.first, "\(r.stdout)")
        #expect(report.failures.count == 1)
        let label = BucketScheme.day.label(of: bucket)
        #expect(failure.bucket == label)
        #expect(failure.channelID?.isEmpty == false, "names the channel")
        #expect(failure.reason.contains("does not authenticate"))
        // export refuses rather than writing garbage
        let out = a.root.appendingPathComponent("o")
        let e = try Harness.run(["export", "--out", out.path], env: a.env)
        #expect(e.status == 8)
        #expect(e.stderr.contains(label))
    }

    @Test func archiveFilesHoldNoPlaintext() throws {
        let exports = Harness.exportFolders()
        #expect(!exports.isEmpty, "at least the repository's own fixtures must be found")
        for export in exports {
            let a = try Harness.makeArchive("scan")
            try a.importExport(export)
            let needles = try Self.sensitiveStrings(export)
            #expect(needles.count > 20, "\(export.lastPathComponent): the scan looks for enough strings (\(needles.count))")
            let found = Harness.scan(a.dir, for: needles)
            #expect(found.isEmpty, "\(export.lastPathComponent): plaintext found in archive files: \(found.prefix(5))")
        }
    }

    /// Message words, user and channel names and file names of an export, long enough not to occur by chance.
    static func sensitiveStrings(_ export: URL) throws -> Set<String> {
        // Lethe's own vocabulary (schema, meta keys, the lock file's "pid N, lethe import, since …") is not user content.
        let schemaText = Schema.keystore + Schema.data + Schema.keystorePragmas + Schema.dataPragmas
            + " format_version archive_id bucket_scheme created_at next_cno directory lethe import export verify stats since"
        var out = Set<String>()
        func add(_ s: String?) {
            guard let s, s.utf8.count >= 7, !schemaText.contains(s) else { return }
            out.insert(s)
        }
        let tree = try ExportTree(export)
        for (_, list) in tree.metadata {
            for case let o as NSDictionary in list {
                add(o["name"] as? String)
                add(o["real_name"] as? String)
                add((o["purpose"] as? NSDictionary)?["value"] as? String)
            }
        }
        for (_, msgs) in tree.days {
            for (_, m) in msgs {
                for w in ((m["text"] as? String) ?? "").split(whereSeparator: { $0.isWhitespace || $0.isPunctuation }) { add(String(w)) }
                for case let f as NSDictionary in (m["files"] as? NSArray) ?? [] { add(f["name"] as? String) }
            }
        }
        return out
    }
}

/// A broken export fails the import with a clear error, and the archive is exactly as it was.
@Suite(.serialized) struct HostileImportTests {
    @Test func corruptDayFileFailsAndLeavesTheArchiveUntouched() throws {
        let root = Harness.tempDir("hostile")
        let good = root.appendingPathComponent("good")
        try SyntheticExport.write(to: good, channels: 2, days: 5, perDay: 5)
        let a = try Harness.makeArchive("hostile")
        try a.importExport(good)
        let bad = root.appendingPathComponent("bad")
        try SyntheticExport.write(to: bad, channels: 3, days: 30, perDay: 5, seed: 9)
        try Data("[{\"ts\": \"1704100000.000001\", \"text\": \"unterminated".utf8)
            .write(to: bad.appendingPathComponent("chan-2/2024-01-30.json"))
        let before = Harness.snapshot(a.dir)
        let r = try Harness.run(["import", bad.path], env: a.env)
        #expect(r.status == 9, "\(r.stderr)")
        #expect(r.stderr.contains("chan-2/2024-01-30.json"), "names the file: \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").first?.hasPrefix("lethe: error: ") == true)
        #expect(Harness.snapshot(a.dir) == before, "every archive file as it was")

        let missing = try Harness.run(["import", root.appendingPathComponent("nope.zip").path], env: a.env)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("nope.zip"))
        #expect(Harness.snapshot(a.dir) == before)
    }

    @Test func strictFailsOnASkippedRecord() throws {
        let root = Harness.tempDir("strict")
        let export = root.appendingPathComponent("e")
        try SyntheticExport.write(to: export, channels: 1, days: 3, perDay: 3)
        try Data(#"[{"type":"message","text":"no ts here"},{"type":"message","ts":"1704200000.000100","text":"ok"}]"#.utf8)
            .write(to: export.appendingPathComponent("chan-0/2024-01-02.json"))
        let a = try Harness.makeArchive("strict")
        let before = Harness.snapshot(a.dir)
        let s = try Harness.run(["import", "--strict", export.path], env: a.env)
        #expect(s.status == 9, "\(s.stderr)")
        #expect(s.stderr.contains("missing \"ts\""))
        #expect(Harness.snapshot(a.dir) == before)
        let lenient = try a.importExport(export)
        #expect(lenient.messagesSkippedInvalid == 1)
        #expect(lenient.warnings.contains { $0.contains("chan-0/2024-01-02.json") }, "\(lenient.warnings)")
    }
}

/// Swapped, moved, truncated and rolled-back records are each reported by verify (exit 8).
@Suite(.serialized) struct TamperTests {
    func fresh(_ name: String) throws -> TestArchive {
        let a = try Harness.makeArchive(name)
        try a.importFixture("slack-sample")
        return a
    }

    /// verify, and every command that reads the damaged record (export, a search that reaches
    /// it), exit 8 with a one-line error naming the channel; they do their work on the rest
    /// (one bad record never locks the archive): export writes every other message, and
    /// nothing of the damaged bucket.
    func expectVerifyFails(_ a: TestArchive, _ what: String) throws {
        let v = try a.run(["verify", "--json"])
        #expect(v.status == 8, "\(what): \(v.stdout) \(v.stderr)")
        let report = try v.decode(VerifyReport.self)
        #expect(!report.failures.isEmpty, "\(what)")
        let out = a.root.appendingPathComponent("export-out")
        let e = try a.run(["export", "--out", out.path, "--json"])
        #expect(e.status == 8, "\(what): export: \(e.stderr)")
        #expect(e.stderr.hasPrefix("lethe: error: channel "), "\(what): export names the channel: \(e.stderr)")
        #expect(try e.decode(ExportReport.self).messages == report.messages, "\(what): export writes exactly the messages that verify: \(e.stdout)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out.deletingLastPathComponent().path).filter { $0.contains("lethe-partial") }
        #expect(leftovers.isEmpty, "\(what): staging folder removed: \(leftovers)")
        let s = try Harness.run(["search", "the", "--limit", "100000"], env: a.env)
        #expect(s.status == 8, "\(what): search: \(s.stderr)")
        #expect(s.stderr.hasPrefix("lethe: error: channel "), "\(what): search names the channel: \(s.stderr)")
        #expect(s.stdout.contains("result"), "\(what): search shows what it found elsewhere: \(s.stdout.suffix(200))")
    }

    /// Swaps the bodies of two segment rows of data.db.
    func swapSegments(_ a: TestArchive, sameChannel: Bool) throws {
        let db = try SQLiteDatabase(path: a.dir.appendingPathComponent("data.db").path, options: [.readWrite])
        let s = try db.statement("SELECT cno, bucket, body FROM segments ORDER BY cno, bucket")
        var rows: [(Int64, Int64, [UInt8])] = []
        while try s.step() { rows.append((s.int(0), s.int(1), s.blob(2))) }
        s.reset()
        let other = try #require(rows.dropFirst().first { ($0.0 == rows[0].0) == sameChannel })
        try db.statement("UPDATE segments SET body = ? WHERE cno = ? AND bucket = ?").run(.blob(other.2), .int(rows[0].0), .int(rows[0].1))
        try db.statement("UPDATE segments SET body = ? WHERE cno = ? AND bucket = ?").run(.blob(rows[0].2), .int(other.0), .int(other.1))
    }

    @Test func swappedCiphertextsBetweenChannels() throws {
        let a = try fresh("swap")
        try swapSegments(a, sameChannel: false)
        try expectVerifyFails(a, "bodies swapped between two channels")
    }

    /// A bucket holds a day's messages sealed together: swapping two messages means swapping
    /// (parts of) bucket bodies, and the AD binds each body to its channel, bucket and count.
    @Test func swappedCiphertextsBetweenBucketsOfOneChannel() throws {
        let a = try fresh("swapb")
        try swapSegments(a, sameChannel: true)
        try expectVerifyFails(a, "bodies swapped between two days of one channel")
    }

    @Test func bucketKeyMovedToAnotherChannel() throws {
        let a = try fresh("move")
        do {
            let db = try SQLiteDatabase(path: a.dir.appendingPathComponent("keys.db").path, options: [.readWrite])
            let s = try db.statement("SELECT cno, bucket, wrapped FROM bucket_keys ORDER BY cno, bucket")
            var rows: [(Int64, Int64, [UInt8])] = []
            while try s.step() { rows.append((s.int(0), s.int(1), s.blob(2))) }
            s.reset()
            let other = try #require(rows.first { $0.0 != rows[0].0 })
            try db.statement("UPDATE bucket_keys SET wrapped = ? WHERE cno = ? AND bucket = ?").run(.blob(other.2), .int(rows[0].0), .int(rows[0].1))
        }
        try expectVerifyFails(a, "a wrapped bucket key copied from another channel")
    }

    @Test func truncatedRecord() throws {
        let a = try fresh("trunc")
        try a.sql(file: "data.db", "UPDATE segments SET body = substr(body, 1, length(body) - 7) WHERE rowid = (SELECT MIN(rowid) FROM segments)")
        try expectVerifyFails(a, "a truncated segment")
    }

    @Test func rolledBackKeystoreIsDetected() throws {
        let a = try fresh("rollback")
        let keys = a.dir.appendingPathComponent("keys.db")
        let old = try Data(contentsOf: keys)
        try a.importFixture("slack-sample-update")
        try old.write(to: keys)  // keys.db from before the second import, data.db from after it
        try expectVerifyFails(a, "keys.db rolled back behind data.db")
    }
}
