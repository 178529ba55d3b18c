import Foundation
import LetheCore
import LetheTestSupport
import Testing

/// Issue 19, Mattermost: a bulk export (`mmctl export create`: JSON Lines) imports into the
/// same archive, retention and search as a Slack export, and `lethe export` writes its lines
/// back, equal as JSON values. Our own fixture covers threads (replies listed out of order),
/// reactions, an edit, system posts, posts of one millisecond, private and direct channels, a
/// group message with no direct_channel line, and what is not archived; the shared corpus's
/// real files (zulip's Mattermost fixtures, lines of an mmctl v11.1.0 export) are read too.
/// The real binary throughout.
@Suite(.serialized) struct MattermostImportTests {
    /// The lines of our fixture, in mmctl's order. `edited` changes one post (a later edit).
    static func lines(edited: Bool = false) -> [String] {
        [
            #"{"type":"version","version":1}"#,
            #"{"type":"team","team":{"name":"acme","display_name":"Acme Co","type":"O","description":"","allow_open_invite":true}}"#,
            #"{"type":"team","team":{"name":"hollow","display_name":"No channels","type":"O"}}"#,
            #"{"type":"channel","channel":{"team":"acme","name":"town-square","display_name":"Town Square","type":"O","header":"all hands","purpose":"everyone"}}"#,
            #"{"type":"channel","channel":{"team":"acme","name":"secret-plans","display_name":"Secret plans","type":"P","header":"","purpose":""}}"#,
            #"{"type":"user","user":{"username":"alice","email":"alice@example.org","first_name":"Alice","last_name":"Liddell","nickname":"","roles":"system_user","teams":[{"name":"acme","roles":"team_user","channels":[{"name":"town-square","roles":"channel_user"},{"name":"secret-plans","roles":"channel_user"}]}]}}"#,
            #"{"type":"user","user":{"username":"bob","email":"bob@example.org","first_name":"Bob","last_name":"Builder","nickname":"bobby","roles":"system_user","teams":[{"name":"acme","roles":"team_user","channels":[{"name":"town-square","roles":"channel_user"}]}]}}"#,
            #"{"type":"user","user":{"username":"carol","email":"carol@example.org","first_name":"Carol","last_name":"","teams":[]}}"#,
            #"{"type":"post","post":{"team":"acme","channel":"town-square","user":"alice","type":"","message":"The quarterly zeppelin review starts Monday","props":{},"create_at":1767261600000,"edit_at":0,"flagged_by":null,"reactions":[{"user":"bob","create_at":1767261700000,"emoji_name":"thumbsup"},{"user":"carol","create_at":1767261701000,"emoji_name":"thumbsup"},{"user":"bob","create_at":1767261702000,"emoji_name":"tada"}],"replies":[{"user":"bob","type":"","message":"second reply about the hangar","create_at":1767265200000,"edit_at":0},{"user":"carol","type":"","message":"first reply, listed second","create_at":1767262000000,"edit_at":0}],"attachments":[{"path":"data/20260101/teams/acme/channels/ts/users/alice/plan.pdf"}],"is_pinned":true}}"#,
            #"{"type":"post","post":{"team":"acme","channel":"town-square","user":"bob","type":"system_join_channel","message":"bob joined the channel.","create_at":1767261000000,"reactions":null,"replies":null}}"#,
            #"{"type":"post","post":{"team":"acme","channel":"town-square","user":"alice","type":"","message":"twin one","create_at":1767348000123,"reactions":[],"replies":[]}}"#,
            #"{"type":"post","post":{"team":"acme","channel":"town-square","user":"bob","type":"","message":"twin two","create_at":1767348000123,"reactions":null,"replies":null,"attachments":[{"path":"../outside.txt"}]}}"#,
            edited
                ? #"{"type":"post","post":{"team":"acme","channel":"secret-plans","user":"alice","type":"","message":"the launch code is marmalade","create_at":1767434400000,"edit_at":1767520800000,"reactions":null,"replies":null}}"#
                : #"{"type":"post","post":{"team":"acme","channel":"secret-plans","user":"alice","type":"","message":"the launch code is custard","create_at":1767434400000,"edit_at":1767438000000,"reactions":null,"replies":null}}"#,
            #"{"type":"emoji","emoji":{"name":"acme-logo","image":"data/emoji/acme-logo.png"}}"#,
            #"{"type":"direct_channel","direct_channel":{"members":["alice","bob"],"favorited_by":null,"header":""}}"#,
            #"{"type":"direct_post","direct_post":{"channel_members":["bob","alice"],"user":"bob","message":"lunch at the gazebo?","create_at":1767607200000,"flagged_by":null,"reactions":null,"replies":[{"user":"alice","message":"yes, noon","create_at":1767607260000}],"attachments":null}}"#,
            #"{"type":"direct_post","direct_post":{"channel_members":["alice","bob","carol"],"user":"carol","message":"group chat about the gazebo","create_at":1767693600000,"flagged_by":null,"reactions":null,"replies":null,"attachments":null}}"#,
        ]
    }

