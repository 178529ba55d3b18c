import Foundation
import LetheTestSupport
import Testing
@testable import LetheCore

/// Retention end to end: plan against an independent computation, apply, export, forensics, audit.
@Suite(.serialized) struct RetentionTests {
    static let policyYAML = """
        version: 1
        default:
          keep: 60d
        rules:
          - name: short
            match:
              channels: ["chan-1", "chan-2"]
            keep: 30d
          - name: long
            match:
              channels: ["chan-2"]
            keep: 90d
        holds:
          - name: case-1
            match:
              channels: ["chan-3"]
            from: 2024-01-10
            until: 2024-01-20
          - name: case-2
            match:
              channels: ["chan-4"]
              users: ["U3"]
            from: 2024-02-01
            until: 2024-02-05
        """

    struct Msg {
        var channel: String
        var ts: String
        var user: String
        var day: Int64 { Int64(Double(ts)!) / 86400 }
        var seconds: Int64 { Int64(Double(ts)!) }
    }

    /// Every message of the synthetic export, read straight from its files.
    static func messages(_ export: URL) throws -> [Msg] {
        var out: [Msg] = []
        for folder in try FileManager.default.contentsOfDirectory(atPath: export.path) where folder.hasPrefix("chan-") {
            for file in try FileManager.default.contentsOfDirectory(atPath: export.appendingPathComponent(folder).path) {
                let d = try Data(contentsOf: export.appendingPathComponent(folder).appendingPathComponent(file))
                for m in try #require(try JSONSerialization.jsonObject(with: d) as? [[String: Any]], "\(folder)/\(file) is an array of objects") {
                    out.append(Msg(channel: folder, ts: m["ts"] as! String, user: m["user"] as! String))
                }
            }
        }
        return out
    }

    /// The expected plan, computed without Lethe: (channel, day) buckets to shred, by rule.
    static func expected(_ msgs: [Msg], now: Int64) -> (shred: [String: Set<Int64>], byRule: [String: (buckets: Int, messages: Int)], held: Int) {
        func rule(_ c: String) -> (String, Int64) {
            switch c {
            case "chan-2": return ("long", 90)
            case "chan-1": return ("short", 30)
            default: return ("default", 60)
            }
        }
        var buckets: [String: [Int64: [Msg]]] = [:]
        for m in msgs { buckets[m.channel, default: [:]][m.day, default: []].append(m) }
        var shred: [String: Set<Int64>] = [:]
        var byRule: [String: (Int, Int)] = ["default": (0, 0), "short": (0, 0), "long": (0, 0)]
        var held = 0
        let jan10 = CivilDate(year: 2024, month: 1, day: 10).dayNumber, jan21 = CivilDate(year: 2024, month: 1, day: 21).dayNumber
        let feb1 = CivilDate(year: 2024, month: 2, day: 1).unixSeconds, feb6 = CivilDate(year: 2024, month: 2, day: 6).unixSeconds
        for (c, days) in buckets {
            let (name, keep) = rule(c)
            let cutoff = now - keep * 86400
            for (day, ms) in days where (day + 1) * 86400 <= cutoff {
                if c == "chan-3" && day >= jan10 && day < jan21 { held += 1; continue }
                if c == "chan-4" && ms.contains(where: { $0.user == "U3" && $0.seconds >= feb1 && $0.seconds < feb6 }) { held += 1; continue }
                shred[c, default: []].insert(day)
                byRule[name]!.0 += 1
                byRule[name]!.1 += ms.count
            }
        }
        return (shred, byRule.mapValues { (buckets: $0.0, messages: $0.1) }, held)
    }

    func setUp() throws -> (a: TestArchive, export: URL, policy: URL, msgs: [Msg]) {
        let root = Harness.tempDir("ret")
        let export = root.appendingPathComponent("export")
        try SyntheticExport.write(to: export, channels: 6, days: 120, perDay: 6, seed: 7)
        let policy = root.appendingPathComponent("policy.yml")
        try Data(Self.policyYAML.utf8).write(to: policy)
        let a = try Harness.makeArchive("ret")
        try a.importExport(export)
        return (a, export, policy, try Self.messages(export))
    }

    @Test(arguments: ["2024-05-01T00:00:00Z", "2024-03-15T12:00:00Z", "2025-01-01T00:00:00Z"])
    func planMatchesAnIndependentComputationAndChangesNothing(now: String) throws {
        let (a, _, policy, msgs) = try setUp()
        let before = Harness.snapshot(a.dir)
        let r = try Harness.run(["retention", "plan", "--policy", policy.path, "--now", now, "--json"], env: a.env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Harness.snapshot(a.dir) == before, "plan changes no byte of any archive file")
        let exp = Self.expected(msgs, now: RetentionTime.parse(now)!)
        let plan = try r.decode(RetentionPlan.self)
        #expect(plan.buckets == exp.shred.values.reduce(0) { $0 + $1.count })
        #expect(plan.messages == exp.byRule.values.reduce(0) { $0 + $1.messages })
        #expect(plan.heldBuckets == exp.held)
        // Every rule of the policy is listed, each once, and only those.
        #expect(plan.rules.map(\.name).sorted() == exp.byRule.keys.sorted())
        for rule in plan.rules {
            #expect(rule.buckets == exp.byRule[rule.name]?.buckets, "rule \(rule.name) buckets")
            #expect(rule.messages == exp.byRule[rule.name]?.messages, "rule \(rule.name) messages")
        }
        let shredByChannel = Dictionary(grouping: plan.shred, by: \.channelID).mapValues(\.count)
        #expect(shredByChannel.values.reduce(0, +) == plan.buckets, "the listed buckets are the total")
    }

    @Test func applyLeavesExactlyTheUnexpiredAndHeldMessages() throws {
        let (a, export, policy, msgs) = try setUp()
        let now = "2024-05-01T00:00:00Z"
        let exp = Self.expected(msgs, now: RetentionTime.parse(now)!)
        let r = try Harness.run(["retention", "apply", "--policy", policy.path, "--now", now, "--json"], env: a.env)
        #expect(r.status == 0, "\(r.stderr)")
        let first = try ApplyReport(r)
        #expect(first.result.buckets == exp.shred.values.reduce(0) { $0 + $1.count }, "apply shreds what its plan lists")
        #expect(first.result.messages == first.plan.messages && first.result.auditSeq == 1)
        let out = a.root.appendingPathComponent("out")
        #expect(try a.run(["export", "--out", out.path]).status == 0)
        let remaining = Set(try Self.messages(out).map { "\($0.channel)/\($0.ts)" })
        let expected = Set(msgs.filter { !(exp.shred[$0.channel]?.contains($0.day) ?? false) }.map { "\($0.channel)/\($0.ts)" })
        #expect(remaining == expected, "exactly the unexpired and held messages remain (\(remaining.count) vs \(expected.count))")
        #expect(try Harness.run(["verify"], env: a.env).status == 0)

        // A second apply at the same instant has nothing left to do.
        let again = try Harness.run(["retention", "apply", "--policy", policy.path, "--now", now, "--json"], env: a.env)
        #expect(again.status == 0, "\(again.stderr)")
        let second = try ApplyReport(again)
        #expect(second.plan.buckets == 0 && second.plan.shred.isEmpty)
        #expect(second.result.buckets == 0)

        // Re-importing the old export resurrects nothing.
        let re = try a.importExport(export)
        #expect(re.messagesAdded == 0)
        #expect(re.messagesSkippedShredded == msgs.count - expected.count)
        #expect(try a.stats().messages == expected.count)

        // The audit chain verifies; an altered entry is detected.
        let audit = try a.run(["audit", "--verify", "--json"])
        #expect(audit.status == 0, "\(audit.stderr)")
        let chain = try audit.decode(AuditVerification.self)
        #expect(chain.ok && chain.entries == 2, "\(audit.stdout)")
        try a.sql(file: "keys.db", "UPDATE audit SET entry = replace(entry, '\"messages\":', '\"messages\": ') WHERE seq = 1")
        let bad = try a.run(["audit", "--verify", "--json"])
        #expect(bad.status == 8)
        let broken = try bad.decode(AuditVerification.self)
        #expect(!broken.ok && broken.firstBadSeq == 1, "\(bad.stdout)")
    }

    @Test func shreddedKeysAndPlaintextAreGoneFromEveryFile() throws {
        let (a, _, policy, msgs) = try setUp()
        let now = "2024-05-01T00:00:00Z"
        let exp = Self.expected(msgs, now: RetentionTime.parse(now)!)
        // Before: note the raw and wrapped bytes of the keys that will go, and plaintext of their messages.
        var rawKeys: [[UInt8]] = []
        var wrappedKeys: [[UInt8]] = []
        var plaintexts: [[UInt8]] = []
        do {
            let archive = try Archive.open(at: a.dir, credentials: Credentials(keyFile: try KeyFile.load(a.keyFile)), mode: .read, command: "test")
            for c in try archive.conversations() {
                let cno = try #require(c.cno)
                let name = c.name ?? ""
                for (bucket, wrapped) in try archive.keystore.bucketKeys(cno: cno) where exp.shred[name]?.contains(bucket) == true {
                    let ref = BucketRef(cno: cno, bucket: bucket)
                    let key = try #require(try archive.bucketKey(ref))
                    rawKeys.append(key.withUnsafeBytes { Array($0) })
                    wrappedKeys.append(wrapped)
                    if let segment = try archive.segment(ref), plaintexts.count < 200 {
                        for m in segment.messages {
                            // the unique "nNNN" counter at the end of each text, with its closing quote
                            if let t = MessageJSON.topLevelString(m.json, key: "text"), let last = t.split(separator: " ").last {
                                plaintexts.append(Array("\(t.split(separator: " ").dropLast().last ?? "") \(last)\"".utf8))
                            }
                        }
                    }
                }
            }
        }
        #expect(rawKeys.count == exp.shred.values.reduce(0) { $0 + $1.count })
        #expect(plaintexts.count > 50)
        let r = try Harness.run(["retention", "apply", "--policy", policy.path, "--now", now], env: a.env)
        #expect(r.status == 0, "\(r.stderr)")

        let files = Harness.snapshot(a.dir)
        #expect(files.keys.contains("/keys.db") && files.keys.contains("/data.db"))
        for (path, data) in files {
            let bytes = [UInt8](data)
            for k in rawKeys where Harness.contains(bytes, k) { Issue.record("a raw shredded bucket key survives in \(path)") }
            for w in wrappedKeys where Harness.contains(bytes, Array(w.suffix(48))) { Issue.record("a wrapped shredded bucket key survives in \(path)") }
            for p in plaintexts where Harness.contains(bytes, p) { Issue.record("plaintext of a shredded message survives in \(path)") }
        }
        // And the passphrase cannot bring them back.
        let archive = try Archive.open(at: a.dir, credentials: Credentials(keyFile: try KeyFile.load(a.keyFile)), mode: .read, command: "test")
        var checked = 0
        for c in try archive.conversations() {
            let cno = try #require(c.cno)
            for bucket in exp.shred[c.name ?? ""] ?? [] {
                checked += 1
                #expect(try archive.bucketKey(BucketRef(cno: cno, bucket: bucket)) == nil)
                #expect(try !archive.hasSegment(BucketRef(cno: cno, bucket: bucket)))
            }
        }
        #expect(checked == rawKeys.count, "every shredded bucket was looked for (\(checked) of \(rawKeys.count))")
    }
}

