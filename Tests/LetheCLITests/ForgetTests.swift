import Foundation
import Testing
@testable import LetheCore

/// `lethe forget` end to end on the real binary: what goes equals an independent count, the
/// rest is untouched, nothing comes back (search, export, re-import, an old data.db), holds
/// win, and kill -9 leaves all or nothing.
@Suite(.serialized) struct ForgetTests {
    static let carol = "U05C4R0L8MN"

    func sample(_ name: String) throws -> TestArchive {
        let a = try TestArchive.create(name)
        try a.importFixture("slack-sample")
        return a
    }

    /// The export's messages as (folder/day file, ts) → JSON object, read with Foundation.
    func messages(_ export: URL) throws -> [String: NSDictionary] {
        var out: [String: NSDictionary] = [:]
        for (file, msgs) in try ExportTree(export).days { for (ts, m) in msgs { out[file + "#" + ts] = m } }
        return out
    }

    func exportOf(_ a: TestArchive, _ name: String) throws -> URL {
        let out = Harness.tempDir(name).appendingPathComponent("out")
        let r = try a.run(["export", "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        return out
    }

    @Test func forgettingAUserRemovesExactlyTheirMessagesForGood() throws {
        let a = try sample("forget-user")
        let input = try messages(Repository.fixture("slack-sample"))
        let theirs = input.filter { ($0.value["user"] as? String) == Self.carol }
        #expect(theirs.count >= 10, "the fixture has enough of carol's messages (\(theirs.count))")
        let dataBefore = Harness.tempDir("forget-user-before").appendingPathComponent("data.db")
        try FileManager.default.copyItem(at: a.dir.appendingPathComponent("data.db"), to: dataBefore)

        let dry = try a.run(["forget", "--user", Self.carol, "--no-policy", "--reason", "GDPR request 2026-118", "--dry-run", "--json"])
            .expectSuccess("dry run").decode(ForgetReport.self)
        #expect(dry.messages == theirs.count, "the dry run counts exactly carol's messages")
        let afterDry = try exportOf(a, "forget-user-dry")
        #expect(try messages(afterDry).count == input.count, "a dry run changes nothing")

        let done = try a.run(["forget", "--user", Self.carol, "--no-policy", "--reason", "GDPR request 2026-118", "--json"])
            .expectSuccess("forget").decode(ForgetReport.self)
        #expect(done.messages == theirs.count && done.bucketsRewritten == dry.bucketsRewritten && done.auditSeq == 1)
        #expect(try a.run(["verify"]).status == 0)
        #expect(try a.run(["audit", "--verify"]).status == 0)
        let search = try a.run(["search", "from:\(Self.carol)", "--limit", "1000"])
        #expect(search.stdout.contains("No results"), "\(search.stdout)")

        // Everything else exactly as imported (JSON-value equality), nothing of carol's.
        let after = try messages(try exportOf(a, "forget-user-after"))
        #expect(Set(after.keys) == Set(input.keys).subtracting(theirs.keys))
        for (k, m) in after { #expect(m == input[k], "\(k) unchanged") }

        // A later import of the same export brings nothing back.
        let again = try a.importFixture("slack-sample")
        #expect(again.messagesSkippedForgotten == theirs.count && again.messagesAdded == 0, "\(again)")

        // The old data.db beside the current keys.db: the rewritten buckets' old ciphertext opens with no key there.
        let old = try a.copy("forget-user-old")
        try FileManager.default.removeItem(at: old.dir.appendingPathComponent("data.db"))
        try FileManager.default.copyItem(at: dataBefore, to: old.dir.appendingPathComponent("data.db"))
        let v = try old.run(["verify", "--json"]).decode(VerifyReport.self)
        #expect(v.failures.filter { $0.bucket != nil }.count == done.bucketsRewritten, "every rewritten bucket fails with the old data.db: \(v.failures.map(\.reason))")
        let oldExport = Harness.tempDir("forget-user-old-export").appendingPathComponent("out")
        #expect(try old.run(["export", "--out", oldExport.path]).status == 8)
        let leaked = try messages(oldExport).filter { ($0.value["user"] as? String) == Self.carol }
        #expect(leaked.isEmpty, "no forgotten message comes out of the old data.db: \(leaked.count)")

        // The audit names what was done, sealed.
        let audit = try a.run(["audit", "--json"]).stdout
        #expect(audit.contains("\"kind\":\"forget\"") && audit.contains("GDPR request 2026-118"))
        let plainKeys = try Data(contentsOf: a.dir.appendingPathComponent("keys.db"))
        #expect(!Harness.contains([UInt8](plainKeys), Array("GDPR request".utf8)), "the reason is sealed")
    }

    @Test func includeProfileRemovesTheUserFromTheDirectoryAndKeepsThemOut() throws {
        let a = try sample("forget-profile")
        let r = try a.run(["forget", "--user", Self.carol, "--include-profile", "--no-policy", "--reason", "GDPR", "--json"])
            .expectSuccess("forget with profile").decode(ForgetReport.self)
        #expect(r.profileForgotten == true && r.messages > 0)
        func carolInExport(_ name: String) throws -> NSDictionary? {
            let users = try #require(try ExportTree(try exportOf(a, name)).metadata["users.json"])
            return users.compactMap { $0 as? NSDictionary }.first { ($0["id"] as? String) == Self.carol }
        }
        let after = try #require(try carolInExport("forget-profile-out"), "the id stays (other messages mention it)")
        #expect(after.allKeys.count == 1, "only the id is left: \(after)")
        // Re-importing the export (whose users.json still has her profile) does not bring it back.
        try a.importFixture("slack-sample")
        #expect(try carolInExport("forget-profile-out2")?.allKeys.count == 1)
        #expect(!(try a.run(["search", "from:@carol"]).stdout.contains("carol")), "her handle no longer resolves")
        #expect(try a.run(["verify"]).status == 0)
    }

    @Test func forgettingOneMessageByIdOrPermalinkKeepsItsThread() throws {
        let a = try sample("forget-message")
        let input = try messages(Repository.fixture("slack-sample"))
        // A thread parent with replies.
        let parent = try #require(input.first { k, m in
            (m["reply_count"] as? Int ?? 0) > 0 && (m["thread_ts"] as? String) == (m["ts"] as? String) && k.hasPrefix("general/")
        })
        let ts = try #require(parent.value["ts"] as? String)
        let replies = input.filter { ($0.value["thread_ts"] as? String) == ts && ($0.value["ts"] as? String) != ts }
        #expect(!replies.isEmpty)
        let b = try a.copy("forget-message-b")

        // By CHANNEL/TS: only the parent goes.
        let one = try a.run(["forget", "--message", "C05GENRL001/\(ts)", "--no-policy", "--reason", "doxxing", "--json"])
            .expectSuccess("forget one").decode(ForgetReport.self)
        #expect(one.messages == 1)
        let after = try messages(try exportOf(a, "forget-message-after"))
        #expect(Set(after.keys) == Set(input.keys).subtracting([parent.key]), "the replies stay")

        // By permalink, with --with-replies: the thread goes.
        let link = "https://acme.slack.com/archives/C05GENRL001/p" + ts.replacingOccurrences(of: ".", with: "") + "?thread_ts=" + ts
        let thread = try b.run(["forget", "--message", link, "--with-replies", "--no-policy", "--reason", "doxxing", "--json"])
            .expectSuccess("forget thread").decode(ForgetReport.self)
        #expect(thread.messages == 1 + replies.count)
        let afterB = try messages(try exportOf(b, "forget-thread-after"))
        #expect(Set(afterB.keys) == Set(input.keys).subtracting([parent.key]).subtracting(replies.keys))
    }

    @Test func forgettingAQueryRemovesEveryMatchNotJustALimit() throws {
        let a = try sample("forget-query")
        let q = "the"
        let found = try a.run(["search", q, "--limit", "100000", "--json"]).decodeLines(SearchHit.self)
        #expect(found.count > 50, "a common word (\(found.count) matches)")
        let dry = try a.run(["forget", "--query", q, "--no-policy", "--reason", "test", "--dry-run", "--json"]).expectSuccess("dry").decode(ForgetReport.self)
        #expect(dry.messages == found.count, "search and forget agree on the matches")
        #expect(dry.matches?.count == found.count, "the dry run lists them")
        let done = try a.run(["forget", "--query", q, "--no-policy", "--reason", "test", "--json"]).expectSuccess("forget").decode(ForgetReport.self)
        #expect(done.messages == found.count)
        #expect(try a.run(["search", q]).stdout.contains("No results"))
        #expect(try a.run(["verify"]).status == 0)
    }

    @Test func aLegalHoldRefusesTheForgetAndChangesNothing() throws {
        let a = try sample("forget-held")
        let policy = a.root.appendingPathComponent("hold.yml")
        try Data("""
            version: 1
            default:
              keep: forever
            holds:
              - name: case-7
                match:
                  channels: ["general"]
            """.utf8).write(to: policy)
        let before = Harness.snapshot(a.dir)
        let r = try a.run(["forget", "--user", Self.carol, "--policy", policy.path, "--reason", "GDPR"])
        #expect(r.status == 11, "a hold wins: \(r.stderr)")
        #expect(r.stderr.contains("case-7"), "names the hold: \(r.stderr)")
        #expect(Harness.snapshot(a.dir).filter { !$0.key.hasSuffix("-shm") && $0.key != "/lock" } == before.filter { !$0.key.hasSuffix("-shm") && $0.key != "/lock" },
                "nothing changed")
        // Without a hold on that channel, the same forget goes ahead.
        let ok = try a.run(["forget", "--user", Self.carol, "--policy", Repository.root.appendingPathComponent("Policies/standard.yml").path, "--reason", "GDPR"])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    /// kill -9 at random moments: the forget is all or nothing, and a re-run completes it.
    @Test func forgetKilledAtRandomMomentsIsAllOrNothing() throws {
        let root = Harness.tempDir("forget-crash")
        let export = root.appendingPathComponent("export")
        let total = try SyntheticExport.write(to: export, channels: 6, days: 120, perDay: 40)
        let base = try TestArchive.create("forget-crash")
        try base.importExport(export)
        let user = "U3"
        let count = try base.run(["forget", "--user", user, "--no-policy", "--reason", "r", "--dry-run", "--json"]).decode(ForgetReport.self).messages
        #expect(count > total / 16, "\(count) of \(total)")
        var rng = SplitMix64(seed: 0xF0_4E_77)
        var landed = 0
        for round in 0..<10 {
            let a = try base.copy("forget-crash-\(round)")
            let delay = 0.02 + rng.unit() * 0.6
            if try Harness.runKilled(["forget", "--user", user, "--no-policy", "--reason", "r"], env: a.env, after: delay) { landed += 1 }
            // All or nothing: the messages are all there or all gone (an open finishes or drops an interrupted forget).
            let s = try a.stats()
            #expect(s.messages == total || s.messages == total - count, "round \(round): \(s.messages)")
            #expect(try a.run(["verify"]).status == 0, "round \(round): verify")
            let again = try a.run(["forget", "--user", user, "--no-policy", "--reason", "r", "--json"])
            #expect(again.status == 0, "round \(round): the re-run completes: \(again.stderr)")
            #expect(try a.stats().messages == total - count, "round \(round): exactly their messages gone")
            #expect(try a.run(["audit", "--verify"]).status == 0, "round \(round): audit")
            #expect(try a.run(["search", "from:\(user)"]).stdout.contains("No results"), "round \(round): search")
        }
        print("ForgetTests: \(landed) of 10 kills landed while lethe forget ran")
        #expect(landed >= 5, "most kills land mid-run (\(landed))")
    }
}
