import Foundation
import LetheCore
import LetheTestSupport
import Testing

/// Issue 15, part 2: an Enterprise Grid export (org-level conversations and `org_users.json` at
/// its root, each workspace a Slack export of its own under `teams/<workspace>/`) imports whole:
/// every workspace, a channel shared between two stored once, the workspace recorded per
/// conversation, `in:workspace/#channel` and a policy's `workspace:`, the Grid layout exported
/// back. A folder of several exports side by side is refused with their names. The real binary.
@Suite(.serialized) struct GridExportTests {
    static func message(_ ts: String, _ user: String, _ text: String, thread: String? = nil) -> String {
        #"{"type":"message","user":"\#(user)","text":"\#(text)","ts":"\#(ts)"\#(thread.map { #","thread_ts":"\#($0)""# } ?? "")}"#
    }

    static func day(_ messages: String...) -> String { "[\n" + messages.joined(separator: ",\n") + "\n]\n" }

    static let u1 = #"{"id":"U1","team_id":"T1","name":"ada","profile":{"display_name":"Ada"}}"#
    static let u2 = #"{"id":"U2","team_id":"T1","name":"bo","profile":{"display_name":"Bo"}}"#
    static let u3 = #"{"id":"U3","team_id":"T2","name":"cy","profile":{"display_name":"Cy"}}"#
    static let shared = #"{"id":"C9","name":"eng-sales","created":1700000000,"is_org_shared":true,"members":["U1","U3"]}"#

