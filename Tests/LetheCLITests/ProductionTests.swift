import Foundation
import LetheCore
import Testing

/// `lethe export` productions (issue 16) on the real binary: RSMF validated against the 2.0.0
/// schema and cross-checked, Slack subsets re-imported, holds, load files, dry runs, the audit.
///
/// The oracle reads the fixture exports themselves (`ExportTree`, Foundation's JSON), never
/// the archive: `Oracle.messages` is every message of slack-sample with slack-sample-update
/// laid over it, by conversation id and ts.
@Suite(.serialized) struct ProductionTests {
    static let alice = "U05A1LC3K9P", bob = "U05B0B7Q2XR"

    // MARK: - The independent computation

    struct Message: Hashable {
        var conversation: String
        var ts: String
        var author: String?
        var threadTS: String?
        var subtype: String?
        /// UTC day, YYYY-MM-DD.
        var day: String
        var seconds: Int64
    }

    enum Oracle {
        /// Conversation id → (name or nil for a DM, kind file).
        static func conversations() throws -> [String: (name: String?, file: String)] {
            var out: [String: (name: String?, file: String)] = [:]
            for export in ["slack-sample", "slack-sample-update"] {
                let tree = try ExportTree(Repository.fixture(export))
                for file in ["channels.json", "groups.json", "dms.json", "mpims.json"] {
                    for case let c as NSDictionary in tree.metadata[file] ?? [] {
                        guard let id = c["id"] as? String else { continue }
                        out[id] = (file == "dms.json" ? nil : c["name"] as? String, file)
                    }
                }
            }
            return out
        }

        static func messages() throws -> [Message] {
            var byKey: [String: Message] = [:]
            for export in ["slack-sample", "slack-sample-update"] {
                let tree = try ExportTree(Repository.fixture(export))
                var folderID: [String: String] = [:]
                for file in ["channels.json", "groups.json", "mpims.json"] {
                    for case let c as NSDictionary in tree.metadata[file] ?? [] {
                        if let id = c["id"] as? String, let name = c["name"] as? String { folderID[name] = id }
                    }
                }
                for case let c as NSDictionary in tree.metadata["dms.json"] ?? [] { if let id = c["id"] as? String { folderID[id] = id } }
                for (path, messages) in tree.days {
                    let folder = String(path.split(separator: "/")[0])
                    let cid = try #require(folderID[folder], "\(export): folder \(folder) is listed")
                    for (ts, m) in messages {
                        let seconds = Int64(ts.split(separator: ".")[0]) ?? 0
                        let author = (m["user"] as? String) ?? (m["bot_id"] as? String) ?? (m["username"] as? String)
                        byKey[cid + "/" + ts] = Message(conversation: cid, ts: ts, author: author, threadTS: m["thread_ts"] as? String,
                                                        subtype: m["subtype"] as? String, day: utcDay(seconds), seconds: seconds)
                    }
                }
            }
            return Array(byKey.values)
        }

        static func utcDay(_ seconds: Int64) -> String {
            let f = DateFormatter()
            f.timeZone = TimeZone(identifier: "UTC")
            f.locale = Locale(identifier: "en_US_POSIX")
            f.dateFormat = "yyyy-MM-dd"
            return f.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        }
    }

    /// One event as the Python reader found it in a produced file.
    struct Event: Decodable, Hashable {
        var file: String
        var conversation: String
        var id: String
        var participant: String?
        var parent: String?
        var context: Bool
        var type: String
        var deleted: Bool
        var edited: Bool
        var reactions: Int
        var attachments: Int
    }

    struct Checked: Decodable {
        var validated: Bool
        var skip: String?
        var files: Int
        var problems: [String]
        var events: [Event]
    }

    // MARK: - Reading RSMF with an independent implementation (Python's email, zipfile, jsonschema)

    static let schema = Repository.root.deletingLastPathComponent().appendingPathComponent("shared/reference/rsmf/rsmf_schema_2_0_0.json")

