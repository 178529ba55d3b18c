import Foundation
import Testing
import ZIPFoundation
@testable import LetheCore
import LetheTestSupport

/// Attached files (format 7) on the real binary: both of slackdump's layouts round-trip byte
/// for byte, nothing of them is readable in the archive's files, and retention, forget and a
/// writer who tampers with data.db treat them as they treat messages.
@Suite struct AttachmentTests {
    static let standard = Repository.fixture("slack-files")
    static let mattermost = Repository.fixture("slack-files-mattermost")

    /// Strings and a byte run that each occur in one attached file of the fixtures and nowhere else.
    static let planted = ["PLUMTREE-LANTERN-4411", "MARMOSET-LEDGER-9", "ZEBRAQUOKKA-PDF-77"]
    static func pngRun() throws -> [UInt8] {
        let png = try [UInt8](Data(contentsOf: standard.appendingPathComponent("design/attachments/F0PNG00001-diagram.png")))
        return Array(png[200..<232])
    }

    /// Every attachment of a fixture: path relative to the export → bytes (the stray file no message shares left out).
    static func attachments(_ export: URL) -> [String: Data] {
        Harness.snapshot(export).filter { ($0.key.contains("/attachments/") || $0.key.hasPrefix("/__uploads/")) && !$0.key.contains("STRAY") }
    }

    static func exportAll(_ a: TestArchive, _ name: String, _ extra: [String] = []) throws -> URL {
        let out = a.root.appendingPathComponent(name)
        try a.run(["export", "--out", out.path] + extra).expectSuccess("lethe export \(extra)")
        return out
    }

    /// Every file below `dir` that holds any of the planted strings or the PNG's run.
    static func plaintextFound(in dir: URL) throws -> [String] {
        let run = try pngRun()
        return Harness.snapshot(dir).compactMap { path, data in
            let bytes = [UInt8](data)
            return planted.contains(where: { Harness.contains(bytes, Array($0.utf8)) }) || Harness.contains(bytes, run) ? path : nil
        }
    }

    @Test(arguments: ["slack-files", "slack-files-mattermost"])
    func layoutRoundTripsByteIdentical(_ fixture: String) throws {
        let export = Repository.fixture(fixture)
        let a = try Harness.makeArchive("files-\(fixture)")
        let strict = try a.run(["import", "--strict", export.path])
        #expect(strict.status == 9, "--strict fails (a size that disagrees, an attachment no message shares): \(strict.stderr)")
        #expect(try a.stats().messages == 0, "and leaves the archive as it was")
        let report = try a.importExport(export)
        #expect(report.filesAdded == 7 && report.filesDeduplicated == 1, "two ids with the same bytes in one bucket: stored once")
        #expect(report.filesMissing == 1, "F0GONE0001 is shared but not in the export")
        #expect(report.filesUnread.map(\.path).contains { $0.contains("F0STRAY001") }, "a file no message shares is named: \(report.filesUnread)")
        #expect(report.warnings.contains { $0.contains("F0SIZE0001") && $0.contains("999") }, "a size that disagrees with files[].size is warned about")
        let stats = try a.stats()
        #expect(stats.formatVersion == Schema.formatVersion && stats.files == 8 && stats.filesMissing == 1 && stats.fileBytes > 0)

        let out = try Self.exportAll(a, "out")
        let expected = Self.attachments(export)
        #expect(expected.count == (fixture == "slack-files" ? 8 : 7), "the mattermost layout holds a file shared in two channels once")
        #expect(Self.attachments(out) == expected, "every file comes back byte-identical, where it was")

        // Re-importing adds nothing.
        let again = try a.importExport(export)
        #expect(again.filesAdded == 0 && again.filesUnchanged == 8 && again.bucketsWritten == 0)
        #expect(try a.stats().files == 8)

        // The archive holds none of the files' plaintext; verify opens every chunk.
        #expect(try Self.plaintextFound(in: a.dir) == [])
        let verify = try a.run(["verify", "--json"]).expectSuccess("verify").decode(VerifyReport.self)
        #expect(verify.ok && verify.files == 8)
    }

