import Foundation
import LetheCore
import LetheTestSupport
import Testing

/// Issue 15, parts 1, 4 and 5 (detection): every file of an export is imported or listed in
/// `files_unread` with a reason; an export without channels.json imports whole, its
/// conversations inferred from the folders; slackdump's own formats recognised by their bytes.
/// The real binary on real files.
@Suite(.serialized) struct ExportCoverageTests {
    static func message(_ ts: String, _ text: String, channel: String? = nil) -> String {
        #"{"type":"message","user":"U1","text":"\#(text)","ts":"\#(ts)"\#(channel.map { #","channel":"\#($0)""# } ?? "")}"#
    }

    static let users = #"[{"id":"U1","name":"alice","profile":{"display_name":"Alice"}}]"#
    static let channels = #"[{"id":"C1","name":"general","created":1700000000,"members":["U1"]}]"#

    /// Writes `files` (path → contents) below a fresh folder named `name`.
    static func folder(_ name: String, _ files: [(String, String)]) throws -> URL {
        let root = Harness.tempDir("coverage-\(name)").appendingPathComponent(name)
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        return root
    }

    static func day(_ messages: String...) -> String { "[" + messages.joined(separator: ",") + "]" }

    static func warningLines(_ stderr: String) -> [Substring] {
        stderr.split(separator: "\n").filter { $0.hasPrefix("lethe: warning:") }
    }

    // MARK: - 1. Coverage accounting

    @Test func aPublicOnlyExportPrintsNotesNotWarnings() throws {
        let export = try Self.folder("public-only", [
            ("users.json", Self.users), ("channels.json", Self.channels),
            ("general/2024-01-01.json", Self.day(Self.message("1704100000.000100", "hello"), Self.message("1704100001.000200", "again"))),
        ])
        let a = try Harness.makeArchive("coverage-public-only")
        let text = try a.run(["import", export.path]).expectSuccess("import")
        #expect(Self.warningLines(text.stderr).isEmpty, "no warning lines: \(text.stderr)")
        for file in ["groups.json", "dms.json", "mpims.json"] {
            #expect(text.stderr.contains("lethe: note: \(file): not in the export"), "\(file) is a note: \(text.stderr)")
        }
        #expect(!text.stdout.contains("not imported"), "\(text.stdout)")

        let b = try Harness.makeArchive("coverage-public-only-json")
        let report = try b.importExport(export, ["--strict"])  // nothing unread, nothing skipped: --strict passes
        #expect(report.messagesAdded == 2)
        #expect(report.warnings.isEmpty, "\(report.warnings)")
        #expect(report.notes.filter { $0.contains("not in the export") }.count == 3, "\(report.notes)")
        #expect(report.filesUnread.isEmpty, "\(report.filesUnread)")
    }