    /// Parses every .rsmf file of `dir`, checks the MIME layout, the headers, the schema and every
    /// cross-reference the schema cannot check, and lists the events. Nil (after `SKIP:`) without python3.
    static func readRSMF(_ dir: URL) throws -> Checked? {
        // The python3 on this process's PATH (CI installs jsonschema for that one), else the system's.
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/bin:/bin"
        guard let python = path.split(separator: ":").map({ URL(fileURLWithPath: String($0)).appendingPathComponent("python3") })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0.path) })
        else {
            print("SKIP: RSMF files are read with Python's email and zipfile modules: no python3 on PATH")
            return nil
        }
        let script = #"""
import email, glob, io, json, os, re, sys, zipfile
folder, schema_path = sys.argv[1], sys.argv[2]
problems, events, validator, skip = [], [], None, None
try:
    import jsonschema
    if os.path.exists(schema_path):
        schema = json.load(open(schema_path))
        validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    else:
        skip = "the RSMF 2.0.0 schema is not at " + schema_path
except ImportError:
    skip = "Python jsonschema is not installed (pip install jsonschema)"
iso = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$")
files = sorted(glob.glob(os.path.join(folder, "*.rsmf")))
for path in files:
    name = os.path.basename(path)
    raw = open(path, "rb").read()
    msg = email.message_from_bytes(raw)
    def bad(why): problems.append(name + ": " + why)
    if msg["X-RSMF-Version"] != "2.0.0": bad("X-RSMF-Version is %r" % msg["X-RSMF-Version"])
    for h in ("From", "Date", "X-RSMF-BeginDate", "X-RSMF-EndDate", "X-RSMF-EventCount"):
        if msg[h] is None: bad("no " + h + " header")
    if b"\r\n" not in raw or b"\n" in raw.replace(b"\r\n", b""): bad("lines are not all CRLF")
    parts = [p for p in msg.walk() if not p.is_multipart()]
    attachments = [p for p in parts if p.get_filename() is not None]
    texts = [p for p in parts if p.get_content_type() == "text/plain" and p.get_filename() is None]
    if len(attachments) != 1 or attachments[0].get_filename() != "rsmf.zip": bad("attachments are %r" % [p.get_filename() for p in attachments]); continue
    if attachments[0].get("Content-Transfer-Encoding") != "base64": bad("rsmf.zip is not base64")
    if len(texts) != 1 or not texts[0].get_payload(decode=True).decode("utf-8").strip(): bad("no readable text/plain part")
    z = zipfile.ZipFile(io.BytesIO(attachments[0].get_payload(decode=True)))
    if z.testzip() is not None: bad("a zip entry fails its CRC")
    names = set(z.namelist())
    if "rsmf_manifest.json" not in names: bad("no rsmf_manifest.json"); continue
    m = json.loads(z.read("rsmf_manifest.json"))
    if validator is not None:
        for e in validator.iter_errors(m): bad("schema: %s at %s" % (e.message, list(e.absolute_path)))
    pids = [p["id"] for p in m["participants"]]
    if len(set(pids)) != len(pids): bad("participant ids repeat")
    cids = set(c["id"] for c in m["conversations"])
    for c in m["conversations"]:
        for p in c["participants"]:
            if p not in pids: bad("conversation names unknown participant " + p)
        if "custodian" in c and c["custodian"] not in c["participants"]: bad("custodian is not a participant")
        if c.get("platform") != "slack": bad("platform is not slack")
    eids = [e["id"] for e in m["events"]]
    if len(set(eids)) != len(eids): bad("event ids repeat")
    if int(msg["X-RSMF-EventCount"]) != len(eids): bad("X-RSMF-EventCount %s but %d events" % (msg["X-RSMF-EventCount"], len(eids)))
    stamps = sorted(e["timestamp"] for e in m["events"])
    if stamps and (msg["X-RSMF-BeginDate"] != stamps[0][:19] + "Z" or msg["X-RSMF-EndDate"] != stamps[-1][:19] + "Z"): bad("begin/end headers do not match the events")
    for e in m["events"]:
        if e.get("conversation") not in cids: bad("event %s: unknown conversation" % e["id"])
        if "participant" in e and e["participant"] not in pids: bad("event %s: unknown participant" % e["id"])
        if "parent" in e and e["parent"] not in eids: bad("event %s: parent %s not in the manifest" % (e["id"], e["parent"]))
        if not iso.match(e.get("timestamp", "")): bad("event %s: timestamp %r is not ISO 8601 UTC" % (e["id"], e.get("timestamp")))
        for r in e.get("reactions", []):
            for p in r.get("participants", []):
                if p not in pids: bad("event %s: reaction by unknown participant" % e["id"])
        for x in e.get("edits", []):
            if x["participant"] not in pids: bad("event %s: edit by unknown participant" % e["id"])
            if "timestamp" in x and not iso.match(x["timestamp"]): bad("event %s: edit timestamp" % e["id"])
        for a in e.get("attachments", []):
            if a["id"] not in names: bad("event %s: attachment %s not in rsmf.zip" % (e["id"], a["id"]))
        custom = {c["name"]: c["value"] for c in e.get("custom", [])}
        events.append({"file": name, "conversation": e["conversation"], "id": e["id"], "participant": e.get("participant"),
                       "parent": e.get("parent"), "context": "Lethe selection" in custom, "type": e["type"],
                       "deleted": e.get("deleted", False), "edited": bool(e.get("edits")), "reactions": len(e.get("reactions", [])),
                       "attachments": len(e.get("attachments", []))})