    @Test func zipExportAndLayoutConversion() throws {
        let zip = Harness.tempDir("files-zip").appendingPathComponent("export.zip")
        try FileManager.default.zipItem(at: Self.standard, to: zip, shouldKeepParent: false)
        let a = try Harness.makeArchive("files-zip-archive")
        #expect(try a.importExport(zip).filesAdded == 7)
        // --files-layout mattermost writes every file under __uploads/<ID>/<name>.
        let converted = Self.attachments(try Self.exportAll(a, "mm", ["--files-layout", "mattermost"]))
        #expect(converted == Self.attachments(Self.mattermost), "the same files, byte for byte, in the other layout")
        // --no-files writes the messages only.
        let bare = try Self.exportAll(a, "bare", ["--no-files"])
        #expect(Self.attachments(bare).isEmpty)
        #expect(FileManager.default.fileExists(atPath: bare.appendingPathComponent("design/2024-03-04.json").path))
    }

    @Test func searchMatchesTextFilesContents() throws {
        let a = try Harness.makeArchive("files-search")
        try a.importExport(Self.standard)
        func hits(_ q: String) throws -> [LetheTestSupport.SearchHit] {
            try a.run(["search", "--json", q]).expectSuccess("search \(q)").decodeLines(LetheTestSupport.SearchHit.self)
        }
        let words = try hits("plumtree")
        #expect(words.count == 1 && words.first?.channel == "#legal" && words.first?.text.hasPrefix("Minutes attached") == true && words.first?.text.contains("PLUMTREE") == false,
                "a word of a text file finds its message, shown by its own text: \(words)")
        #expect(try hits("\"plumtree lantern\"").count == 1)
        #expect(try hits("marmoset in:#design").count == 1, "a CSV is text")
        #expect(try hits("zebraquokka").isEmpty, "a PDF's bytes are not indexed as text")
        #expect(try hits("contract has:file").count == 1, "file names match, as before")
    }

    /// The retention job shreds a bucket's files with it: gone from the export, from every
    /// archive file, and a copy of data.db taken before the shred opens none of them with the
    /// keys.db of after.
    @Test func retentionShredsFilesWithTheirBuckets() throws {
        let a = try Harness.makeArchive("files-retention")
        try a.importExport(Self.standard)
        let before = a.root.appendingPathComponent("data-before.db")
        try a.run(["verify"]).expectSuccess("checkpoint")
        try FileManager.default.copyItem(at: a.dir.appendingPathComponent("data.db"), to: before)
        let policy = a.root.appendingPathComponent("p.yml")
        try Data("""
            version: 1
            default:
              keep: forever
            rules:
              - name: legal-30d
                match:
                  channels: ["legal"]
                keep: 30d
            """.utf8).write(to: policy)
        try a.run(["retention", "apply", "--policy", policy.path, "--now", "2025-01-01"]).expectSuccess("retention apply")
        let out = Self.attachments(try Self.exportAll(a, "after"))
        #expect(out.keys.sorted() == Self.attachments(Self.standard).keys.filter { $0.hasPrefix("/design/") }.sorted(), "design's files stay, legal's go")
        #expect(try a.scalar(file: "data.db", "SELECT COUNT(DISTINCT cno) FROM attachment_chunks") == 1, "legal's chunks are all gone")
        #expect(try a.scalar(file: "data.db", "SELECT COUNT(*) FROM attachments") == 2, "design's two buckets keep their indexes")
        let legalText = "PLUMTREE-LANTERN-4411"
        #expect(Harness.scan(a.dir, for: [legalText]).isEmpty)

        // The old data.db beside the new keys.db: the shredded files do not open.
        let mixed = try a.copy("files-retention-mixed")
        try FileManager.default.removeItem(at: mixed.dir.appendingPathComponent("data.db"))
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(at: mixed.dir.appendingPathComponent("data.db" + suffix)) }
        try FileManager.default.copyItem(at: before, to: mixed.dir.appendingPathComponent("data.db"))
        let exportDir = mixed.root.appendingPathComponent("mixed-out")
        let r = try mixed.run(["export", "--out", exportDir.path])
        #expect(r.status == 0 || r.status == 8, "exit \(r.status): \(r.stderr)")
        #expect(Harness.scan(exportDir, for: [legalText]).isEmpty && Harness.scan(mixed.dir, for: [legalText]).isEmpty)
        #expect(Self.attachments(exportDir).keys.allSatisfy { $0.hasPrefix("/design/") })
    }

    /// `lethe forget --user` takes the files only that user's messages shared; a file a kept
    /// message shares too stays (same bucket, one blob).
    @Test func forgetTakesTheForgottenUsersFiles() throws {
        let a = try Harness.makeArchive("files-forget")
        try a.importExport(Self.standard)
        try a.run(["forget", "--user", "U0BOB00001", "--no-policy", "--reason", "test"]).expectSuccess("forget")
        let out = Self.attachments(try Self.exportAll(a, "after"))
        #expect(out["/design/attachments/F0PNG00001-diagram.png"] == nil, "bob's diagram is gone")
        #expect(out["/design/attachments/F0CSV00001-budget.csv"] == nil && out["/legal/attachments/F0CSV00001-budget.csv"] == nil)
        #expect(out["/design/attachments/F0PDF00001-contract.pdf"] != nil && out["/legal/attachments/F0TXT00001-meeting notes.txt"] != nil, "alice's stay")
        #expect(try a.run(["search", "--json", "marmoset"]).expectSuccess("search").decodeLines(LetheTestSupport.SearchHit.self).isEmpty)
        #expect(try a.run(["verify"]).status == 0)
    }

    /// A writer without the key: a flipped byte in a chunk, chunks moved between buckets, a
    /// deleted chunk and a relabelled index row are all detected and named; the rest exports.
    @Test func tamperedAttachmentsAreDetected() throws {
        let a = try Harness.makeArchive("files-tamper")
        try a.importExport(Self.standard)
        try a.run(["verify"]).expectSuccess("clean")
        for (name, sql) in [
            ("flipped byte", "UPDATE attachment_chunks SET body = X'00' || substr(body, 2) WHERE rowid = (SELECT MIN(rowid) FROM attachment_chunks)"),
            ("renumbered chunk", "UPDATE attachment_chunks SET blob = blob + 100 WHERE rowid = (SELECT MIN(rowid) FROM attachment_chunks)"),
            ("chunk of another bucket", "UPDATE attachment_chunks SET body = (SELECT body FROM attachment_chunks ORDER BY rowid DESC LIMIT 1) WHERE rowid = (SELECT MIN(rowid) FROM attachment_chunks)"),
            ("deleted chunk", "DELETE FROM attachment_chunks WHERE rowid = (SELECT MAX(rowid) FROM attachment_chunks)"),
            ("relabelled index", "UPDATE attachments SET bucket = bucket + 1000 WHERE rowid = (SELECT MIN(rowid) FROM attachments)"),
            ("index blob count", "UPDATE attachments SET blobs = blobs + 1"),
        ] {
            let t = try a.copy("files-tamper-\(name.replacingOccurrences(of: " ", with: "-"))")
            try t.sql(file: "data.db", sql)
            let v = try t.run(["verify"])
            #expect(v.status == 8, "\(name): verify exits 8: \(v.stdout) \(v.stderr)")
            let out = t.root.appendingPathComponent("out")
            let e = try t.run(["export", "--out", out.path])
            #expect(e.status == 0 || e.status == 8, "\(name): \(e.stderr)")
            #expect(Self.attachments(out).count < 8, "\(name): the damaged file is left out")
            for (path, data) in Self.attachments(out) {
                #expect(Self.attachments(Self.standard)[path] == data, "\(name): \(path) is exported only as it was imported")
            }
        }
    }

    /// Hostile attachments: names that would escape (skipped when listing, then missing),
    /// a zip bomb (the import fails, the archive is as it was), a file over
    /// --max-attachment-size (not archived, named).
    @Test func hostileAttachments() throws {
        let root = Harness.tempDir("files-hostile")
        let fileJSON = { (id: String) in #"{"id":"\#(id)","name":"x.bin","size":10}"# }
        let day = "[" + [("1704100000.000100", "F0ESC00001"), ("1704100001.000200", "F0BOMB0001"), ("1704100002.000300", "F0BIG00001")]
            .map { #"{"type":"message","user":"U1","text":"file","ts":"\#($0.0)","files":[\#(fileJSON($0.1))]}"# }.joined(separator: ",") + "]"
        let base = Array(HostileExportTests.base.prefix(2)) + [("general/2024-01-01.json", Data(day.utf8))]
        let escape: [(String, Data)] = [("general/attachments/../../F0ESC00001-evil", Data("evil".utf8)),
                                        ("C:/general/attachments/F0ESC00001-evil", Data("evil".utf8)),
                                        ("__uploads/F0ESC00001/..\\..\\evil", Data("evil".utf8))]
        let bombZip = root.appendingPathComponent("bomb.zip")
        try HostileExportTests.zip(bombZip, base + [("general/attachments/F0BOMB0001-zeros.bin", Data(count: 8 << 20))])
        let escapeZip = root.appendingPathComponent("escape.zip")
        try HostileExportTests.zip(escapeZip, base + escape)
        let bigZip = root.appendingPathComponent("big.zip")
        var big = Data(count: 3 << 20)
        for i in stride(from: 0, to: big.count, by: 7) { big[i] = UInt8(truncatingIfNeeded: i * 31) }
        try HostileExportTests.zip(bigZip, base + [("general/attachments/F0BIG00001-big.bin", big)])

        let a = try Harness.makeArchive("files-hostile-archive")
        let escaped = try a.importExport(escapeZip)
        #expect(escaped.filesAdded == 0 && escaped.filesMissing == 3)
        #expect(escaped.warnings.filter { $0.contains("escapes") || $0.contains("absolute") }.count == 3, "\(escaped.warnings)")
        let before = try a.stats()
        let bomb = try a.run(["import", bombZip.path])
        #expect(bomb.status == 9 && bomb.stderr.contains("zip bomb"), "\(bomb.stderr)")
        let after = try a.stats()
        #expect(after.messages == before.messages && after.files == before.files && after.filesMissing == before.filesMissing, "a failed import leaves the archive as it was")
        #expect(try a.scalar(file: "data.db", "SELECT COUNT(*) FROM attachment_chunks") == 0)
        let strict = try a.run(["import", "--strict", "--max-attachment-size", "1M", bigZip.path])
        #expect(strict.status == 9 && strict.stderr.contains("max-attachment-size"), "--strict fails on a file it does not keep: \(strict.stderr)")
        let capped = try a.importExport(bigZip, ["--max-attachment-size", "1M"])
        #expect(capped.filesUnread.contains { $0.path.contains("F0BIG00001") && $0.reason.contains("--max-attachment-size") })
        #expect(try a.importExport(bigZip).filesAdded == 1, "without the cap it is archived")
        let out = try Self.exportAll(a, "out")
        #expect(try Data(contentsOf: out.appendingPathComponent("general/attachments/F0BIG00001-big.bin")) == big)
        #expect(!FileManager.default.fileExists(atPath: a.root.appendingPathComponent("evil").path))
    }

    /// `--fetch-files` against a real HTTP server on loopback that checks the token: every
    /// linked file downloaded and written back byte for byte, a 429 honoured, a redirect
    /// followed, a 404 listed with why; a re-run fetches only what is still missing.
    @Test func fetchFilesFromALoopbackServer() throws {
        let root = Harness.tempDir("files-fetch")
        let served = root.appendingPathComponent("served")
        try FileManager.default.createDirectory(at: served, withIntermediateDirectories: true)
        for (path, data) in Self.attachments(Self.standard) {
            let name = (path as NSString).lastPathComponent
            try data.write(to: served.appendingPathComponent(name))
        }
        let server = try LoopbackFileServer(root: served, token: "xoxp-test-token")
        defer { server.stop() }
        // The export holds no files, only links to the server (as Slack's own exports do).
        let export = root.appendingPathComponent("export")
        for f in ["channels.json", "users.json"] {
            try FileManager.default.createDirectory(at: export, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: Self.standard.appendingPathComponent(f), to: export.appendingPathComponent(f))
        }
        for day in ["design/2024-03-04.json", "design/2024-03-05.json", "legal/2024-03-04.json", "legal/2024-03-05.json"] {
            var messages = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.standard.appendingPathComponent(day))) as! [[String: Any]]
            for i in messages.indices {
                messages[i]["files"] = (messages[i]["files"] as! [[String: Any]]).map { f in
                    var f = f
                    let id = f["id"] as! String, name = f["name"] as! String
                    let route = id == "F0PNG00001" ? "429/1" : id == "F0TXT00001" ? "redirect" : "files"
                    f["url_private_download"] = "http://127.0.0.1:\(server.port)/\(route)/\(id)-\(name)".addingPercentEncoding(withAllowedCharacters: .urlFragmentAllowed)!
                    if id == "F0CSV00001" && day.hasPrefix("legal") { f["name"] = "../../escape.csv" }
                    return f
                }
            }
            try FileManager.default.createDirectory(at: export.appendingPathComponent((day as NSString).deletingLastPathComponent), withIntermediateDirectories: true)
            try JSONSerialization.data(withJSONObject: messages).write(to: export.appendingPathComponent(day))
        }
        let a = try Harness.makeArchive("files-fetch-archive")
        let noToken = try a.run(["import", "--fetch-files", export.path])
        #expect(noToken.status == 64 && noToken.stderr.contains("SLACK_TOKEN"), "\(noToken.stderr)")
        let wrong = try a.run(["import", "--json", "--fetch-files", export.path], env: ["SLACK_TOKEN": "xoxp-wrong"]).expectSuccess("wrong token").decode(ImportReport.self)
        let wrongRequests = try server.log().count
        #expect(wrong.filesFetched == 0 && wrong.filesNotFetched.count == 9 && wrong.filesNotFetched.allSatisfy { $0.reason.contains("401") }, "\(wrong.filesNotFetched)")

        let first = try a.run(["import", "--json", "--fetch-files", export.path], env: ["SLACK_TOKEN": "xoxp-test-token"]).expectSuccess("fetch").decode(ImportReport.self)
        #expect(first.filesFetched == 8 && first.filesAdded == 7 && first.filesDeduplicated == 1, "\(first)")
        #expect(first.filesNotFetched.map(\.file) == ["F0GONE0001"] && first.filesNotFetched.first?.reason.contains("404") == true, "\(first.filesNotFetched)")
        let log = try server.log()
        #expect(log.dropFirst(wrongRequests).filter { $0.path.hasPrefix("/429/1/F0PNG00001") }.count == 2, "the 429 is retried once")
        #expect(log.prefix(wrongRequests).allSatisfy { !$0.auth } && log.dropFirst(wrongRequests).allSatisfy(\.auth), "the token is sent, the wrong one refused")

        let out = Self.attachments(try Self.exportAll(a, "out"))
        #expect(out.count == 8)
        for (path, data) in out {
            let id = String((path as NSString).lastPathComponent.prefix(10))
            let original = Self.attachments(Self.standard).first { ($0.key as NSString).lastPathComponent.hasPrefix(id) }?.value
            #expect(data == original, "\(path) is the served file, byte for byte")
        }
        #expect(out["/legal/attachments/F0CSV00001-.._.._escape.csv"] != nil, "a name from JSON becomes one safe component: \(out.keys.sorted())")
        #expect(try Self.plaintextFound(in: a.dir) == [])
        #expect(try a.run(["search", "--json", "plumtree"]).expectSuccess("search").decodeLines(LetheTestSupport.SearchHit.self).count == 1)

        // The missing file appears on the server: a re-run downloads it, and only it.
        try Data("found at last".utf8).write(to: served.appendingPathComponent("F0GONE0001-lost.bin"))
        let before = try server.log().count
        let second = try a.run(["import", "--json", "--fetch-files", export.path], env: ["SLACK_TOKEN": "xoxp-test-token"]).expectSuccess("resume").decode(ImportReport.self)
        #expect(second.filesFetched == 1 && second.filesNotFetched.isEmpty && second.filesUnchanged == 8, "\(second)")
        #expect(try server.log().count - before == 1)
        #expect(try a.stats().filesMissing == 0)
    }
}

