import Foundation
import LetheTestSupport
import Testing
@testable import LetheCore

/// Search end to end on the fixture, against an independent computation.
@Suite(.serialized) struct SearchTests {
    struct Msg {
        var folder: String
        var ts: String
        var user: String?
        var text: String
        var threadTS: String?
        var hasFiles: Bool
        var hasReactions: Bool
        var seconds: Int64 { Int64(Double(ts) ?? 0) }
    }

    /// Every message of the fixture, read with JSONSerialization; the searchable text
    /// is text + attachment text + file names, as the docs say.
    static func messages(_ root: URL) throws -> [Msg] {
        var out: [Msg] = []
        let tree = try ExportTree(root)
        for (day, msgs) in tree.days {
            let folder = String(day.split(separator: "/")[0])
            for (ts, m) in msgs {
                var text = m["text"] as? String ?? ""
                for case let a as NSDictionary in (m["attachments"] as? NSArray) ?? [] {
                    for k in ["pretext", "title", "text", "fallback"] { if let s = a[k] as? String { text += "\n" + s } }
                }
                for case let f as NSDictionary in (m["files"] as? NSArray) ?? [] {
                    for k in ["name", "title"] { if let s = f[k] as? String { text += "\n" + s } }
                }
                out.append(Msg(folder: folder, ts: ts, user: (m["user"] as? String) ?? (m["bot_id"] as? String), text: text,
                               threadTS: m["thread_ts"] as? String, hasFiles: m["files"] != nil || m["file"] != nil,
                               hasReactions: ((m["reactions"] as? NSArray)?.count ?? 0) > 0))
            }
        }
        return out
    }

    /// Independent word test: Foundation folding, alphanumeric runs; entities unescaped first.
    static func words(_ s: String) -> Set<String> { Set(sequence(s)) }

    /// The folded words of `s`, in order (for phrases).
    static func sequence(_ s: String) -> [String] {
        let t = s.replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        let folded = t.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
        return folded.components(separatedBy: CharacterSet.alphanumerics.inverted).filter { !$0.isEmpty }
    }

    static func containsPhrase(_ s: String, _ phrase: [String]) -> Bool {
        let w = sequence(s)
        guard w.count >= phrase.count else { return false }
        return (0...(w.count - phrase.count)).contains { Array(w[$0..<($0 + phrase.count)]) == phrase }
    }

    static let sample = Repository.fixture("slack-sample")

    /// The sample's messages alone: its canvas and integration log (items, format 9, which have
    /// authors and text too) are left out, so that the independent computation over day files
    /// is the whole truth. Items are searched in CanvasExportTests.
    func archive() throws -> TestArchive {
        let a = try Harness.makeArchive("search")
        let copy = Harness.tempDir("search-sample").appendingPathComponent("slack-sample")
        try FileManager.default.copyItem(at: Self.sample, to: copy)
        for f in ["integration_logs.json", "general/canvas_in_the_conversation.json"] {
            try FileManager.default.removeItem(at: copy.appendingPathComponent(f))
        }
        try a.importExport(copy)
        return a
    }

    /// (channel id, ts) of each result line of `search --json`; a line that is not a whole
    /// result fails the test.
    func results(_ q: String, _ a: TestArchive, limit: Int = 1000) throws -> [(String, String)] {
        let r = try a.run(["search", q, "--json", "--limit", "\(limit)"])
        #expect(r.status == 0, "\(q): \(r.stderr)")
        return try r.decodeLines(SearchHit.self).map { ($0.channelID, $0.ts) }
    }

    @Test func queriesAgreeWithAnIndependentComputation() throws {
        let a = try archive()
        let msgs = try Self.messages(Self.sample)
        let folderToID: [String: String] = try {
            var m: [String: String] = [:]
            for (file, list) in try ExportTree(Self.sample).metadata where file != "users.json" {
                for case let o as NSDictionary in list {
                    let id = try #require(o["id"] as? String, "\(file): every conversation has an id")
                    m[file == "dms.json" ? id : (o["name"] as? String ?? id)] = id
                }
            }
            return m
        }()
        let alice = "U05A1LC3K9P"
        let mar2024 = CivilDate(year: 2024, month: 3, day: 1).unixSeconds, apr2024 = CivilDate(year: 2024, month: 4, day: 1).unixSeconds
        let cases: [(String, (Msg) -> Bool)] = [
            ("zebracorn", { Self.words($0.text).contains("zebracorn") }),
            ("quokkafish", { Self.words($0.text).contains("quokkafish") }),
            ("ROADMAP", { Self.words($0.text).contains("roadmap") }),
            ("the", { Self.words($0.text).contains("the") }),
            ("roadmap -q2", { Self.words($0.text).contains("roadmap") && !Self.words($0.text).contains("q2") }),
            ("from:@alice", { $0.user == alice }),
            ("from:@alice in:#general", { $0.user == alice && $0.folder == "general" }),
            ("in:#random the", { $0.folder == "random" && Self.words($0.text).contains("the") }),
            ("after:2024-02-29 before:2024-04-01", { $0.seconds >= mar2024 && $0.seconds < apr2024 }),
            ("during:2024-03", { $0.seconds >= mar2024 && $0.seconds < apr2024 }),
            ("is:thread", { $0.threadTS != nil }),
            ("has:reaction", { $0.hasReactions }),
            ("has:file", { $0.hasFiles }),
            ("東京", { $0.text.contains("東京") }),
            ("\"roadmap draft\"", { Self.containsPhrase($0.text, ["roadmap", "draft"]) }),
            ("the -\"roadmap draft\"", { Self.words($0.text).contains("the") && !Self.containsPhrase($0.text, ["roadmap", "draft"]) }),
        ]
        for (q, pred) in cases {
            let expected = Set(try msgs.filter(pred).map { "\(try #require(folderToID[$0.folder], "folder \($0.folder) is a listed conversation"))/\($0.ts)" })
            let got = try results(q, a)
            #expect(Set(got.map { "\($0.0)/\($0.1)" }) == expected, "query \(q)")
            #expect(got.count == expected.count, "query \(q): no duplicates")
            let seconds = got.map { Double($0.1) ?? 0 }
            #expect(seconds == seconds.sorted(by: >), "query \(q): newest first")
            #expect(!expected.isEmpty, "query \(q) is a real test")
            // --limit keeps the newest (the engine stops early: it verifies newest first).
            let newest = msgs.filter(pred).map { Double($0.ts) ?? 0 }.sorted(by: >)
            for limit in Set([1, 2, 5, max(1, expected.count - 1)]) {
                let top = try results(q, a, limit: limit)
                #expect(top.map { Double($0.1) ?? 0 } == Array(newest.prefix(limit)), "query \(q) with --limit \(limit)")
            }
        }
    }