    @Test func everyFileNotImportedIsListedWithAReason() throws {
        let day = Self.day(Self.message("1704100000.000100", "hello"), Self.message("1704100001.000200", "again"))
        let export = try Self.folder("modern", [
            ("users.json", Self.users), ("channels.json", Self.channels),
            ("general/2024-01-01.json", day),
            ("general/canvas_in_the_conversation.json", #"[{"id":"F1","title":"Plan"}]"#),
            ("integration_logs.json", #"[{"service_type":"Google Drive","date":"1700000000"}]"#),
            ("canvases.json", #"[{"id":"F2","title":"Roadmap"}]"#),
            ("lists.json", "[]"),
            ("file_conversations.json", #"[{"id":"F05JM5XK9SL","name":"FC:F05JM5XK9SL:My notes"}]"#),
            ("FC_F05JM5XK9SL/2024-01-01.json", Self.day(Self.message("1704100002.000300", "a note on the file"))),
            ("teams/T1/notes.txt", "a folder under teams/ without a workspace's files"),
            ("notes.txt", "not Slack's"),
        ])
        // Since format 9 the canvas, log, canvases, lists and file-conversation files are items and the
        // FC_ folder a conversation (CanvasExportTests): only what is not Slack's is left.
        let expected: [String: String] = [
            "teams/T1/notes.txt": "not an Enterprise Grid workspace",
            "notes.txt": "not part of a Slack export",
        ]
        let a = try Harness.makeArchive("coverage-modern")
        let report = try a.importExport(export)
        #expect(report.messagesAdded == 3, "the FC folder's message is imported: \(report.messagesAdded)")
        #expect(report.itemsRead == ["general/canvas_in_the_conversation.json": 1, "integration_logs.json": 1, "canvases.json": 1,
                                     "lists.json": 0, "file_conversations.json": 1], "\(report.itemsRead)")
        #expect(Set(report.filesUnread.map(\.path)) == Set(expected.keys), "\(report.filesUnread)")
        for f in report.filesUnread {
            #expect(f.reason.contains(expected[f.path] ?? "?"), "\(f.path): \(f.reason)")
        }
        #expect(report.warnings.isEmpty, "listed, not warned about: \(report.warnings)")

        // The text summary lists them too.
        let b = try Harness.makeArchive("coverage-modern-text")
        let text = try b.run(["import", export.path]).expectSuccess("import")
        #expect(text.stdout.contains("\(expected.count) file(s) not imported:"), "\(text.stdout)")
        #expect(text.stdout.contains("    notes.txt: not part of a Slack export"), "\(text.stdout)")

        // --strict fails on any unread file, and leaves the archive as it was.
        let c = try Harness.makeArchive("coverage-modern-strict")
        let before = Harness.snapshot(c.dir)
        let strict = try c.run(["import", "--strict", export.path])
        #expect(strict.status == 9, "\(strict.stderr)")
        #expect(strict.stderr.hasPrefix("lethe: error: modern: \(expected.count) file(s) of the export are not imported, e.g. notes.txt: "), "\(strict.stderr)")
        #expect(Harness.snapshot(c.dir) == before)
    }

    /// The shared corpus and the sample fixtures: every file is either imported (a metadata file,
    /// or a day file of a folder the metadata names: worked out here, from the files) or in
    /// `files_unread`, never dropped in silence.
    @Test func everyCorpusFileIsImportedOrListed() throws {
        let exports = SharedCorpus.slackExports(skipping: "corpus coverage") + [Repository.fixture("slack-sample"), Repository.fixture("slack-sample-update")]
        for export in exports {
            let tree = try ExportTree(export)
            var folders = Set<String>()
            for (file, list) in tree.metadata where file != "users.json" {
                for case let c as [String: Any] in list {
                    if let f = (file == "dms.json" ? c["id"] : c["name"]) as? String { folders.insert(f) }
                }
            }
            var all = Set<String>()
            let walker = FileManager.default.enumerator(at: export, includingPropertiesForKeys: [.isRegularFileKey])
            while let url = walker?.nextObject() as? URL {
                let values = try url.resourceValues(forKeys: Set<URLResourceKey>([.isRegularFileKey]))
                guard values.isRegularFile == true else { continue }
                all.insert(String(url.standardizedFileURL.path.dropFirst(export.standardizedFileURL.path.count + 1)))
            }
            let imported = all.filter { path in
                let parts = path.split(separator: "/")
                // Format 9: the workspace files and a listed folder's canvas are items.
                if parts.count == 1 { return tree.metadata[path] != nil || ["canvases.json", "lists.json", "huddle_transcripts.json", "file_conversations.json", "integration_logs.json"].contains(path) }
                if parts.count == 2 && parts[1] == "canvas_in_the_conversation.json" { return folders.contains(String(parts[0])) }
                return parts.count == 2 && tree.days[path] != nil && folders.contains(String(parts[0]))
            }
            let a = try Harness.makeArchive("coverage-corpus")
            let report = try a.importExport(export)
            #expect(Set(report.filesUnread.map(\.path)) == all.subtracting(imported), "\(export.lastPathComponent): \(report.filesUnread)")
            #expect(report.filesUnread.allSatisfy { !$0.reason.isEmpty })
            var expected = 0
            for (path, messages) in tree.days where folders.contains(String(path.split(separator: "/")[0])) { expected += messages.count }
            #expect(report.messagesAdded + report.messagesSkippedDuplicate == expected, "\(export.lastPathComponent): every message of the listed folders")
            let listed: [String] = report.filesUnread.map { (f: UnreadFile) in f.description }
            print("corpus \(export.lastPathComponent): \(listed.count) file(s) not imported: \(listed)")
        }
    }

    // MARK: - 4. No channels.json

    /// Two channels (one whose messages name their channel id), a DM folder, 5 messages.
    static func metadataLess(_ name: String, users: Bool) throws -> URL {
        var files: [(String, String)] = [
            ("general/2024-01-01.json", Self.day(Self.message("1704100000.000100", "kickoff zebra"), Self.message("1704100001.000200", "hello"))),
            ("general/2024-01-02.json", Self.day(Self.message("1704186400.000100", "next day"))),
            ("random/2024-01-01.json", Self.day(Self.message("1704100005.000100", "random one", channel: "C0RANDOM01"))),
            ("D0DMXYZ1234/2024-01-01.json", Self.day(Self.message("1704100009.000100", "a direct word"))),
        ]
        if users { files.append(("users.json", Self.users)) }
        return try folder(name, files)
    }

    @Test(arguments: [true, false]) func anExportWithoutChannelsJSONIsInferredFromItsFolders(withUsers: Bool) throws {
        let label = withUsers ? "no-channels" : "no-metadata"
        let export = try Self.metadataLess(label, users: withUsers)
        let count = try ExportTree(export).messageCount
        #expect(count == 5)
        let a = try Harness.makeArchive("coverage-\(label)")
        let r = try a.run(["import", "--json", export.path])
        #expect(r.status == 0, "\(label): \(r.stderr)")
        let report = try r.decode(ImportReport.self)
        #expect(report.messagesAdded == count, "\(label): every message imported: \(r.stdout)")
        #expect(report.channelsAdded == 3)
        #expect(report.warnings.isEmpty, "\(label): \(report.warnings)")
        #expect(report.filesUnread.isEmpty, "\(label): \(report.filesUnread)")
        let derived = "C" + KDFTestHex.sha256Prefix("general")
        #expect(report.notes.contains("general/: no channels.json: imported as the public channel #general, id \(derived) (derived from the folder name; see docs/FORMAT.md), recorded as inferred"), "\(label): \(report.notes)")
        #expect(report.notes.contains { $0.hasPrefix("random/: no channels.json: imported as the public channel #random, id C0RANDOM01 (the \"channel\" of its messages)") }, "\(report.notes)")
        #expect(report.notes.contains { $0.hasPrefix("D0DMXYZ1234/: no channels.json: imported as the DM D0DMXYZ1234") }, "\(report.notes)")
        #expect(report.notes.contains { $0.hasPrefix("users.json: not in the export") } == !withUsers, "\(report.notes)")

        // Search finds a message of an inferred channel.
        let search = try a.run(["search", "zebra"]).expectSuccess("search")
        #expect(search.stdout.contains("kickoff zebra"), "\(search.stdout)")

        // Export writes them back: the same messages, the conversations recorded as inferred.
        let out = a.root.appendingPathComponent("out")
        try a.run(["export", "--out", out.path]).expectSuccess("export")
        let back = try ExportTree(out)
        #expect(back.messageCount == count)
        let original = try ExportTree(export)
        for (path, messages) in original.days {
            #expect(Set(back.days[path].map { Array($0.keys) } ?? []) == Set(messages.keys), "\(path) written back")
        }
        let listed = (back.metadata["channels.json"] as? [[String: Any]]) ?? []
        #expect(Set(listed.compactMap { $0["id"] as? String }) == [derived, "C0RANDOM01"], "\(listed)")
        #expect(listed.allSatisfy { $0["lethe_inferred"] as? Bool == true })

        // The same export again, and Lethe's export of it: the same conversations, nothing added.
        let again = try a.importExport(export)
        #expect(again.messagesAdded == 0 && again.channelsAdded == 0 && again.messagesUnchanged == count)
        let reimport = try a.importExport(out)
        #expect(reimport.messagesAdded == 0 && reimport.channelsAdded == 0, "\(reimport)")
    }

    // MARK: - 5. slackdump's formats are recognised by their bytes (SlackdumpImportTests imports them)

    @Test func namesAloneDoNotMakeASlackdumpSource() throws {
        let root = Harness.tempDir("coverage-slackdump")
        let a = try Harness.makeArchive("coverage-slackdump")
        let before = Harness.snapshot(a.dir)
        // Names alone decide nothing: a file called slackdump.sqlite that is not SQLite, and
        // .json.gz files that are not gzip, are not called slackdump's.
        let fakes = root.appendingPathComponent("fakes")
        try FileManager.default.createDirectory(at: fakes, withIntermediateDirectories: true)
        try Data("hello".utf8).write(to: fakes.appendingPathComponent("slackdump.sqlite"))
        let notDB = try a.run(["import", fakes.appendingPathComponent("slackdump.sqlite").path])
        #expect(notDB.status == 9 && notDB.stderr.contains("not a readable zip archive") && !notDB.stderr.contains("SQLite"), "\(notDB.stderr)")
        try Data("plain".utf8).write(to: fakes.appendingPathComponent("C1.json.gz"))
        let notChunks = try a.run(["import", fakes.path])
        #expect(notChunks.status == 9 && notChunks.stderr.contains("fakes: not a Slack export") && !notChunks.stderr.contains("chunk"), "\(notChunks.stderr)")
        #expect(Harness.snapshot(a.dir) == before)
    }
}

/// SHA-256 of a folder name, first 5 bytes as uppercase hex: how docs/FORMAT.md says an
/// inferred conversation's id is derived (computed here independently, with sha256sum).
enum KDFTestHex {
    static func sha256Prefix(_ s: String) -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["sha256sum"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try? p.run()
        input.fileHandleForWriting.write(Data(s.utf8))
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data.prefix(10), as: UTF8.self).uppercased()
    }
}