/// Tests/Support/attachment_server.py, started for one test: a real HTTP server on 127.0.0.1.
final class LoopbackFileServer {
    struct Request: Decodable { var path: String; var auth: Bool }
    let process = Process()
    let port: Int
    /// Held open while the server should live (`--exit-with-stdin`): if the test process dies, the server exits too.
    let stdin = Pipe()

    init(root: URL, token: String) throws {
        guard let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
            ?? ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map({ "\($0)/python3" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else {
            print("SKIP: no python3 on this machine to run the loopback file server")
            throw LetheError(.failure, "python3 not found")
        }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Repository.root.appendingPathComponent("Tests/Support/attachment_server.py").path, "--root", root.path, "--token", token, "--exit-with-stdin"]
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = stdin
        // Not inherited: a server left running would keep `swift test`'s output pipe open.
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(10) {
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { break }
            line += d
        }
        guard let text = String(data: line, encoding: .utf8), text.hasPrefix("PORT "), let p = Int(text.dropFirst(5).prefix { $0.isNumber }) else {
            process.terminate()
            throw LetheError(.failure, "the loopback server did not start: \(String(decoding: line, as: UTF8.self))")
        }
        port = p
    }

    func log() throws -> [Request] {
        // curl (CI installs it): the test process need not link Foundation's networking.
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-sf", "http://127.0.0.1:\(port)/__log"]
        let out = Pipe()
        curl.standardOutput = out
        try curl.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        return try JSONDecoder().decode([Request].self, from: data)
    }

    func stop() {
        try? stdin.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
