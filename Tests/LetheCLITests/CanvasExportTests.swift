import Foundation
import LetheTestSupport
import Testing
@testable import LetheCore

/// Issue 15, part 3 (format 9): the files of a modern export that are not day files —
/// canvases.json, lists.json, huddle_transcripts.json, file_conversations.json,
/// integration_logs.json, a channel's canvas_in_the_conversation.json — and the FC_ folders of
/// file conversations, stored encrypted with the conversation they belong to, searchable,
/// shredded with it, exported back. Tests/Fixtures/slack-canvases, the real binary.
@Suite(.serialized) struct CanvasExportTests {
    static let fixture = Repository.fixture("slack-canvases")
    /// The files read as items, as the fixture holds them.
    static let itemFiles = ["canvases.json", "lists.json", "huddle_transcripts.json", "file_conversations.json", "integration_logs.json",
                            "general/canvas_in_the_conversation.json"]
    static let fileConversationDay = "FC_F05JM5XK9SL_My notes/2023-07-22.json"

    static func json(_ url: URL) throws -> Any { try JSONSerialization.jsonObject(with: Data(contentsOf: url)) }

    /// Elements of each item file, counted with Foundation alone.
    static func independentCounts(_ root: URL, _ files: [String]) throws -> [String: Int] {
        var out: [String: Int] = [:]
        for f in files { out[f] = try #require(try json(root.appendingPathComponent(f)) as? [Any]).count }
        return out
    }

    /// Search hits' conversation ids, from `search --json`.
    static func hits(_ a: TestArchive, _ query: String) throws -> [String] {
        let r = try a.run(["search", query, "--json"]).expectSuccess("search \(query)")
        return try r.stdout.split(separator: "\n").map { line in
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return try #require(obj["channel_id"] as? String)
        }
    }

    @Test func everyFileImportsCountedAndComesBackFileForFile() throws {
        let a = try Harness.makeArchive("canvases")
        let r = try a.importExport(Self.fixture)
        #expect(r.filesUnread.map(\.path) == ["README.md"], "only the README is not imported: \(r.filesUnread)")
        let expected = try Self.independentCounts(Self.fixture, Self.itemFiles)
        #expect(r.itemsRead == expected)
        #expect(r.itemsAdded == expected.values.reduce(0, +), "every element stored once (\(r.itemsAdded))")
        let days = try ExportTree(Self.fixture)
        #expect(r.messagesAdded == days.messageCount && days.messageCount == 5, "the day files' messages, the file conversation's included")
        #expect(r.warnings.isEmpty, "\(r.warnings)")

        let out = Harness.tempDir("canvases-out").appendingPathComponent("out")
        let e = try a.run(["export", "--json", "--out", out.path]).expectSuccess("export")
        let report = try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any]
        #expect(report?["items"] as? Int == r.itemsAdded && report?["messages"] as? Int == 5)
        for f in Self.itemFiles + [Self.fileConversationDay] {
            let back = out.appendingPathComponent(f)
            guard FileManager.default.fileExists(atPath: back.path) else {
                Issue.record("\(f) is not exported back")
                continue
            }
            #expect(try Self.json(back) as? NSArray == Self.json(Self.fixture.appendingPathComponent(f)) as? NSArray, "\(f): equal as JSON values")
        }
        let got = try ExportTree(out)
        #expect(got.days == days.days && got.metadata == days.metadata, "day files and metadata as they were")
        // Nothing else: the workspace-level conversation has no folder and is in no metadata file.
        let written = try GridExportTests.jsonFiles(out).keys.sorted()
        let original = try GridExportTests.jsonFiles(Self.fixture).keys.sorted()
        #expect(written == original, "file for file")

        // Again: nothing new, nothing doubled; and the export of the export is the same.
        let again = try a.importExport(Self.fixture)
        #expect(again.itemsAdded == 0 && again.itemsUpdated == 0 && again.itemsUnchanged == r.itemsAdded)
        let b = try Harness.makeArchive("canvases-reimport")
        let back = try b.importExport(out)
        #expect(back.itemsAdded == r.itemsAdded && back.filesUnread.isEmpty, "\(back.filesUnread)")
        #expect(try a.run(["verify"]).status == 0)
    }