/// A conversation emptied by retention loses its key and metadata, and an old export does not bring them back.
@Suite(.serialized) struct WholeChannelShredTests {
    @Test func emptiedConversationStaysGone() throws {
        let root = Harness.tempDir("whole")
        let export = root.appendingPathComponent("export")
        try SyntheticExport.write(to: export, channels: 3, days: 10, perDay: 3)
        let policy = root.appendingPathComponent("p.yml")
        try Data("""
            version: 1
            default:
              keep: forever
            rules:
              - name: drop-chan-1
                match:
                  channels: ["chan-1"]
                keep: 1d
            """.utf8).write(to: policy)
        let a = try Harness.makeArchive("whole")
        try a.importExport(export)
        let apply = try a.run(["retention", "apply", "--policy", policy.path, "--now", "2025-01-01", "--json"])
        #expect(apply.status == 0, "\(apply.stderr)")
        let report = try ApplyReport(apply)
        #expect(report.plan.buckets == 10)
        #expect(report.result.buckets == 10 && report.result.channelsDestroyed == 1)
        #expect(try a.stats().channels == 2)
        let re = try a.importExport(export)
        #expect(re.messagesSkippedShredded == 30)
        #expect(re.channelsAdded == 0)
        #expect(try a.stats().channels == 2, "chan-1's metadata is not resurrected")
        let out = root.appendingPathComponent("out")
        #expect(try Harness.run(["export", "--out", out.path], env: a.env).status == 0)
        let channels = try String(contentsOf: out.appendingPathComponent("channels.json"), encoding: .utf8)
        #expect(!channels.contains("chan-1") && channels.contains("chan-2"))
    }
}

