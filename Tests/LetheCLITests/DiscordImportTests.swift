import Foundation
import LetheCore
import LetheTestSupport
import Testing

/// Issue 19, Discord: DiscordChatExporter's JSON (one file per channel, a folder or zip of them)
/// imports into the same archive, search and retention, and `lethe export` writes each channel's
/// file back, equal as a JSON value. The shared corpus's real files (mlomb/chat-analytics' DM,
/// group and server samples; zulip's partitioned server export) and our own edited copy. The real binary.
@Suite(.serialized) struct DiscordImportTests {
    static let corpus = SharedCorpus.root.appendingPathComponent("discord")
    static let names = ["mlomb/DM_2A_2M.json", "mlomb/GC_3A_5M.json", "mlomb/SV_5A_5M.json",
                        "zulip/channels/zulip-discord server - Text Channels - general [1519311538035490958] [part 3].json"]

    /// The corpus files copied into a new folder (nil, after printing why, when the corpus is absent).
    static func export() throws -> URL? {
        guard FileManager.default.fileExists(atPath: corpus.path) else {
            print("SKIP: Discord corpus not found at \(corpus.path)")
            return nil
        }
        let dir = Harness.tempDir("discord")
        for name in names {
            let to = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: corpus.appendingPathComponent(name), to: to)
        }
        return dir
    }

    static func object(_ url: URL) throws -> NSDictionary {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! NSDictionary
    }

    func hits(_ q: String, _ a: TestArchive) throws -> [LetheTestSupport.SearchHit] {
        let r = try a.run(["search", q, "--json"])
        #expect(r.status == 0, "\(q): \(r.stderr)")
        return try r.decodeLines(LetheTestSupport.SearchHit.self)
    }

    @Test func channelFilesImportSearchAndExportBackAsTheyWere() throws {
        guard let dir = try Self.export() else { return }
        let inputs = try Self.names.map { try Self.object(dir.appendingPathComponent($0)) }
        let count = inputs.reduce(0) { $0 + ($1["messages"] as! [Any]).count }
        #expect(count == 15)
        let a = try Harness.makeArchive("discord")
        let report = try a.importExport(dir)
        // SV_5A_5M.json holds one message twice (same id, same timestamp): kept once, and counted.
        #expect(report.messagesAdded == count - 1 && report.messagesSkippedDuplicate == 1 && report.channelsAdded == 4,
                "\(report.messagesAdded) \(report.messagesSkippedDuplicate) \(report.channelsAdded) \(report.warnings)")
        #expect(report.messagesSkippedInvalid == 0, "\(report)")

        let edited = try hits("deleted", a)
        #expect(edited.count == 1 && edited.allSatisfy { $0.channel == "DefleMask/#general-chiptune" && $0.user == "Deleted User" }, "\(edited)")
        #expect(try hits("\"random link\"", a).map { "\($0.channel) \($0.user ?? "")" } == ["zulip-discord server/#general hamlet"])
        // A guild name with a space is written quoted after in: (either the whole value or the guild).
        for scope in ["in:\"zulip-discord server/#general\"", "in:\"zulip-discord server\"/#general"] {
            let scoped = try hits("random \(scope)", a)
            #expect(!scoped.isEmpty && Set(scoped.map(\.channel)) == ["zulip-discord server/#general"], "\(scope): \(scoped)")
        }
        #expect(try hits("random in:\"zulip-discord server/#random\"", a).isEmpty)
        let dm = try hits("blah", a)
        #expect(dm.map(\.kind) == ["dm"] && dm.first?.channel.contains("@mlomb") == true, "\(dm)")
        #expect(try hits("nickname is:thread", a).isEmpty)
        let reply = try hits("custom_emoji", a)
        #expect(reply.count == 1 && reply.first?.threadTs != nil, "a reply points at the message it references: \(reply)")

        // Export: each channel's file back, as a JSON value.
        let out = Harness.tempDir("discord-out").appendingPathComponent("x")
        try a.run(["export", "--out", out.path]).expectSuccess("export")
        let files = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("discord").path).sorted()
        let top = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(files.count == 4 && top == ["discord"], "\(files) \(top)")
        var exported: [String: NSDictionary] = [:]
        for f in files {
            let o = try Self.object(out.appendingPathComponent("discord").appendingPathComponent(f))
            exported[(o["channel"] as! NSDictionary)["id"] as! String] = o
        }
        for (name, input) in zip(Self.names, inputs) {
            let id = (input["channel"] as! NSDictionary)["id"] as! String
            let expected = input.mutableCopy() as! NSMutableDictionary
            if name.hasSuffix("SV_5A_5M.json") {  // less its message's second copy
                let messages = input["messages"] as! [NSDictionary]
                expected["messages"] = Array(messages.dropFirst())
                expected["messageCount"] = messages.count - 1
            }
            #expect(exported[id] == expected, "\(name) comes back as it was: \(String(describing: exported[id]))")
        }

        // Again: nothing new. Then an edit, in a later export: the message is updated.
        let again = try a.importExport(dir)
        #expect(again.messagesAdded == 0 && again.messagesUpdated == 0 && again.messagesUnchanged == count - 1, "\(again)")
        let sv = dir.appendingPathComponent("mlomb/SV_5A_5M.json")
        var text = try String(contentsOf: sv, encoding: .utf8)
        text = text.replacingOccurrences(of: "This message has reactions.", with: "This message has reactions and a wombat.")
        text = text.replacingOccurrences(of: #""timestampEdited": null"#, with: #""timestampEdited": "2030-01-01T00:00:00.000+00:00""#)
        try text.write(to: sv, atomically: true, encoding: .utf8)
        let edit = try a.importExport(dir)
        #expect(edit.messagesAdded == 0 && edit.messagesUpdated >= 1, "\(edit.messagesAdded) \(edit.messagesUpdated)")
        #expect(try hits("wombat", a).count == 1)
    }

    @Test func retentionMatchesDiscordAndBrokenFilesAreRefused() throws {
        guard let dir = try Self.export() else { return }
        let a = try Harness.makeArchive("discord-retention")
        _ = try a.importExport(Repository.fixture("slack-sample"))
        let slack = try a.stats().messages
        _ = try a.importExport(dir)
        let policy = Harness.tempDir("dc-policy").appendingPathComponent("p.yml")
        try "version: 1\ndefault:\n  keep: forever\nrules:\n  - name: discord\n    match:\n      platform: discord\n    keep: 30d\n"
            .write(to: policy, atomically: true, encoding: .utf8)
        let check = try a.run(["policy", "check", policy.path, "--json"]).expectSuccess("policy check")
        #expect(check.stdout.contains(#""platform":"discord""#), "\(check.stdout.prefix(500))")
        try a.run(["retention", "apply", "--policy", policy.path, "--now", "2031-01-01T00:00:00Z"]).expectSuccess("apply")
        #expect(try a.stats().messages == slack, "every Discord message shredded, every Slack one kept")

        let head = #"{"guild": {"id": "1"}, "channel": {"id": "2"}, "messages": ["#
        let message = #"{"id": "3", "timestamp": "2026-01-01T00:00:00Z", "content": "ok"}"#
        for (name, bytes, says) in [("not-json", head + " {", "not JSON"), ("no-array", #"{"guild": {"id": "1"}, "channel": {"id": "2"}, "messages": 7}"#, "a messages array"),
                                    ("empty-element", head + message + ",," + message + "]}", "empty element at messages[1]"),
                                    ("bad-message", head + message + #", {"id": "4", "content": "\x"}]}"#, "messages[1] is not JSON"),
                                    ("long-message", head + #"{"content": ""# + String(repeating: "x", count: 64 << 20) + #""}]}"#, "messages[0] is over 67108864 bytes")] {
            let bad = Harness.tempDir("dc-bad")
            try bytes.write(to: bad.appendingPathComponent("x.json"), atomically: true, encoding: .utf8)
            let b = try Harness.makeArchive("dc-bad")
            let r = try b.run(["import", bad.path])
            #expect(r.status == 9 && r.stderr.contains("x.json") && r.stderr.contains(says), "\(name): \(r.status) \(r.stderr)")
            #expect(try b.stats().channels == 0)
        }
    }

    /// Our own channel file, exported with `--media`: one attachment downloaded beside it
    /// (`media\\…`, Windows separators), one named by URL only, one whose path leaves the export,
    /// and an avatar no attachment names. The first is archived, searched and written back.
    @Test func downloadedAttachmentsAreArchivedSearchedAndWrittenBack() throws {
        let dir = Repository.fixture("discord-sample")
        let name = "zine-collective - Text Channels - events [5001].json"
        let plan = try Data(contentsOf: dir.appendingPathComponent("media/riso-plan-5e1f.txt"))
        let a = try Harness.makeArchive("discord-media")
        let report = try a.importExport(dir)
        #expect(report.messagesAdded == 2 && report.filesAdded == 1 && report.filesMissing == 2, "\(report)")
        #expect(report.filesUnread.map(\.path) == ["media/avatar-4001.png"], "\(report.filesUnread)")
        let reasons = report.warnings.joined(separator: " | ")
        #expect(reasons.contains("1 attachment(s) named by URL only") && reasons.contains("1 attachment(s) naming a downloaded copy this export does not hold"), "\(reasons)")
        let hit = try hits("fluorescent", a)
        #expect(hit.map(\.channel) == ["zine-collective/#events"], "the attachment's text is searched: \(hit)")
        #expect(try hits("quince has:file", a).count == 1)

        let out = Harness.tempDir("discord-media-out").appendingPathComponent("x")
        let export = try a.run(["export", "--out", out.path, "--json"]).expectSuccess("export")
        #expect(try Data(contentsOf: out.appendingPathComponent("discord/media/riso-plan-5e1f.txt")) == plan, "beside the channel file, where its url points")
        let written = try FileManager.default.subpathsOfDirectory(atPath: out.path).sorted()
        #expect(written == ["discord", "discord/events [5001].json", "discord/media", "discord/media/riso-plan-5e1f.txt"], "\(written) \(export.stdout)")
        let back = try Self.object(out.appendingPathComponent("discord/events [5001].json"))
        #expect(back == (try Self.object(dir.appendingPathComponent(name))), "the channel file comes back as it was")

        let again = try a.importExport(dir)
        #expect(again.filesAdded == 0 && again.filesUnchanged == 1 && again.messagesAdded == 0, "\(again)")
    }
}