    @Test func searchFindsCanvasListTranscriptAndFileConversationText() throws {
        let a = try Harness.makeArchive("canvases-search")
        try a.importExport(Self.fixture)
        #expect(try Self.hits(a, "persimmonpalette") == ["C0CANVDES2"], "a canvas of #design, by its title and preview")
        #expect(try Self.hits(a, "quincequarterly") == [WorkspaceConversation.id], "a canvas of no channel: the workspace conversation")
        #expect(try Self.hits(a, "rambutanribbons") == [WorkspaceConversation.id], "a list's rows")
        #expect(try Self.hits(a, "tamarindtones") == ["C0CANVDES2"], "a huddle transcript's lines, with its channel")
        #expect(try Self.hits(a, "kumquatguide").sorted() == ["C0CANVGEN1", "C0CANVGEN1"], "the channel canvas, in both files that list it")
        #expect(try Self.hits(a, "guavagate") == [WorkspaceConversation.id], "an integration log entry of no channel")
        #expect(try Self.hits(a, "jackfruitjot") == ["F05JM5XK9SL"], "a file conversation's message")
        #expect(try Self.hits(a, "persimmonpalette in:#design").count == 1)
        #expect(try Self.hits(a, "nosuchwordanywhere").isEmpty)
        // A hit says which file an item came from; a message has none.
        var lines: [LetheTestSupport.SearchHit] = []
        for q in ["persimmonpalette", "jackfruitjot", "kumquatguide"] {
            lines += try a.run(["search", q, "--json"]).expectSuccess("search").decodeLines(LetheTestSupport.SearchHit.self)
        }
        #expect(lines.map { $0.item ?? "message" }.sorted() == ["canvas_in_the_conversation.json", "canvases.json", "canvases.json", "message"], "\(lines)")
        let text = try a.run(["search", "rambutanribbons"]).expectSuccess("search")
        #expect(text.stdout.contains("(workspace)") && text.stdout.contains("(lists.json)"), "\(text.stdout)")
    }

    @Test func retentionShredsACanvasWithItsChannelAndTheRoleKeyPlansTheSame() throws {
        let a = try Harness.makeArchive("canvases-shred")
        try a.importExport(Self.fixture)
        let policy = a.root.appendingPathComponent("design.yml")
        try """
            version: 1
            default:
              keep: forever
            rules:
              - name: design-30d
                match:
                  channels: ["design"]
                keep: 30d
            """.write(to: policy, atomically: true, encoding: .utf8)
        let now = "2026-11-27T00:00:00Z"
        let retentionKey = a.root.appendingPathComponent("retention.key")
        try a.run(["key", "issue", "--role", "retention", "--out", retentionKey.path]).expectSuccess("issue retention key")
        let args = ["retention", "plan", "--policy", policy.path, "--now", now, "--json"]
        #expect(try RetentionRoleTests.comparable(try RoleImportTests.roleRun(a, retentionKey, args)) == RetentionRoleTests.comparable(try a.run(args)),
                "the retention role plans items exactly as the full key")