print(json.dumps({"validated": validator is not None, "skip": skip, "files": len(files), "problems": problems, "events": events}))
"""#
        let p = Process()
        p.executableURL = python
        p.arguments = ["-c", script, dir.path, schema.path]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestFailure("the RSMF reader failed: \(String(decoding: errors, as: UTF8.self))") }
        let checked = try JSONDecoder().decode(Checked.self, from: data)
        if let skip = checked.skip { print("SKIP: schema validation of RSMF manifests: \(skip) (the cross-references were still checked)") }
        return checked
    }

    static func sampleArchive(_ name: String) throws -> TestArchive {
        let a = try Harness.makeArchive(name)
        try a.importFixture("slack-sample")
        try a.importFixture("slack-sample-update")
        return a
    }

    /// Per conversation and UTC day: the selected messages (`events` not marked context).
    static func perDay(_ events: [Event]) throws -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for e in events where !e.context {
            let seconds = Int64(e.id.split(separator: ".")[0]) ?? 0
            out[e.conversation + " " + Oracle.utcDay(seconds), default: []].insert(e.id)
        }
        return out
    }

    static func perDay(_ messages: [Message]) -> [String: Set<String>] {
        Dictionary(grouping: messages) { $0.conversation + " " + $0.day }.mapValues { Set($0.map(\.ts)) }
    }

    /// What the events must say about threads: every reply names its parent, which is in the
    /// same file (selected there, or added as context exactly when it is not).
    static func checkThreads(_ events: [Event], oracle: [Message], context: Bool) {
        let byKey = Dictionary(oracle.map { ($0.conversation + "/" + $0.ts, $0) }) { a, _ in a }
        let byFile = Dictionary(grouping: events, by: \.file)
        for (file, list) in byFile {
            let ids = Set(list.map(\.id))
            for e in list {
                let m = byKey[e.conversation + "/" + e.id]
                #expect(m != nil, "\(file): event \(e.id) is a message of the export")
                guard let m else { continue }
                #expect(e.participant == m.author, "\(file): event \(e.id) is by \(m.author ?? "nobody"), not \(e.participant ?? "nobody")")
                let isReply = m.threadTS != nil && m.threadTS != m.ts
                let parentExists = m.threadTS.map { byKey[m.conversation + "/" + $0] != nil } ?? false
                if isReply && parentExists && (context || ids.contains(m.threadTS ?? "")) {
                    #expect(e.parent == m.threadTS, "\(file): reply \(e.id) names its parent \(m.threadTS ?? "")")
                } else {
                    #expect(e.parent == nil, "\(file): \(e.id) names no parent (\(e.parent ?? ""))")
                }
                #expect(e.type == (["channel_join", "group_join"].contains(m.subtype ?? "") ? "join" : "message"), "\(file): \(e.id) type")
                #expect(e.deleted == (m.subtype == "tombstone"), "\(file): \(e.id) deleted flag")
            }
            for e in list where e.context {
                #expect(list.contains { $0.parent == e.id && !$0.context }, "\(file): context event \(e.id) is the parent of a selected reply there")
            }
        }
    }

    // MARK: - Tests

    @Test func everyMessageAsRSMFValidatesAndMatchesTheExport() throws {
        let a = try Self.sampleArchive("rsmf-all")
        let out = a.root.appendingPathComponent("prod")
        let report = try a.run(["export", "--out", out.path, "--format", "rsmf", "--json"]).expectSuccess("export rsmf").decode(ProductionReport.self)
        guard let checked = try Self.readRSMF(out) else { return }
        #expect(checked.problems.isEmpty, "\(checked.problems.prefix(20).joined(separator: "\n"))")
        let oracle = try Oracle.messages()
        #expect(report.messages == oracle.count)
        #expect(checked.files == report.files)
        #expect(try Self.perDay(checked.events) == Self.perDay(oracle), "one file per conversation and UTC day, with exactly that day's messages")
        #expect(report.files == Set(oracle.map { $0.conversation + $0.day }).count)
        Self.checkThreads(checked.events, oracle: oracle, context: true)
        // The fixture's special messages arrive as such.
        #expect(checked.events.contains { $0.edited }, "edits")
        #expect(checked.events.contains { $0.reactions > 0 }, "reactions")
        #expect(checked.events.contains { $0.attachments > 0 }, "file attachments (slip sheets)")
        #expect(checked.events.contains { $0.type == "join" }, "joins")
        #expect(checked.events.contains { $0.deleted }, "the tombstone")
        #expect(checked.events.contains { $0.context }, "thread parents from earlier days as context")
        // The direct conversations are typed so: read one manifest's conversation type.
        let conversations = try Oracle.conversations()
        for c in report.byConversation {
            #expect(c.kind == (conversations[c.channelID]?.file == "dms.json" ? .dm : c.kind), "\(c.channelID)")
        }
    }

    @Test func aSelectionGivesExactlyItsMessagesWithThreadContext() throws {
        let a = try Self.sampleArchive("rsmf-sel")
        let oracle = try Oracle.messages()
        let names = try Oracle.conversations()
        let globbed = Set(names.filter { $0.value.name.map { $0 == "general" || $0.hasPrefix("mpdm-") } ?? false }.keys)
        let expected = oracle.filter {
            globbed.contains($0.conversation) && ($0.author == Self.alice || $0.author == Self.bob) && $0.day >= "2024-03-06" && $0.day <= "2025-12-31"
        }
        #expect(expected.contains { $0.threadTS != nil && $0.threadTS != $0.ts }, "the selection holds replies")
        for context in [true, false] {
            let out = a.root.appendingPathComponent("prod-\(context)")
            var args = ["export", "--out", out.path, "--format", "rsmf", "--json", "--channel", "#general", "--channel", "mpdm-*",
                        "--user", Self.alice, "--user", Self.bob, "--from", "2024-03-06", "--to", "2025-12-31"]
            if !context { args.append("--no-context") }
            let report = try a.run(args).expectSuccess("export selection").decode(ProductionReport.self)
            #expect(report.messages == expected.count)
            guard let checked = try Self.readRSMF(out) else { return }
            #expect(checked.problems.isEmpty, "\(checked.problems.prefix(20).joined(separator: "\n"))")
            #expect(try Self.perDay(checked.events) == Self.perDay(expected))
            Self.checkThreads(checked.events, oracle: oracle, context: context)
            #expect(checked.events.contains { $0.context } == context, "context parents exactly when asked for")
            // Every selected reply whose parent is outside the selection brings it, as context.
            let outside = Set(expected.compactMap { m in m.threadTS.flatMap { t in t != m.ts && !expected.contains { $0.conversation == m.conversation && $0.ts == t } ? t : nil } })
            #expect(!outside.isEmpty, "the selection has replies to parents it does not select")
            #expect(Set(checked.events.filter(\.context).map(\.id)) == (context ? outside : []))
        }
    }

    @Test func aQuerySelectsWhatSearchFinds() throws {
        let a = try Self.sampleArchive("rsmf-q")
        let search = try a.run(["search", "--json", "--limit", "100000", "budget"]).expectSuccess("search").decodeLines(SearchHit.self)
        let search2 = try a.run(["search", "--json", "--limit", "100000", "from:@alice is:thread"]).expectSuccess("search").decodeLines(SearchHit.self)
        #expect(!search.isEmpty && !search2.isEmpty, "the fixture has matches")
        let out = a.root.appendingPathComponent("prod")
        try a.run(["export", "--out", out.path, "--format", "rsmf", "--no-context", "--query", "budget", "--query", "from:@alice is:thread"])
            .expectSuccess("export query")
        guard let checked = try Self.readRSMF(out) else { return }
        #expect(checked.problems.isEmpty, "\(checked.problems.prefix(20).joined(separator: "\n"))")
        #expect(Set(checked.events.map { $0.conversation + "/" + $0.id }) == Set((search + search2).map { $0.channelID + "/" + $0.ts }),
                "the alternatives' union, every match")
    }

    @Test func aSlackSubsetReimportsAsExactlyTheSelection() throws {
        let a = try Self.sampleArchive("subset")
        let oracle = try Oracle.messages()
        let general = "C05GENRL001"
        let selected = oracle.filter { $0.conversation == general && $0.day >= "2024-03-06" && $0.day <= "2025-12-31" }
        // Thread context: replies whose parent is before --from bring it (the 2024-03-05 parent).
        let parents = Set(selected.compactMap { m in m.threadTS.flatMap { $0 != m.ts && !selected.contains { $0.ts == m.threadTS } ? $0 : nil } })
        #expect(parents == ["1709662447.278437"])
        let out = a.root.appendingPathComponent("subset")
        let report = try a.run(["export", "--out", out.path, "--format", "slack", "--channel", "#general", "--from", "2024-03-06", "--to", "2025-12-31", "--json"])
            .expectSuccess("export slack").decode(ProductionReport.self)
        #expect(report.messages == selected.count && report.contextMessages == 1)
        let tree = try ExportTree(out)
        #expect(Set(tree.metadata.keys) == ["channels.json", "users.json"], "only the produced conversations' metadata file, and users")
        #expect((tree.metadata["channels.json"] ?? []).compactMap { ($0 as? NSDictionary)?["id"] as? String } == [general])

        let b = try Harness.makeArchive("subset-reimport")
        let imported = try b.importExport(out)
        #expect(imported.messagesAdded == selected.count + 1)
        let back = b.root.appendingPathComponent("back")
        try b.run(["export", "--out", back.path]).expectSuccess("export the re-import")
        let got = Set(try ExportTree(back).days.values.flatMap(\.keys))
        #expect(got == Set(selected.map(\.ts)).union(parents), "the re-imported archive holds exactly the selection and its context")
    }

    @Test func aHoldProducesExactlyWhatRetentionKeeps() throws {
        let a = try Self.sampleArchive("hold")
        let policy = a.root.appendingPathComponent("policy.yml")
        try """
            version: 1
            default:
              keep: 1d
            holds:
              - name: matter-7
                case: "Test v. Example"
                match:
                  channels: ["general", "rand*"]
                  users: [\(Self.bob)]
                from: 2024-01-01
                until: 2025-12-31
            """.write(to: policy, atomically: true, encoding: .utf8)
        // What retention keeps with every bucket expired: exactly the hold's buckets.
        let plan = try a.run(["retention", "plan", "--json", "--policy", policy.path, "--now", "2030-01-01T00:00:00Z"])
            .expectSuccess("plan").decode(RetentionPlan.self)
        let held = Set(plan.held.map { $0.channelID + " " + Oracle.utcDay($0.start) })
        // The same from the fixture files: days (buckets) of general and random in which bob wrote within the hold.
        let oracle = try Oracle.messages()
        let names = try Oracle.conversations()
        let inHold = oracle.filter { m in names[m.conversation]?.name.map { $0 == "general" || $0.hasPrefix("rand") } ?? false }
        let heldDays = Set(inHold.filter { $0.author == Self.bob && $0.day >= "2024-01-01" && $0.day <= "2025-12-31" }.map { $0.conversation + " " + $0.day })
        #expect(!heldDays.isEmpty && held == heldDays, "retention and the oracle agree")
        let expected = inHold.filter { heldDays.contains($0.conversation + " " + $0.day) }

        let out = a.root.appendingPathComponent("prod")
        let report = try a.run(["export", "--out", out.path, "--format", "rsmf", "--no-context", "--hold", "matter-7", "--policy", policy.path, "--json"])
            .expectSuccess("export hold").decode(ProductionReport.self)
        #expect(report.messages == expected.count)
        guard let checked = try Self.readRSMF(out) else { return }
        #expect(checked.problems.isEmpty, "\(checked.problems.prefix(20).joined(separator: "\n"))")
        #expect(try Self.perDay(checked.events) == Self.perDay(expected), "every message of every held bucket, nothing else")

        // An unknown hold, or a hold without its policy, is a usage error that writes nothing.
        let bad = try a.run(["export", "--out", a.root.appendingPathComponent("bad").path, "--hold", "nope", "--policy", policy.path])
        #expect(bad.status == 64 && bad.stderr.contains("matter-7"), "\(bad.stderr)")
        #expect(try a.run(["export", "--out", a.root.appendingPathComponent("bad").path, "--hold", "matter-7"]).status == 64)
        #expect(!FileManager.default.fileExists(atPath: a.root.appendingPathComponent("bad").path))
    }

    @Test func theLoadFileHashesAreTheFilesHashes() throws {
        let a = try Self.sampleArchive("load")
        for format in ["rsmf", "slack"] {
            let out = a.root.appendingPathComponent("prod-\(format)")
            let report = try a.run(["export", "--out", out.path, "--format", format, "--channel", "general", "--channel", "random", "--json"])
                .expectSuccess("export").decode(ProductionReport.self)
            let csv = try String(contentsOf: out.appendingPathComponent("loadfile.csv"), encoding: .utf8)
            let lines = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.first == "file,conversation_id,conversation,begin,end,events,sha256")
            let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            #expect(rows.count == report.files && rows.allSatisfy { $0.count == 7 })
            // sha256sum, not our code, hashes the files.
            let check = rows.map { "\($0[6])  \($0[0])" }.joined(separator: "\n") + "\n"
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
            p.arguments = ["--check", "--strict", "--quiet", "-"]
            p.currentDirectoryURL = out
            let input = Pipe()
            p.standardInput = input
            p.standardOutput = Pipe()
            try p.run()
            input.fileHandleForWriting.write(Data(check.utf8))
            try input.fileHandleForWriting.close()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(format): sha256sum --check passes on every row")
            // Every produced file has a row, and nothing else is in the folder.
            var onDisk = Set<String>()
            let e = FileManager.default.enumerator(atPath: out.path)
            while let f = e?.nextObject() as? String {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: out.appendingPathComponent(f).path, isDirectory: &isDir), !isDir.boolValue { onDisk.insert(f) }
            }
            #expect(onDisk == Set(rows.map { $0[0] }).union(["loadfile.csv", "manifest.json"]), "\(format)")
            // manifest.json names the load file's digest, the counts and the audit entry.
            let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("manifest.json"))) as? [String: Any])
            #expect(manifest["load_file_sha256"] as? String == report.loadFileSha256 && report.loadFileSha256 != nil)
            #expect(manifest["messages"] as? Int == report.messages && manifest["files"] as? Int == report.files)
            #expect(manifest["lethe"] as? String == LetheVersion.string && (manifest["archive_id"] as? String)?.count == 32)
            #expect(manifest["audit_seq"] as? Int == Int(report.auditSeq ?? -1))
        }
    }

    @Test func aDryRunChangesNothingAndCountsTheSame() throws {
        let a = try Self.sampleArchive("dry")
        for format in ["rsmf", "slack"] {
            let before = Harness.snapshot(a.dir)
            let out = a.root.appendingPathComponent("prod-\(format)")
            let args = ["export", "--out", out.path, "--format", format, "--channel", "general", "--from", "2024-03-06", "--json"]
            let dry = try a.run(args + ["--dry-run"]).expectSuccess("dry run").decode(ProductionReport.self)
            #expect(!FileManager.default.fileExists(atPath: out.path), "a dry run writes no production")
            #expect(Harness.snapshot(a.dir) == before, "nor any archive file (no audit entry)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: a.root.path).allSatisfy { !$0.contains("lethe-partial") })
            let real = try a.run(args).expectSuccess("production").decode(ProductionReport.self)
            #expect(dry.dryRun && !real.dryRun)
            #expect((dry.conversations, dry.days, dry.messages, dry.contextMessages, dry.files) == (real.conversations, real.days, real.messages, real.contextMessages, real.files))
            #expect(dry.byConversation == real.byConversation)
        }
    }

    @Test func theAuditRecordsEachProductionSealingTheSelection() throws {
        let a = try Self.sampleArchive("audit")
        let out = a.root.appendingPathComponent("prod")
        let report = try a.run(["export", "--out", out.path, "--format", "rsmf", "--user", Self.bob, "--channel", "general", "--json"])
            .expectSuccess("export").decode(ProductionReport.self)
        // A shred after it: the two kinds share the chain.
        try a.run(["retention", "apply", "--policy", Repository.policy("standard.yml").path, "--now", "2026-11-01T00:00:00Z"]).expectSuccess("apply")
        let lines = try a.run(["audit", "--json"]).expectSuccess("audit").stdout.split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(first["kind"] as? String == "production" && second["kind"] as? String == "shred")
        let counts = try #require(first["production"] as? [String: Any])
        #expect(counts["messages"] as? Int == report.messages && counts["files"] as? Int == report.files && counts["format"] as? String == "rsmf")
        let sum = Process()
        sum.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        sum.arguments = [out.appendingPathComponent("loadfile.csv").path]
        let pipe = Pipe()
        sum.standardOutput = pipe
        try sum.run()
        let loadDigest = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64)
        sum.waitUntilExit()
        #expect(counts["load_file_sha256"] as? String == String(loadDigest))
        let selection = try #require(first["selection"] as? [String: Any])
        #expect(selection["users"] as? [String] == [Self.bob] && selection["channels"] as? [String] == ["general"])
        let v = try a.run(["audit", "--verify", "--json"])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        // The selection names a person: keys.db holds it sealed only. The entry as stored has no `kind` for the shred.
        let keys = [UInt8](try Data(contentsOf: a.dir.appendingPathComponent("keys.db")))
        #expect(!Harness.contains(keys, Array(Self.bob.utf8)), "keys.db does not name the selected user in the clear")
        #expect(Harness.contains(keys, Array("\"kind\":\"production\"".utf8)))
    }

    @Test func theAuditAppendWaitsForTheLockAndNothingIsProducedWithoutIt() throws {
        let a = try Self.sampleArchive("lock")
        // Another reader holds the shared lock: the production reads, then cannot take the lock to record itself.
        let fd = open(a.dir.appendingPathComponent("lock").path, O_RDWR)
        #expect(fd >= 0 && flock(fd, LOCK_SH) == 0)
        let out = a.root.appendingPathComponent("prod")
        let refused = try a.run(["export", "--out", out.path, "--format", "rsmf", "--channel", "general"])
        #expect(refused.status == 7, "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "an unrecorded production is not left behind")
        #expect(try FileManager.default.contentsOfDirectory(atPath: a.root.path).allSatisfy { !$0.contains("lethe-partial") }, "nor its plaintext")
        #expect(try a.run(["audit", "--json"]).expectSuccess("audit").stdout.isEmpty)
        // With --wait, it records itself once the reader is done.
        DispatchQueue.global().asyncAfter(deadline: .now() + 1.5) { flock(fd, LOCK_UN); close(fd) }
        let waited = try a.run(["export", "--wait", "20", "--out", out.path, "--format", "rsmf", "--channel", "general", "--json"])
        #expect(waited.status == 0, "\(waited.stderr)")
        #expect(try waited.decode(ProductionReport.self).auditSeq == 1)
    }

    @Test func aProductionRefusesWhatExportRefuses() throws {
        let a = try Self.sampleArchive("refuse")
        let full = a.root.appendingPathComponent("full")
        try FileManager.default.createDirectory(at: full, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: full.appendingPathComponent("mine.txt"))
        let r = try a.run(["export", "--out", full.path, "--format", "rsmf"])
        #expect(r.status == 64 && (try? String(contentsOf: full.appendingPathComponent("mine.txt"), encoding: .utf8)) == "keep")
        for bad in [["--channel", "[oops"], ["--from", "2025-13-01"], ["--from", "2025-02-01", "--to", "2025-01-01"], ["--query", "\"\""],
                    ["--policy", "x.yml"], ["--split", "week"]] {
            let res = try a.run(["export", "--out", a.root.appendingPathComponent("x").path] + bad)
            #expect(res.status == 64, "\(bad): \(res.stderr)")
        }
    }
}