/// "Who wrote this message" is one definition (`MessageFields.user`: `user`, else `bot_id`,
/// else `username`) for search's `from:` and for holds that name people.
@Suite(.serialized) struct AuthorHoldTests {
    @Test func aHoldNamingABotKeepsTheBotsMessages() throws {
        let root = Harness.tempDir("bot-hold")
        let export = root.appendingPathComponent("export")
        let dir = export.appendingPathComponent("general")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(#"[{"id":"C0GENERAL1","name":"general","created":1500000000,"is_archived":false,"members":[]}]"#.utf8)
            .write(to: export.appendingPathComponent("channels.json"))
        try Data(#"[{"id":"U0ALICE001","name":"alice","profile":{"display_name":"Alice"}}]"#.utf8).write(to: export.appendingPathComponent("users.json"))
        // Three old days: a bot's message, a bot's message posted under a username only, a person's message.
        try Data(#"[{"type":"message","subtype":"bot_message","bot_id":"B0DEPLOY01","text":"deploy finished","ts":"1704196800.000100"}]"#.utf8)
            .write(to: dir.appendingPathComponent("2024-01-02.json"))
        try Data(#"[{"type":"message","subtype":"bot_message","username":"nightly-cron","text":"cron ran","ts":"1704283200.000100"}]"#.utf8)
            .write(to: dir.appendingPathComponent("2024-01-03.json"))
        try Data(#"[{"type":"message","user":"U0ALICE001","text":"hello","ts":"1704369600.000100"}]"#.utf8)
            .write(to: dir.appendingPathComponent("2024-01-04.json"))
        let policy = root.appendingPathComponent("p.yml")
        try Data("""
            version: 1
            default:
              keep: 30d
            holds:
              - name: bots
                match:
                  channels: ["general"]
                  users: ["B0DEPLOY01", "nightly-cron"]
            """.utf8).write(to: policy)
        let a = try Harness.makeArchive("bot-hold")
        #expect(try Harness.run(["import", export.path], env: a.env).status == 0)
        let r = try Harness.run(["retention", "apply", "--policy", policy.path, "--now", "2025-01-01T00:00:00Z", "--json"], env: a.env)
        #expect(r.status == 0, "\(r.stderr)")
        let result = try #require(r.json?["result"] as? [String: Any], "\(r.stdout)")
        #expect(result["buckets"] as? Int == 1, "only the person's day is shredded: \(r.stdout)")
        for word in ["deploy", "cron"] {
            let s = try Harness.run(["search", word], env: a.env)
            #expect(s.status == 0 && s.stdout.contains("1 result"), "the bot's message \(word) is held: \(s.stdout)")
        }
        #expect(try Harness.run(["search", "hello"], env: a.env).stdout.contains("No results"))
    }
}