    /// The Grid export: 9 distinct messages in 6 conversations (the shared channel's 2 are in
    /// both workspaces' folders), 3 users.
    static let files: [(String, String)] = [
        ("channels.json", #"[{"id":"C0ORG","name":"announce","created":1700000000,"members":["U1","U2","U3"]}]"#),
        ("groups.json", "[]"), ("mpims.json", "[]"),
        ("dms.json", #"[{"id":"D0DM1","created":1700000000,"members":["U1","U3"]}]"#),
        ("org_users.json", "[\(u1),\(u2),\(u3)]"),
        ("announce/2024-03-01.json", day(message("1709290000.000100", "U1", "orgwide kickoff"), message("1709290100.000200", "U2", "welcome all"))),
        ("D0DM1/2024-03-01.json", day(message("1709290200.000300", "U3", "private hello"))),
        ("teams/acme-eng/channels.json", #"[{"id":"C1","name":"general-eng","created":1700000000,"members":["U1","U2"]},\#(shared)]"#),
        ("teams/acme-eng/users.json", "[\(u1),\(u2)]"),
        ("teams/acme-eng/general-eng/2024-03-01.json", day(message("1709290300.000400", "U1", "deploy tonight"), message("1709290400.000500", "U2", "ack deploy", thread: "1709290300.000400"))),
        ("teams/acme-eng/eng-sales/2024-03-02.json", day(message("1709380000.000100", "U1", "pricing question"), message("1709380100.000200", "U3", "pricing answer"))),
        ("teams/acme-sales/channels.json", #"[{"id":"C2","name":"general-sales","created":1700000000,"members":["U3"]},\#(shared)]"#),
        ("teams/acme-sales/groups.json", #"[{"id":"G1","name":"deals","created":1700000000,"members":["U3"]}]"#),
        ("teams/acme-sales/users.json", "[\(u3)]"),
        ("teams/acme-sales/general-sales/2024-03-01.json", day(message("1709290500.000600", "U3", "quota reached"))),
        ("teams/acme-sales/eng-sales/2024-03-02.json", day(message("1709380000.000100", "U1", "pricing question"), message("1709380100.000200", "U3", "pricing answer"))),
        ("teams/acme-sales/deals/2024-03-03.json", day(message("1709470000.000100", "U3", "contract signed"))),
    ]

    static func write(_ name: String, _ files: [(String, String)]) throws -> URL {
        try ExportCoverageTests.folder(name, files)
    }

    /// Every `.json` file below `root`, parsed: relative path → JSON value.
    static func jsonFiles(_ root: URL) throws -> [String: Any] {
        var out: [String: Any] = [:]
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            guard url.pathExtension == "json" else { continue }
            let path = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
            out[path] = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        }
        return out
    }

    /// The distinct (conversation id, ts) pairs of the fixture, worked out from its files.
    static func independentCount() throws -> Int {
        var ids: [String: String] = [:]  // "<part>/<folder>" → id
        var seen = Set<String>()
        for (path, text) in files where path.hasSuffix("s.json") && !path.hasSuffix("users.json") {
            let part = path.hasPrefix("teams/") ? path.split(separator: "/").prefix(2).joined(separator: "/") + "/" : ""
            for case let c as [String: Any] in try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [Any] {
                let id = c["id"] as! String
                ids[part + ((c["name"] as? String) ?? id)] = id
            }
        }
        for (path, text) in files {
            let parts = path.split(separator: "/")
            guard let last = parts.last, last.first?.isNumber == true else { continue }
            let id = try #require(ids[parts.dropLast().joined(separator: "/")], "\(path) is a listed conversation's")
            for case let m as [String: Any] in try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [Any] {
                seen.insert(id + "/" + (m["ts"] as! String))
            }
        }
        return seen.count
    }

    func hits(_ q: String, _ a: TestArchive) throws -> [String] {
        let r = try a.run(["search", q, "--json"])
        #expect(r.status == 0, "\(q): \(r.stderr)")
        return try r.decodeLines(SearchHit.self).map { "\($0.channelID)/\($0.ts)" }.sorted()
    }

    @Test func aGridExportImportsEveryWorkspaceAndExportsItsLayoutBack() throws {
        let export = try Self.write("grid", Self.files)
        let a = try Harness.makeArchive("grid")
        let report = try a.importExport(export)
        let expected = try Self.independentCount()
        #expect(expected == 9)
        #expect(report.messagesAdded == expected, "\(report.messagesAdded)")
        #expect(report.messagesSkippedDuplicate == 0, "the shared channel's two copies are one")
        #expect(report.channels == 6 && report.channelsAdded == 6, "\(report.channels) \(report.channelsAdded)")
        #expect(report.usersAdded == 3)
        #expect(report.filesUnread.isEmpty, "\(report.filesUnread)")
        #expect(report.warnings.isEmpty, "\(report.warnings)")
        #expect(try a.stats().messages == expected)

        // Re-import adds nothing.
        let again = try a.importExport(export)
        #expect(again.messagesAdded == 0 && again.messagesUpdated == 0 && again.channelsAdded == 0 && again.usersUpdated == 0,
                "\(again.messagesAdded) \(again.messagesUpdated) \(again.channelsAdded) \(again.usersUpdated)")

        // in:workspace/#channel: the shared channel from either workspace, a channel only from its own.
        #expect(try hits("pricing in:acme-eng/#eng-sales", a) == ["C9/1709380000.000100", "C9/1709380100.000200"])
        #expect(try hits("pricing in:acme-sales/eng-sales", a) == ["C9/1709380000.000100", "C9/1709380100.000200"])
        #expect(try hits("deploy in:acme-eng/#general-eng", a) == ["C1/1709290300.000400", "C1/1709290400.000500"])
        #expect(try hits("deploy in:acme-sales/#general-eng", a).isEmpty)
        #expect(try hits("orgwide in:#announce", a) == ["C0ORG/1709290000.000100"])
        let bad = try a.run(["search", "x in:acme-eng/"])
        #expect(bad.status == 64 && bad.stderr.contains("in:workspace/#channel"), "\(bad.stderr)")

        // Export writes the Grid layout back: every file of the export, as equal JSON values
        // (metadata arrays as the same elements: the archive lists them in its own order).
        let out = Harness.tempDir("grid-out").appendingPathComponent("out")
        try a.run(["export", "--out", out.path]).expectSuccess("export")
        let original = try Self.jsonFiles(export), exported = try Self.jsonFiles(out)
        for (path, value) in original {
            let got = try #require(exported[path], "\(path) is exported")
            if path.split(separator: "/").last?.first?.isNumber == true {
                #expect((got as! NSArray) == (value as! NSArray), "\(path): the same messages")
            } else {
                #expect(Set((got as! [NSDictionary])) == Set((value as! [NSDictionary])), "\(path): the same elements")
            }
        }
        for (path, value) in exported where original[path] == nil {
            #expect((value as? NSArray)?.count == 0, "\(path): only empty metadata files are added")
        }

        // The export imports into a fresh archive as the same archive.
        let b = try Harness.makeArchive("grid-again")
        let back = try b.importExport(out)
        #expect(back.messagesAdded == expected && back.filesUnread.isEmpty && back.warnings.isEmpty, "\(back.warnings) \(back.filesUnread)")
    }

    @Test func aPolicyMatchesAWorkspaceWithTheFullKeyAndTheRetentionRole() throws {
        let export = try Self.write("grid-retention", Self.files)
        let root = Harness.tempDir("grid-policy")
        let policy = root.appendingPathComponent("p.yml")
        try Data("""
        version: 1
        default:
          keep: forever
        rules:
          - name: sales-short
            match: { workspace: acme-sales }
            keep: 30d
        """.utf8).write(to: policy)
        let a = try Harness.makeArchive("grid-retention")
        try a.importExport(export)
        let now = "2024-06-01T00:00:00Z"
        let plan = try a.run(["retention", "plan", "--policy", policy.path, "--now", now, "--json"]).expectSuccess("plan")
        #expect(plan.stdout.contains("sales-short"), "\(plan.stdout)")
        // The retention role reads the workspaces from its views (never the records): the same plan.
        let retentionKey = a.root.appendingPathComponent("retention.key")
        try a.run(["key", "issue", "--role", "retention", "--out", retentionKey.path]).expectSuccess("issue retention key")
        let rolePlan = try RoleImportTests.roleRun(a, retentionKey, ["retention", "plan", "--policy", policy.path, "--now", now, "--json"]).expectSuccess("role plan")
        #expect(try RetentionRoleTests.comparable(rolePlan) == RetentionRoleTests.comparable(plan))
        try RoleImportTests.roleRun(a, retentionKey, ["retention", "apply", "--policy", policy.path, "--now", now]).expectSuccess("role apply")
        // acme-sales's conversations are gone (the shared channel with them); acme-eng's and the org's stay.
        #expect(try hits("pricing", a).isEmpty)
        #expect(try hits("quota", a).isEmpty)
        #expect(try hits("contract", a).isEmpty)
        #expect(try hits("deploy", a).count == 2)
        #expect(try hits("orgwide", a).count == 1)
        #expect(try hits("private", a).count == 1)
        #expect(try a.stats().messages == 5)

        // Both keys and workspace: or workspaces:, not both.
        try Data("""
        version: 1
        default:
          keep: forever
        rules:
          - name: r
            match: { workspace: a, workspaces: [b] }
            keep: 30d
        """.utf8).write(to: policy)
        let bad = try a.run(["retention", "plan", "--policy", policy.path])
        #expect(bad.status == 6 && bad.stderr.contains("give workspace or workspaces, not both"), "\(bad.stderr)")
    }

    @Test func severalExportsSideBySideAreRefusedByName() throws {
        let one = #"[{"id":"C1","name":"general","created":1700000000}]"#
        let export = try Self.write("two-exports", [
            ("acme/channels.json", one), ("acme/general/2024-01-01.json", Self.day(Self.message("1704100000.000100", "U1", "hi"))),
            ("umbrella/channels.json", one), ("umbrella/general/2024-01-01.json", Self.day(Self.message("1704100000.000100", "U1", "hi"))),
        ])
        let a = try Harness.makeArchive("two-exports")
        let before = Harness.snapshot(a.dir)
        let r = try a.run(["import", export.path])
        #expect(r.status == 9, "\(r.stderr)")
        #expect(r.stderr.contains("two-exports: holds 2 exports side by side (acme/, umbrella/)"), "\(r.stderr)")
        #expect(r.stderr.contains("lethe import two-exports/acme/"), "\(r.stderr)")
        #expect(Harness.snapshot(a.dir) == before)
        // Each imports by its own path.
        #expect(try a.importExport(export.appendingPathComponent("acme")).messagesAdded == 1)
    }

    /// A folder under `teams/` whose name Lethe could not write back as one folder (a metadata
    /// file's name, a control character, a name past the length limit) is not a workspace: its
    /// files are listed as not imported, with why; the real workspaces import as before.
    @Test func aWorkspaceFolderWithAHostileNameIsListedNotRead() throws {
        let bad = ["users.json", "bell\u{07}ws", String(repeating: "w", count: 201)]
        var files = Self.files
        for name in bad {
            files.append(("teams/\(name)/channels.json", #"[{"id":"C7","name":"x","created":1700000000}]"#))
            files.append(("teams/\(name)/x/2024-03-05.json", Self.day(Self.message("1709600000.000100", "U1", "hostile"))))
        }
        let export = try Self.write("grid-hostile", files)
        let a = try Harness.makeArchive("grid-hostile")
        let report = try a.importExport(export)
        #expect(report.messagesAdded == 9, "only the real workspaces' messages: \(report.messagesAdded)")
        let unread = Set(report.filesUnread.map(\.path))
        for name in bad {
            for f in ["channels.json", "x/2024-03-05.json"] { #expect(unread.contains("teams/\(name)/\(f)"), "\(name): \(report.filesUnread)") }
        }
        #expect(report.filesUnread.count == 2 * bad.count, "\(report.filesUnread)")
        for f in report.filesUnread { #expect(f.reason.contains("not an Enterprise Grid workspace"), "\(f.path): \(f.reason)") }
        #expect(try hits("hostile", a).isEmpty)
        #expect(try a.run(["import", "--strict", export.path]).status == 9)
    }

    /// The bundled Grid fixture (`make demo` imports it): two workspaces each with a #general,
    /// shown apart by their workspace; the shared channel's message found once.
    @Test func theBundledGridFixtureImportsWhole() throws {
        let a = try Harness.makeArchive("grid-fixture")
        let report = try a.importFixture("slack-grid")
        #expect(report.messagesAdded == 9 && report.channels == 6 && report.usersAdded == 3, "\(report)")
        #expect(report.filesUnread.map(\.path) == ["README.md"], "\(report.filesUnread)")
        let r = try a.run(["search", "quasar", "--json"])
        let labels = try r.decodeLines(SearchHit.self).map(\.channel).sorted()
        #expect(labels == ["#announce", "#eng-sales", "acme-sales/#general"], "\(labels)")
        let general = try a.run(["search", "in:#general", "--json"]).decodeLines(SearchHit.self)
        #expect(Set(general.map(\.channel)) == ["acme-eng/#general", "acme-sales/#general"])
    }
}