        // The keys of #design's buckets, the canvas's among them, before they go.
        var rawKeys: [[UInt8]] = []
        var canvasBuckets = 0
        do {
            let archive = try Archive.open(at: a.dir, credentials: Credentials(keyFile: try KeyFile.load(a.keyFile)), mode: .read, command: "test")
            let design = try #require(try archive.conversations().first { $0.id == "C0CANVDES2" })
            for (bucket, _) in try archive.keystore.bucketKeys(cno: try #require(design.cno)) {
                let ref = BucketRef(cno: try #require(design.cno), bucket: bucket)
                rawKeys.append(try #require(try archive.bucketKey(ref)).withUnsafeBytes { Array($0) })
                if try archive.segment(ref)?.messages.contains(where: { $0.item?.file == "canvases.json" }) == true { canvasBuckets += 1 }
            }
        }
        #expect(canvasBuckets == 1 && rawKeys.count >= 1)
        let apply = try a.run(["retention", "apply", "--policy", policy.path, "--now", now, "--json"]).expectSuccess("apply")
        #expect(apply.stdout.contains("C0CANVDES2"))

        for (path, data) in Harness.snapshot(a.dir) {
            let bytes = [UInt8](data)
            for needle in ["Persimmonpalette", "persimmonpalette", "tamarindtones"] where Harness.contains(bytes, Array(needle.utf8)) {
                Issue.record("\(needle) survives in \(path)")
            }
            for k in rawKeys where Harness.contains(bytes, k) { Issue.record("a shredded bucket key of #design survives in \(path)") }
        }
        #expect(try Self.hits(a, "persimmonpalette").isEmpty && Self.hits(a, "tamarindtones").isEmpty)
        #expect(try Self.hits(a, "quincequarterly") == [WorkspaceConversation.id], "what no rule expired stays")
        let out = Harness.tempDir("canvases-shred-out").appendingPathComponent("out")
        try a.run(["export", "--out", out.path]).expectSuccess("export")
        let canvases = try #require(try Self.json(out.appendingPathComponent("canvases.json")) as? [[String: Any]])
        #expect(canvases.compactMap { $0["id"] as? String } == ["F0CANVWS03", "F0CANVGEN1"], "the design canvas is gone, the others are in order")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("huddle_transcripts.json").path))
        // An import of the same export does not bring the shredded canvas back.
        let again = try a.importExport(Self.fixture)
        #expect(again.itemsSkippedShredded == 2 && again.itemsAdded == 0, "the canvas and the transcript of #design stay shredded")
    }

    /// A workspace-level element goes to the workspace conversation, which a policy matches by kind.
    @Test func theWorkspaceConversationIsMatchedByKind() throws {
        let a = try Harness.makeArchive("canvases-kind")
        try a.importExport(Self.fixture)
        let policy = a.root.appendingPathComponent("ws.yml")
        try """
            version: 1
            default:
              keep: forever
            rules:
              - name: workspace-items-1y
                match:
                  kinds: [workspace]
                keep: 1y
            """.write(to: policy, atomically: true, encoding: .utf8)
        let r = try a.run(["retention", "apply", "--policy", policy.path, "--now", "2026-11-27T00:00:00Z"]).expectSuccess("apply")
        #expect(r.stdout.contains("Shredded"))
        #expect(try Self.hits(a, "quincequarterly").isEmpty && Self.hits(a, "rambutanribbons").isEmpty && Self.hits(a, "guavagate").isEmpty)
        #expect(try Self.hits(a, "persimmonpalette") == ["C0CANVDES2"])
    }

    /// An item file that is not JSON, or neither an array nor an object, fails the import naming
    /// the file, and leaves the archive as it was; a lone object is one item, and comes back alone.
    @Test func aMalformedItemFileIsRefusedAndALoneObjectKept() throws {
        let base: [(String, String)] = [("channels.json", #"[{"id":"C1","name":"general"}]"#), ("users.json", "[]"),
                                        ("general/2024-01-01.json", #"[{"type":"message","user":"U1","text":"hi","ts":"1704100000.000100"}]"#)]
        let a = try Harness.makeArchive("canvases-hostile")
        for (i, bad) in [#"[{"id":"F1","title":"cut"#, #""a string""#, "42", #"{"id":"F1"} trailing"#].enumerated() {
            let export = try ExportCoverageTests.folder("hostile-\(i)", base + [("canvases.json", bad)])
            let before = Harness.snapshot(a.dir)
            let r = try a.run(["import", export.path])
            #expect(r.status == 9 && r.stderr.contains("canvases.json"), "\(bad): \(r.status) \(r.stderr)")
            #expect(Harness.snapshot(a.dir) == before, "\(bad): the archive is as it was")
        }
        let lone = try ExportCoverageTests.folder("lone", base + [("general/canvas_in_the_conversation.json", #"{"id":"F1","title":"Lone loquatlist","created":1704100100}"#)])
        let r = try a.importExport(lone)
        #expect(r.itemsRead == ["general/canvas_in_the_conversation.json": 1] && r.itemsAdded == 1)
        #expect(try Self.hits(a, "loquatlist") == ["C1"])
        let out = Harness.tempDir("canvases-lone-out").appendingPathComponent("out")
        try a.run(["export", "--out", out.path]).expectSuccess("export")
        #expect(try Self.json(out.appendingPathComponent("general/canvas_in_the_conversation.json")) as? NSDictionary
                == Self.json(lone.appendingPathComponent("general/canvas_in_the_conversation.json")) as? NSDictionary)
    }

    /// The shared corpus's real 2016 integration_logs.json imports, every entry counted.
    @Test func theCorpusIntegrationLogImports() throws {
        let root = URL(fileURLWithPath: "/work/shared/corpus/slack/hfaran-slack-export-viewer")
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent("integration_logs.json").path) else {
            print("CanvasExportTests: skipped, \(root.path)/integration_logs.json is absent (the shared corpus is not on this machine)")
            return
        }
        let a = try Harness.makeArchive("canvases-corpus")
        let r = try a.importExport(root)
        let n = try Self.independentCounts(root, ["integration_logs.json"])["integration_logs.json"]
        #expect(n ?? 0 > 0 && r.itemsRead["integration_logs.json"] == n)
        #expect(!r.filesUnread.contains { $0.path.hasSuffix("integration_logs.json") })
        #expect(r.itemsAdded == n)
        let out = Harness.tempDir("canvases-corpus-out").appendingPathComponent("out")
        try a.run(["export", "--out", out.path]).expectSuccess("export")
        #expect(try Self.json(out.appendingPathComponent("integration_logs.json")) as? NSArray == Self.json(root.appendingPathComponent("integration_logs.json")) as? NSArray)
    }
}
