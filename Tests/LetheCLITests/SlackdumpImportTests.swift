import Foundation
import LetheCore
import LetheTestSupport
import Testing

/// Issue 15, part 5: slackdump's three formats (its dump, its chunk archive, its SQLite
/// database) import as a Slack export does: detected by their contents, every message once,
/// the conversations, users and attached files, each file not read named with why; then
/// exported as a Slack export equal, as JSON values, to what the fixture writer says the
/// workspace is. The fixtures are written at test time by Tests/Fixtures/make-slackdump-fixtures.py
/// (Python's json, gzip and sqlite3: a second implementation of the layouts). The real binary.
@Suite(.serialized) struct SlackdumpImportTests {
    /// The fixture writer's output (written once per test process).
    static let fixtures: Result<URL, Error> = Result {
        let out = Harness.tempDir("slackdump-fixtures").appendingPathComponent("fx")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/make-slackdump-fixtures.py")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script.path, out.path]
        let err = Pipe()
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let why = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw LetheError(.failure, "the slackdump fixture writer failed (python3 needed): \(why)")
        }
        return out
    }

    static func expected() throws -> [String: Any] {
        let root = try fixtures.get()
        return try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("expected.json"))) as! [String: Any]
    }

    /// Every message of every day file of `folder` in an exported Slack export, sorted by ts.
    static func exportedMessages(_ out: URL, folder: String) throws -> [NSDictionary] {
        let dir = out.appendingPathComponent(folder)
        var all: [NSDictionary] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasSuffix(".json") {
            all += try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(name))) as! [NSDictionary]
        }
        return all.sorted { ($0["ts"] as! String) < ($1["ts"] as! String) }
    }

    func hits(_ q: String, _ a: TestArchive) throws -> [String] {
        let r = try a.run(["search", q, "--json"])
        #expect(r.status == 0, "\(q): \(r.stderr)")
        return try r.decodeLines(SearchHit.self).map { "\($0.channelID)/\($0.ts)" }.sorted()
    }

    @Test(arguments: ["dump", "dump.zip", "chunks", "database", "database/slackdump.sqlite"])
    func aSlackdumpSourceImportsWholeAndExportsAsASlackExport(_ format: String) throws {
        let root = try Self.fixtures.get()
        let expected = try Self.expected()
        let key = format.hasPrefix("database") ? "database" : format.hasPrefix("dump") ? "dump" : format
        let messages = expected["messages"] as! [String: [NSDictionary]]
        let count = messages.values.reduce(0) { $0 + $1.count }
        #expect(count == 11)

        let a = try Harness.makeArchive("slackdump-\(format.replacingOccurrences(of: "/", with: "-"))")
        let input = root.appendingPathComponent(key == "database" ? "database" : format)
        let untouched = Harness.snapshot(input)
        let report = try a.importExport(root.appendingPathComponent(format))
        #expect(Harness.snapshot(input) == untouched, "nothing in slackdump's folder is written or added (no -shm, no -wal)")
        #expect(report.messagesAdded == count, "\(format): \(report.messagesAdded) of \(count)")
        #expect(report.messagesSkippedInvalid == 0 && report.messagesSkippedDuplicate == 0, "\(report)")
        #expect(report.channels == 4 && report.channelsAdded == 4 && report.usersAdded == 3, "\(report.channels) \(report.channelsAdded) \(report.usersAdded)")
        #expect(report.filesAdded == 1, "the shared file is stored: \(report.filesAdded)")
        #expect(report.filesUnread.map(\.path) == (expected["unread"] as! [String: [String]])[format] ?? (expected["unread"] as! [String: [String]])[key],
                "\(report.filesUnread)")
        #expect(report.filesUnread.allSatisfy { $0.reason.hasSuffix("not archived") || $0.reason.contains("not archived (") }, "\(report.filesUnread)")
        #expect(report.warnings.isEmpty, "\(report.warnings)")
        #expect(try a.stats().messages == count)

        // Again: nothing new (the same messages, the same records).
        let again = try a.importExport(root.appendingPathComponent(format))
        #expect(again.messagesAdded == 0 && again.messagesUpdated == 0 && again.messagesUnchanged == count && again.channelsAdded == 0 && again.usersUpdated == 0,
                "\(again.messagesAdded) \(again.messagesUpdated) \(again.messagesUnchanged) \(again.usersUpdated)")

        // Search: a reply nested in its parent (dump) or paged (chunks, database), a reply of a thread
        // dumped on its own, the edited message's newest text only, and the shared file's contents.
        #expect(try hits("marmalade", a) == ["C0GENERAL01/1704100200.000300"])
        #expect(try hits("wombat in:#plans", a) == ["C0PRIVATE01/1704400100.000200"])
        #expect(try hits("final wording", a) == ["C0GENERAL01/1704200100.000600"])
        #expect(try hits("draft", a).isEmpty, "the older copy of an edited message is not kept")
        #expect(try hits("zanzibar", a) == ["C0GENERAL01/1704200000.000500"])

        // Export: a Slack export whose messages, conversations and users are the workspace's.
        let out = Harness.tempDir("slackdump-out-\(format.replacingOccurrences(of: "/", with: "-"))").appendingPathComponent("out")
        try a.run(["export", "--out", out.path]).expectSuccess("export")
        let folders = expected["folders"] as! [String: String]
        for (id, want) in messages {
            let got = try Self.exportedMessages(out, folder: folders[id]!)
            #expect(got.count == want.count && zip(got, want).allSatisfy { $0.isEqual($1) }, "\(format) \(id): \(got) vs \(want)")
        }
        let kinds = expected["kinds"] as! [String: String]
        let file = ["public": "channels.json", "private": "groups.json", "dm": "dms.json", "group_dm": "mpims.json"]
        for case let want as NSDictionary in (expected["channels"] as! [String: [Any]])[key]! {
            let id = want["id"] as! String
            let listed = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent(file[kinds[id]!]!))) as! [NSDictionary]
            #expect(listed.contains { $0.isEqual(want) }, "\(format): \(id) in \(file[kinds[id]!]!): \(listed)")
        }
        let users = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("users.json"))) as! [NSDictionary]
        let wantUsers = expected["users"] as! [NSDictionary]
        #expect(users.count == wantUsers.count && wantUsers.allSatisfy { w in users.contains { $0.isEqual(w) } }, "\(users)")
        let fileInfo = expected["file"] as! [String: String]
        // Where slackdump keeps it: in its conversation's folder (dump), or under __uploads/.
        let copy = key == "dump" ? out.appendingPathComponent("general/attachments/\(fileInfo["id"]!)-notes.txt")
            : out.appendingPathComponent("__uploads/\(fileInfo["id"]!)/notes.txt")
        #expect((try? String(contentsOf: copy, encoding: .utf8)) == fileInfo["text"], "the file exported back as stored: \(copy.path)")

        // And that export is a Slack export of the same workspace.
        let b = try Harness.makeArchive("slackdump-reimport-\(format.replacingOccurrences(of: "/", with: "-"))")
        let reimport = try b.importExport(out)
        #expect(reimport.messagesAdded == count && reimport.filesUnread.isEmpty, "\(reimport)")
    }

    /// A database slackdump is still writing (or was killed writing): what is committed only to
    /// its `-wal` is read too (the database is then opened as a read-only WAL reader).
    @Test func aDatabaseWithRecordsOnlyInItsWriteAheadLogIsReadWhole() throws {
        let root = try Self.fixtures.get()
        let a = try Harness.makeArchive("slackdump-wal")
        let report = try a.importExport(root.appendingPathComponent("database-wal/slackdump.sqlite"))
        #expect(report.messagesAdded == 12, "the 11, and the one only in the -wal: \(report.messagesAdded)")
        #expect(try hits("write-ahead", a) == ["C0GENERAL01/1704600000.000100"])
    }

    /// Hostile and broken slackdump sources fail the import in one line that names the file,
    /// and leave the archive as it was (an import is one transaction).
    @Test func brokenOrHostileSlackdumpSourcesAreRefusedAndChangeNothing() throws {
        let root = Harness.tempDir("slackdump-hostile")
        let a = try Harness.makeArchive("slackdump-hostile")
        try a.importFixture("slack-sample")
        let before = Harness.snapshot(a.dir)
        func refuse(_ url: URL, _ args: [String] = [], _ needle: String, _ line: Int = #line) throws {
            let r = try a.run(["import"] + args + [url.path])
            #expect(r.status == 9, "line \(line): \(r.stderr)")
            #expect(r.stderr.contains(needle), "line \(line): \(r.stderr)")
            #expect(Harness.snapshot(a.dir) == before, "line \(line): the archive is unchanged")
        }
        func gzip(_ text: String) throws -> Data {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["gzip", "-c", "-n"]
            let input = Pipe(), output = Pipe()
            p.standardInput = input
            p.standardOutput = output
            try p.run()
            let writer = Thread { input.fileHandleForWriting.write(Data(text.utf8)); try? input.fileHandleForWriting.close() }
            writer.start()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return data
        }
        func chunkDir(_ name: String, _ files: [String: Data]) throws -> URL {
            let dir = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for (n, d) in files { try d.write(to: dir.appendingPathComponent(n)) }
            return dir
        }
        let good = #"{"t":0,"ts":1,"id":"C0HOSTILE1","m":[{"type":"message","user":"U1","text":"hi","ts":"1704100000.000100"}]}"#

        // A truncated gzip stream, a line that is not JSON, a line that is not a chunk.
        let whole = try gzip(good + "\n" + good + "\n")
        try refuse(try chunkDir("truncated", ["C0HOSTILE1.json.gz": whole.prefix(whole.count - 12)]), [], "C0HOSTILE1.json.gz: truncated")
        try refuse(try chunkDir("notjson", ["C0HOSTILE1.json.gz": try gzip(good + "\n{\"t\":0,\"m\":[\n")]), [], "C0HOSTILE1.json.gz: line 2")
        try refuse(try chunkDir("notchunk", ["C0HOSTILE1.json.gz": try gzip(good + "\n[1,2]\n")]), [], "line 2: not a slackdump chunk")
        // A gzip bomb: 8 MiB of one character inflates past --max-file-size 1MB and is stopped there.
        let bomb = good + "\n" + #"{"t":0,"id":"C0HOSTILE1","m":[{"ts":"1704100000.000200","text":""# + String(repeating: "a", count: 8 << 20) + "\"}]}\n"
        try refuse(try chunkDir("bomb", ["C0HOSTILE1.json.gz": try gzip(bomb)]), ["--max-file-size", "1MB"], "inflates to more than")

        // Records that belong nowhere are skipped and counted, never dropped unsaid.
        let odd = try chunkDir("odd", ["C0HOSTILE1.json.gz": try gzip(good + "\n" + #"{"t":0,"id":"not/an id","m":[]}"# + "\n" + #"{"t":3,"u":[1,{"name":"no id"}]}"# + "\n")])
        let b = try Harness.makeArchive("slackdump-hostile-odd")
        let oddReport = try b.importExport(odd)
        #expect(oddReport.messagesAdded == 1)
        #expect(oddReport.warnings.sorted() == ["odd: 1 message chunk(s) of a conversation whose id is not a Slack id: skipped",
                                                "odd: 1 user list element(s) that are not objects: skipped", "odd: 1 user object(s) without an id: skipped"],
                "\(oddReport.warnings)")

        // A dump file that is not an object.
        let dump = try ExportCoverageTests.folder("sd-bad-dump", [("C0HOSTILE1.json", #"{"channel_id":"C0HOSTILE1","messages":[]}"#), ("C0HOSTILE2.json", "[1]")])
        try refuse(dump, [], "C0HOSTILE2.json: not a JSON object")

        // SQLite files that are not slackdump's: no tables; MESSAGE a view (views are not read);
        // a database in a zip (SQLite reads files).
        func sqlite(_ name: String, _ sql: String) throws -> URL {
            let url = root.appendingPathComponent(name)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", "-c", "import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); db.executescript(sys.argv[2]); db.commit()", url.path, sql]
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "python3 writes \(name)")
            return url
        }
        try refuse(try sqlite("other.sqlite", "CREATE TABLE notes (id INTEGER);"), [], "other.sqlite: a SQLite database, but not slackdump's (table CHANNEL is missing)")
        let tables = """
            CREATE TABLE CHUNK (ID INTEGER PRIMARY KEY, TYPE_ID INTEGER, CHANNEL_ID TEXT);
            CREATE TABLE CHANNEL (ID TEXT, CHUNK_ID INTEGER, DATA BLOB);
            CREATE TABLE S_USER (ID TEXT, CHUNK_ID INTEGER, DATA BLOB);
            CREATE TABLE M (ID INTEGER, CHUNK_ID INTEGER, CHANNEL_ID TEXT, TS TEXT, DATA BLOB);
            """
        try refuse(try sqlite("view.sqlite", tables + "CREATE VIEW MESSAGE AS SELECT * FROM M;"), [], "table MESSAGE is missing")
        let bad = try sqlite("badrow.sqlite", tables.replacingOccurrences(of: "TABLE M ", with: "TABLE MESSAGE ")
            + "INSERT INTO CHUNK VALUES (1, 0, 'C0HOSTILE1'); INSERT INTO MESSAGE VALUES (1, 1, 'C0HOSTILE1', '1704100000.000100', 'not json');")
        let r = try a.run(["import", "--json", bad.path])
        #expect(r.status == 0, "a record that is not JSON is skipped, named: \(r.stderr)")
        let warnings = try r.decode(ImportReport.self).warnings
        #expect(warnings == ["C0HOSTILE1: 1 message(s) of conversation C0HOSTILE1 are not objects with a valid \"ts\": skipped"], "\(warnings)")
        let zipped = root.appendingPathComponent("db.zip")
        let z = Process()
        z.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        z.arguments = ["python3", "-c", "import zipfile,sys; zipfile.ZipFile(sys.argv[1],'w').write(sys.argv[2],'slackdump.sqlite')", zipped.path, bad.path]
        try z.run()
        z.waitUntilExit()
        let c = try Harness.makeArchive("slackdump-hostile-zip")
        let zr = try c.run(["import", zipped.path])
        #expect(zr.status == 9 && zr.stderr.contains("inside a zip") && zr.stderr.contains("unzip it"), "\(zr.stderr)")
    }
}