    @Test func accentsAndCaseFold() throws {
        let a = try archive()
        let r = try a.run(["search", "CAFE", "--json"])
        let r2 = try a.run(["search", "café", "--json"])
        #expect(r.status == 0 && r2.status == 0)
        #expect(r.stdout == r2.stdout)
        let hits = try r.decodeLines(SearchHit.self)
        #expect(!hits.isEmpty, "the fixture has a café to find")
        #expect(hits.allSatisfy { $0.text.lowercased().contains("caf") }, "\(hits.map(\.text))")
    }

    @Test func syntaxErrorsPointAtTheColumnAndWrongSecretsFail() throws {
        let a = try archive()
        let bad = try Harness.run(["search", "deploy before:yesterday"], env: a.env)
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("query:8:"), "\(bad.stderr)")
        let wrong = try Harness.run(["search", "zebracorn"], env: ["LETHE_ARCHIVE": a.dir.path, "LETHE_PASSPHRASE": "nope"])
        #expect(wrong.status == 3)
        let none = try Harness.run(["search", "zebracorn"], env: ["LETHE_ARCHIVE": a.dir.path])
        #expect(none.status == 64)
    }

    @Test func shreddedMessagesAreNeverFoundAgain() throws {
        let a = try archive()
        #expect(try results("pangolinrx", a).count == 1)
        #expect(try results("narwhalbyte", a).count == 2)
        let apply = try a.run(["retention", "apply", "--policy", Repository.policy("standard.yml").path, "--now", "2026-11-27T00:00:00Z"])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(try results("pangolinrx", a).isEmpty, "archived channel shredded whole")
        #expect(try results("narwhalbyte", a).count == 1, "only the 2026 message survives")
        let found = Harness.scan(a.dir, for: ["pangolinrx", "narwhalbyte", "zebracorn"])
        #expect(found.isEmpty, "\(found)")
    }
}

/// After a shred, the rebuilt filters hold no term of the shredded messages (beyond the filter's false-positive rate).
@Suite(.serialized) struct SearchIndexShredTests {
    @Test func rebuiltFiltersForgetShreddedTerms() throws {
        let root = Harness.tempDir("idx")
        let export = root.appendingPathComponent("e")
        try SyntheticExport.write(to: export, channels: 2, days: 60, perDay: 10)
        let policy = root.appendingPathComponent("p.yml")
        try Data("version: 1\ndefault:\n  keep: 45d\n".utf8).write(to: policy)
        let a = try Harness.makeArchive("idx")
        #expect(try Harness.run(["import", export.path], env: a.env).status == 0)
        let now = "2024-03-01T00:00:00Z"
        #expect(try Harness.run(["retention", "apply", "--policy", policy.path, "--now", now], env: a.env).status == 0)
        let cutoffDay = (RetentionTime.parse(now)! - 45 * 86400) / 86400
        let archive = try Archive.open(at: a.dir, credentials: Credentials(keyFile: try KeyFile.load(a.keyFile)), mode: .read, command: "test")
        // Collect the counter words of shredded and surviving messages from the export files.
        var shreddedWords: [Int64: [String]] = [:]  // epoch → words
        for folder in ["chan-0", "chan-1"] {
            for file in try FileManager.default.contentsOfDirectory(atPath: export.appendingPathComponent(folder).path) {
                let d = try Data(contentsOf: export.appendingPathComponent(folder).appendingPathComponent(file))
                for m in try #require(try JSONSerialization.jsonObject(with: d) as? [[String: Any]], "\(folder)/\(file) is an array of objects") {
                    let day = Int64(Double(m["ts"] as! String)!) / 86400
                    let word = String((m["text"] as! String).split(separator: " ").last!)
                    if day + 1 <= cutoffDay { shreddedWords[IndexFilter.epoch(of: day), default: []].append(folder + ":" + word) }
                }
            }
        }
        var tested = 0, positives = 0
        for c in try archive.conversations() {
            guard let name = c.name, let cno = c.cno else { continue }
            for (epoch, words) in shreddedWords {
                guard let f = try archive.loadFilter(FilterRef(cno: cno, epoch: epoch)) else { continue }
                for w in words where w.hasPrefix(name + ":") {
                    tested += 1
                    if f.bloom.mayContain(String(w.dropFirst(name.count + 1))) { positives += 1 }
                }
            }
        }
        #expect(tested > 100, "the check covers shredded words in surviving epochs (\(tested))")
        #expect(Double(positives) <= Double(tested) * 0.05, "\(positives) of \(tested) shredded words still pass a filter")
    }
}