    /// Posts plus replies in `lines()`: 5 posts and 2 replies in channels, 2 direct posts and 1 reply.
    static let messageCount = 10

    /// A folder holding `import.jsonl` (and an attachment file of its data folder).
    static func exportFolder(_ lines: [String], name: String = "mm") throws -> URL {
        let dir = Harness.tempDir(name)
        try (lines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("import.jsonl"), atomically: true, encoding: .utf8)
        let data = dir.appendingPathComponent("data/20260101/teams/acme/channels/ts/users/alice")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try Data("%PDF-1.4 plan".utf8).write(to: data.appendingPathComponent("plan.pdf"))
        try Data("no post attaches this".utf8).write(to: data.appendingPathComponent("stray.txt"))
        // What a hostile post's `../outside.txt` would name: never read.
        try Data("outside the export".utf8).write(to: dir.deletingLastPathComponent().appendingPathComponent("outside.txt"))
        return dir
    }

    /// The lines of a JSON Lines file as JSON values, canonical (keys sorted), sorted.
    static func values(_ lines: [String]) throws -> [String] {
        try lines.filter { !$0.isEmpty }.map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }.sorted()
    }

    /// The lines of `lethe export`'s import.jsonl (and the folder it wrote).
    static func exported(_ a: TestArchive, files: [String] = []) throws -> [String] {
        let out = Harness.tempDir("mm-out").appendingPathComponent("x")
        try a.run(["export", "--out", out.path]).expectSuccess("export")
        var names: [String] = []
        let walk = FileManager.default.enumerator(atPath: out.path)
        while let name = walk?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path, isDirectory: &isDirectory), !isDirectory.boolValue { names.append(name) }
        }
        #expect(names.sorted() == (["import.jsonl"] + files).sorted(), "a Mattermost-only archive exports as one bulk file and its data/: \(names)")
        for f in files {
            #expect(try Data(contentsOf: out.appendingPathComponent(f)) == Data("%PDF-1.4 plan".utf8), "\(f) byte for byte")
        }
        return try String(contentsOf: out.appendingPathComponent("import.jsonl"), encoding: .utf8).components(separatedBy: "\n")
    }

    static let plan = "data/20260101/teams/acme/channels/ts/users/alice/plan.pdf"

    func hits(_ q: String, _ a: TestArchive) throws -> [LetheTestSupport.SearchHit] {
        let r = try a.run(["search", q, "--json"])
        #expect(r.status == 0, "\(q): \(r.stderr)")
        return try r.decodeLines(LetheTestSupport.SearchHit.self)
    }

    @Test func aBulkExportImportsSearchesAndExportsBackAsItsLines() throws {
        let a = try Harness.makeArchive("mm")
        let report = try a.importExport(try Self.exportFolder(Self.lines()))
        #expect(report.messagesAdded == Self.messageCount, "\(report.messagesAdded)")
        #expect(report.channelsAdded == 4 && report.usersAdded == 3, "\(report.channelsAdded) \(report.usersAdded)")
        #expect(report.filesUnread.map(\.path) == ["data/20260101/teams/acme/channels/ts/users/alice/stray.txt"], "\(report.filesUnread)")
        #expect(report.filesUnread.first?.reason.contains("no post attaches it") == true)
        #expect(report.filesAdded == 1 && report.filesMissing == 1, "plan.pdf stored; ../outside.txt missing, never read: \(report.filesAdded) \(report.filesMissing)")
        let said = (report.warnings + report.notes).joined(separator: "\n")
        #expect(said.contains("1 \"emoji\" line(s): not archived"), "\(said)")
        #expect(said.contains("team hollow has no channels"), "\(said)")
        #expect(!said.contains("outside the export"), "\(said)")
        #expect(said.contains("mm:dm:alice,bob,carol") && said.contains("inferred"), "the group message with no direct_channel line is noted: \(said)")

        // Search: words, authors, channels (a team's channel is named as a Grid workspace's).
        let zeppelin = try hits("zeppelin", a)
        #expect(zeppelin.map(\.channel) == ["acme/#town-square"] && zeppelin.map(\.userID) == ["alice"] && zeppelin.map(\.user) == ["Alice Liddell"], "\(zeppelin)")
        #expect(try hits("hangar from:@bob", a).map(\.text) == ["second reply about the hangar"])
        #expect(try hits("in:acme/#secret-plans custard", a).count == 1)
        let gazebo = try hits("gazebo", a)
        #expect(Set(gazebo.map(\.kind)) == ["dm", "group_dm"] && gazebo.count == 2, "\(gazebo)")
        #expect(try hits("twin", a).count == 2, "two posts of one millisecond are two messages")
        let thread = try hits("reply", a)
        #expect(thread.count == 2 && thread.allSatisfy { $0.threadTs == "1767261600.000000" }, "\(thread)")

        // Export: the input's lines as JSON values, but for what is not archived (the emoji, the team without channels).
        let expected = Self.lines().filter { !$0.contains(#""type":"emoji""#) && !$0.contains(#""hollow""#) }
        #expect(try Self.values(Self.exported(a, files: [Self.plan])) == Self.values(expected))

        // Again: nothing new. Then a later edit of one post: updated in place.
        let again = try a.importExport(try Self.exportFolder(Self.lines()))
        #expect(again.messagesAdded == 0 && again.messagesUpdated == 0 && again.messagesUnchanged == Self.messageCount, "\(again)")
        let edit = try a.importExport(try Self.exportFolder(Self.lines(edited: true)))
        #expect(edit.messagesAdded == 0 && edit.messagesUpdated == 1, "\(edit.messagesAdded) \(edit.messagesUpdated)")
        #expect(try hits("marmalade", a).count == 1 && hits("custard", a).isEmpty)
        #expect(try a.stats().messages == Self.messageCount)
        let editedExpected = Self.lines(edited: true).filter { !$0.contains(#""type":"emoji""#) && !$0.contains(#""hollow""#) }
        #expect(try Self.values(Self.exported(a, files: [Self.plan])) == Self.values(editedExpected))
    }

    @Test func aZipOfTheBulkExportImportsAsTheFolderDoes() throws {
        let folder = try Self.exportFolder(Self.lines())
        let zip = Harness.tempDir("mm-zip").appendingPathComponent("export.zip")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/zip")
        p.currentDirectoryURL = folder
        p.arguments = ["-q", "-r", zip.path, "import.jsonl", "data"]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let a = try Harness.makeArchive("mm-zip")
        let report = try a.importExport(zip)
        #expect(report.messagesAdded == Self.messageCount && report.filesAdded == 1 && report.filesUnread.count == 1, "\(report)")
    }

    @Test func retentionMatchesByPlatform() throws {
        let a = try Harness.makeArchive("mm-retention")
        _ = try a.importExport(Repository.fixture("slack-sample"))
        let slack = try a.stats().messages  // its messages and items
        _ = try a.importExport(try Self.exportFolder(Self.lines()))
        #expect(try a.stats().messages == Self.messageCount + slack)
        let policy = Harness.tempDir("mm-policy").appendingPathComponent("p.yml")
        try """
            version: 1
            default:
              keep: forever
            rules:
              - name: mattermost-short
                match:
                  platform: mattermost
                keep: 30d
            """.write(to: policy, atomically: true, encoding: .utf8)
        try a.run(["retention", "apply", "--policy", policy.path, "--now", "2026-06-01T00:00:00Z"]).expectSuccess("apply")
        #expect(try a.stats().messages == slack, "every Mattermost message shredded, every Slack one kept")
        #expect(try hits("zeppelin", a).isEmpty)
        // Shredded stays shredded: a re-import adds nothing back.
        let again = try a.importExport(try Self.exportFolder(Self.lines()))
        #expect(again.messagesAdded == 0 && again.messagesSkippedShredded == Self.messageCount, "\(again)")

        let bad = Harness.tempDir("mm-policy").appendingPathComponent("bad.yml")
        try "version: 1\ndefault:\n  keep: forever\nrules:\n  - name: x\n    match:\n      platform: myspace\n    keep: 1d\n".write(to: bad, atomically: true, encoding: .utf8)
        let refused = try a.run(["policy", "check", bad.path])
        #expect(refused.status == 6 && refused.stderr.contains("unknown platform \"myspace\""), "\(refused.status) \(refused.stderr)")
    }

    /// A Mattermost user whose username is a Slack user's id already in the archive is refused,
    /// not merged into the Slack user: the archive unchanged.
    @Test func aUserIDHeldByAnotherPlatformIsRefused() throws {
        let a = try Harness.makeArchive("mm-collide")
        _ = try a.importExport(Repository.fixture("slack-sample"))
        let before = try a.stats()
        let lines = Self.lines().map { $0.replacingOccurrences(of: #""username":"alice""#, with: #""username":"U05A1LC3K9P""#) }
        #expect(lines != Self.lines())
        let r = try a.run(["import", try Self.exportFolder(lines).path])
        #expect(r.status == 9 && r.stderr.contains("user U05A1LC3K9P: the archive holds a slack user with this id"), "\(r.status) \(r.stderr)")
        let after = try a.stats()
        #expect(after.messages == before.messages && after.channels == before.channels, "\(after)")
    }

    /// Hostile or broken files are refused naming the file and line, the archive unchanged.
    @Test(arguments: ["long", "utf8", "array", "notype"])
    func aBrokenLineIsRefusedNamingItsLine(_ kind: String) throws {
        let dir = Harness.tempDir("mm-hostile")
        var bytes = Array((Self.lines().prefix(3).joined(separator: "\n") + "\n").utf8)
        switch kind {
        case "long": bytes += Array(repeating: UInt8(ascii: "x"), count: 64 << 20 | 1) + [0x0A]
        case "utf8": bytes += Array(#"{"type":"team","team":{"name":"a"#.utf8) + [0xC3, 0x28] + Array(#""}}"#.utf8) + [0x0A]
        case "array": bytes += Array("[1,2,3]\n".utf8)
        default: bytes += Array(#"{"team":{"name":"x"}}"#.utf8) + [0x0A]
        }
        try Data(bytes).write(to: dir.appendingPathComponent("import.jsonl"))
        let a = try Harness.makeArchive("mm-hostile")
        let r = try a.run(["import", dir.path])
        #expect(r.status == 9, "\(kind): exit \(r.status): \(r.stderr)")
        #expect(r.stderr.contains("import.jsonl line 4"), "\(kind): \(r.stderr)")
        #expect(try a.stats().messages == 0 && a.stats().channels == 0)
    }

    /// The shared corpus's real Mattermost files: zulip's fixtures (mmctl's v5-era shape) and
    /// lines of an mmctl v11.1.0 export (pretty-printed one per file, joined into a JSONL here).
    @Test func theCorpusFilesRoundTrip() throws {
        let root = SharedCorpus.root.appendingPathComponent("mattermost")
        guard FileManager.default.fileExists(atPath: root.path) else {
            print("SKIP: Mattermost corpus not found at \(root.path)")
            return
        }
        var inputs: [(String, [String])] = []
        for name in ["mattermost_fixtures/export.json", "mattermost_fixtures/direct_channel/export.json"] {
            inputs.append((name, try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8).components(separatedBy: "\n").filter { !$0.isEmpty }))
        }
        let samples = root.appendingPathComponent("mattermost_v11.1.0_fixtures/exported_object_samples")
        var v11 = [#"{"type":"version","version":1}"#]
        for name in try FileManager.default.contentsOfDirectory(atPath: samples.path).sorted() where name.hasSuffix(".json") {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: samples.appendingPathComponent(name)))
            v11.append(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
        }
        inputs.append(("v11.1.0 samples", v11))
        for (name, lines) in inputs {
            let a = try Harness.makeArchive("mm-corpus")
            let dir = Harness.tempDir("mm-corpus")
            try (lines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("import.jsonl"), atomically: true, encoding: .utf8)
            let report = try a.importExport(dir)
            let posts = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
                .compactMap { ($0["post"] ?? $0["direct_post"]) as? [String: Any] }
            let expectedMessages = posts.reduce(0) { $0 + 1 + (($1["replies"] as? [Any])?.count ?? 0) }
            #expect(report.messagesAdded == expectedMessages, "\(name): \(report.messagesAdded) of \(expectedMessages); \(report.warnings)")
            // Kept: every line but the types Lethe does not archive (named in the warnings).
            let kept = lines.filter { line in
                let type = (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["type"] as? String
                return ["version", "team", "channel", "user", "post", "direct_channel", "direct_post"].contains(type ?? "")
            }
            let teamsWithChannels = Set(posts.compactMap { $0["team"] as? String }).union(
                lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["channel"] as? [String: Any] }.compactMap { $0["team"] as? String })
            let expected = kept.filter { line in
                guard let team = ((try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["team"] as? [String: Any])?["name"] as? String else { return true }
                return teamsWithChannels.contains(team)
            }
            #expect(try Self.values(Self.exported(a)) == Self.values(expected), "\(name)")
            #expect(try a.importExport(dir).messagesAdded == 0, "\(name): re-import adds nothing")
        }
    }
}
