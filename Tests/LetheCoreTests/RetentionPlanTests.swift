import Foundation
import Testing
@testable import LetheCore

/// Records which buckets the planner asked authors for.
final class RecordingAuthors: BucketAuthorsProvider {
    var calls: [(channel: String, start: Int64)] = []
    let answer: (BucketFacts) -> [(user: String, seconds: Int64)]

    init(_ answer: @escaping (BucketFacts) -> [(user: String, seconds: Int64)]) { self.answer = answer }

    func authors(of bucket: BucketFacts) throws -> [(user: String, seconds: Int64)] {
        calls.append((bucket.channel.id, bucket.start))
        return answer(bucket)
    }
}

@Suite struct RetentionPlanTests {
    static let day: Int64 = 86_400

    private func t(_ s: String) throws -> Int64 { try #require(RetentionTime.parse(s)) }
    private func policy(_ yaml: String) throws -> RetentionPolicy { try RetentionPolicy.parse(yaml: yaml, file: "t.yml") }
    private func dayBucket(_ c: Conversation, _ date: String, count: Int = 1) throws -> BucketFacts {
        let start = try t(date)
        return BucketFacts(channel: c, start: start, end: start + Self.day, messageCount: count)
    }

    let general = Conversation(id: "C01", name: "general", kind: .publicChannel, isArchived: false)
    let projX = Conversation(id: "G02", name: "proj-x", kind: .privateChannel, isArchived: false)
    let projY = Conversation(id: "C03", name: "proj-y", kind: .publicChannel, isArchived: false)
    let legal = Conversation(id: "CLEGAL", name: "proj-legal", kind: .publicChannel, isArchived: false)
    let tie = Conversation(id: "C05", name: "tie", kind: .privateChannel, isArchived: false)
    let other = Conversation(id: "G06", name: "other", kind: .privateChannel, isArchived: true)
    let dm = Conversation(id: "D07", name: nil, kind: .dm, isArchived: false)

    static let precedencePolicy = """
        version: 1
        default: {keep: 400d}
        rules:
          - name: short
            match: {channels: ["proj-*"]}
            keep: 30d
          - name: long
            match: {kinds: [public]}
            keep: 1y
          - name: keep-legal
            match: {ids: [CLEGAL]}
            keep: forever
          - name: tie-a
            match: {channels: ["tie"]}
            keep: 4w
          - name: tie-b
            match: {channels: ["tie"]}
            keep: 28d
        """

    @Test func precedenceDefaultOnlyWhenNoRuleMatchesLongestWinsForeverBeatsAll() throws {
        let p = try policy(Self.precedencePolicy)
        let now = try t("2025-06-01T00:00:00Z")
        // Default (400d) does not apply once a shorter rule matches.
        #expect(p.ruleFor(channel: projX, now: now).rule.name == "short")
        #expect(p.ruleFor(channel: projX, now: now).matchingRules == ["short"])
        #expect(p.ruleFor(channel: projY, now: now).rule.name == "long")
        #expect(p.ruleFor(channel: projY, now: now).matchingRules == ["short", "long"])
        #expect(p.ruleFor(channel: legal, now: now).rule.name == "keep-legal")
        #expect(p.ruleFor(channel: legal, now: now).cutoff == nil)
        #expect(p.ruleFor(channel: tie, now: now).rule.name == "tie-a")  // equal cutoffs: first in file
        #expect(p.ruleFor(channel: other, now: now).isDefault)
        #expect(p.ruleFor(channel: dm, now: now).isDefault)
        #expect(p.ruleFor(channel: general, now: now).rule.name == "long")

        // The same choices drive the plan: a 40-day-old bucket is shredded only in proj-x.
        let old = "2025-04-20"
        let buckets = try [projX, projY, legal, tie, other, dm, general].map { try dayBucket($0, old, count: 2) }
        let plan = try RetentionPlanner.plan(policy: p, buckets: buckets, now: now, authors: nil)
        #expect(plan.shred.map(\.channelID) == ["C05", "G02"])  // ordered by channel id
        #expect(plan.shred.map(\.rule) == ["tie-a", "short"])
        #expect(plan.buckets == 2 && plan.messages == 4)
        #expect(plan.rules.map(\.name) == ["default", "short", "long", "keep-legal", "tie-a", "tie-b"])
        #expect(plan.rules.map(\.buckets) == [0, 1, 0, 0, 1, 0])
        #expect(plan.rules.map(\.channels) == [2, 1, 2, 1, 1, 0])
        #expect(plan.rules[3].cutoff == nil)
    }

    @Test func boundaryEndEqualToCutoffExpiresOneSecondLaterDoesNot() throws {
        let p = try policy("version: 1\ndefault: {keep: 30d}\n")
        let now = try t("2025-06-01T13:14:15Z")
        let cutoff = now - 30 * Self.day
        let c = general
        let exact = BucketFacts(channel: c, start: cutoff - Self.day, end: cutoff, messageCount: 1)
        let young = BucketFacts(channel: Conversation(id: "C02", name: "b", kind: .publicChannel, isArchived: false),
                                start: cutoff + 1 - Self.day, end: cutoff + 1, messageCount: 1)
        let plan = try RetentionPlanner.plan(policy: p, buckets: [exact, young], now: now, authors: nil)
        #expect(plan.shred.map(\.channelID) == ["C01"])
        #expect(plan.rules[0].cutoff == cutoff)
    }

    /// The worked example of docs/POLICIES.md.
    @Test func docsWorkedExampleHolds() throws {
        let p = try policy(briefExamplePolicy)
        let now = try t("2025-06-01T12:00:00Z")
        let plan = try RetentionPlanner.plan(policy: p, buckets: try [
            dayBucket(projX, "2025-05-01"), dayBucket(projX, "2025-05-02"),
            dayBucket(general, "2023-12-31"), dayBucket(general, "2024-01-01"), dayBucket(general, "2024-04-26"),
            dayBucket(general, "2024-07-01"), dayBucket(general, "2024-04-27"),
        ], now: now, authors: nil)
        #expect(plan.rules.map { $0.cutoff.map(RetentionTime.iso8601) ?? "" }
                == ["2024-04-27T12:00:00Z", "2025-05-02T12:00:00Z", "2025-03-03T12:00:00Z"])
        #expect(plan.shred.map { "\($0.channelID) \(CivilDate(unixSeconds: $0.start))" }
                == ["C01 2023-12-31", "G02 2025-05-01"])
        #expect(plan.held.map { "\($0.channelID) \(CivilDate(unixSeconds: $0.start))" }
                == ["C01 2024-01-01", "C01 2024-04-26"])
    }

    @Test func monthsKeepUsesTheCalendar() throws {
        let p = try policy("version: 1\ndefault: {keep: 1m}\n")
        let now = try t("2024-03-31T00:00:00Z")  // cutoff 2024-02-29T00:00:00Z
        let feb28 = try dayBucket(general, "2024-02-28")  // ends Feb 29 00:00 == cutoff: expired
        let feb29 = try dayBucket(general, "2024-02-29")  // ends Mar 1: kept
        let plan = try RetentionPlanner.plan(policy: p, buckets: [feb28, feb29], now: now, authors: nil)
        #expect(plan.shred.map { RetentionTime.iso8601($0.start) } == ["2024-02-28T00:00:00Z"])
    }

    @Test func channelHoldWinsOverExpiryWithInclusiveDateEdges() throws {
        let p = try policy(briefExamplePolicy)
        let now = try t("2026-01-01T00:00:00Z")  // default 400d cutoff is 2024-11-27
        let dates = ["2023-12-31", "2024-01-01", "2024-06-30", "2024-07-01"]
        let buckets = try dates.map { try dayBucket(general, $0, count: 3) }
        let plan = try RetentionPlanner.plan(policy: p, buckets: buckets, now: now, authors: nil)
        #expect(plan.shred.map { CivilDate(unixSeconds: $0.start).description } == ["2023-12-31", "2024-07-01"])
        #expect(plan.held.map { CivilDate(unixSeconds: $0.start).description } == ["2024-01-01", "2024-06-30"])
        #expect(plan.held.allSatisfy { $0.holds == ["case-2024-17"] && !$0.unverified && $0.rule == "default" })
        #expect(plan.heldBuckets == 2 && plan.heldMessages == 6)
        // A bucket spanning the hold's first instant overlaps it.
        let week = BucketFacts(channel: general, start: try t("2023-12-28"), end: try t("2024-01-04"), messageCount: 1)
        #expect(try RetentionPlanner.plan(policy: p, buckets: [week], now: now, authors: nil).heldBuckets == 1)
        // The hold's channel criteria limit it.
        let random = Conversation(id: "C09", name: "generalist", kind: .publicChannel, isArchived: false)
        let elsewhere = try RetentionPlanner.plan(policy: p, buckets: [try dayBucket(random, "2024-03-01")],
                                                  now: now, authors: nil)
        #expect(elsewhere.buckets == 1 && elsewhere.heldBuckets == 0)
    }

    static let userHoldPolicy = """
        version: 1
        default: {keep: 30d}
        rules:
          - name: dms
            match: {kinds: [dm]}
            keep: 7d
        holds:
          - name: custodian
            case: HR-7
            match: {users: [U1]}
            from: 2024-03-01
            until: 2024-03-31
          - name: dm-only
            match: {kinds: [dm], users: [U2]}
          - name: whole-channel
            match: {ids: [C01]}
            from: 2024-03-10
            until: 2024-03-10
        """

    @Test func userHoldAsksAuthorsOnlyWhereItCouldApply() throws {
        let p = try policy(Self.userHoldPolicy)
        let now = try t("2024-06-01T00:00:00Z")
        let random = Conversation(id: "C02", name: "random", kind: .publicChannel, isArchived: false)
        let buckets = try [
            dayBucket(random, "2024-03-05"),   // U1 inside range → held by custodian
            dayBucket(random, "2024-03-06"),   // only U3 → shredded
            dayBucket(random, "2024-02-20"),   // before the custodian range, not a DM → shredded, not asked
            dayBucket(random, "2024-05-30"),   // not expired → not asked
            dayBucket(general, "2024-03-10"),  // whole-channel hold keeps it → not asked
            dayBucket(general, "2024-03-11"),  // U1 inside range → held
            dayBucket(dm, "2023-05-01"),       // DM: dm-only hold is open-ended; U2 wrote → held
            dayBucket(dm, "2023-05-02"),       // DM: U1 wrote, but outside custodian range → shredded
        ]
        let authors = RecordingAuthors { b in
            switch CivilDate(unixSeconds: b.start).description {
            case "2024-03-05", "2024-03-11": return [("U3", b.start + 5), ("U1", b.start + 60)]
            case "2023-05-01": return [("U2", b.start + 1)]
            case "2023-05-02": return [("U1", b.start + 1)]
            default: return [("U3", b.start + 1)]
            }
        }
        let plan = try RetentionPlanner.plan(policy: p, buckets: buckets, now: now, authors: authors)
        let asked = Set(authors.calls.map { "\($0.channel) \(CivilDate(unixSeconds: $0.start))" })
        #expect(asked == ["C02 2024-03-05", "C02 2024-03-06", "C01 2024-03-11", "D07 2023-05-01", "D07 2023-05-02"])
        #expect(authors.calls.count == 5)
        let held = plan.held.map { "\($0.channelID) \(CivilDate(unixSeconds: $0.start)) \($0.holds)" }
        #expect(held == ["C01 2024-03-10 [\"whole-channel\"]", "C01 2024-03-11 [\"custodian\"]",
                         "C02 2024-03-05 [\"custodian\"]", "D07 2023-05-01 [\"dm-only\"]"])
        let shred = plan.shred.map { "\($0.channelID) \(CivilDate(unixSeconds: $0.start)) \($0.rule)" }
        #expect(shred == ["C02 2024-02-20 default", "C02 2024-03-06 default", "D07 2023-05-02 dms"])
    }

    @Test func userMessageOutsideTheHoldRangeDoesNotHoldABucketOverlappingIt() throws {
        let p = try policy(Self.userHoldPolicy)
        let now = try t("2024-06-01T00:00:00Z")
        let random = Conversation(id: "C02", name: "random", kind: .publicChannel, isArchived: false)
        // A week bucket straddling 2024-03-01: U1 wrote on Feb 28 only.
        let week = BucketFacts(channel: random, start: try t("2024-02-26"), end: try t("2024-03-04"), messageCount: 4)
        let before = RecordingAuthors { _ in [("U1", 1_709_078_400)] }  // 2024-02-28
        #expect(try RetentionPlanner.plan(policy: p, buckets: [week], now: now, authors: before).buckets == 1)
        let inside = RecordingAuthors { _ in [("U1", 1_709_251_200)] }  // 2024-03-01T00:00:00Z, the first held second
        #expect(try RetentionPlanner.plan(policy: p, buckets: [week], now: now, authors: inside).heldBuckets == 1)
    }

    @Test func withoutAnAuthorsProviderUserHoldsKeepWhenInDoubt() throws {
        let p = try policy(Self.userHoldPolicy)
        let now = try t("2024-06-01T00:00:00Z")
        let random = Conversation(id: "C02", name: "random", kind: .publicChannel, isArchived: false)
        let plan = try RetentionPlanner.plan(policy: p, buckets: [try dayBucket(random, "2024-03-06"),
                                                                  try dayBucket(random, "2024-02-06")],
                                             now: now, authors: nil)
        #expect(plan.held.count == 1 && plan.held[0].unverified && plan.held[0].holds == ["custodian"])
        #expect(plan.shred.count == 1)
        #expect(plan.render().contains("authors not checked"))
    }

    @Test func providerErrorsPropagate() throws {
        struct Boom: Error {}
        struct Failing: BucketAuthorsProvider {
            func authors(of bucket: BucketFacts) throws -> [(user: String, seconds: Int64)] { throw Boom() }
        }
        let p = try policy(Self.userHoldPolicy)
        let random = Conversation(id: "C02", name: "random", kind: .publicChannel, isArchived: false)
        #expect(throws: Boom.self) {
            try RetentionPlanner.plan(policy: p, buckets: [try dayBucket(random, "2024-03-06")],
                                      now: try t("2024-06-01"), authors: Failing())
        }
    }

    @Test func foreverNeverExpiresEvenAncientBuckets() throws {
        let p = try policy("version: 1\ndefault: {keep: forever}\n")
        let b = BucketFacts(channel: general, start: 0, end: 86_400, messageCount: 9)
        let plan = try RetentionPlanner.plan(policy: p, buckets: [b], now: 4_000_000_000, authors: nil)
        #expect(plan.buckets == 0 && plan.shred.isEmpty && plan.rules[0].keep == "forever")
    }

    @Test func refusesABucketThatEndsBeforeItStarts() throws {
        let p = try policy("version: 1\ndefault: {keep: 1d}\n")
        #expect(throws: LetheError.self) {
            try RetentionPlanner.plan(policy: p, buckets: [BucketFacts(channel: general, start: 10, end: 10, messageCount: 0)],
                                      now: 1_000_000, authors: nil)
        }
    }

    @Test func jsonHasSnakeCaseTotalsAndDatesAndRoundTrips() throws {
        var p = try policy(briefExamplePolicy)
        p.sourceDigest = "sha256:00ff"
        let now = try t("2026-01-01T00:00:00Z")
        let proj = Conversation(id: "C10", name: "proj-a", kind: .publicChannel, isArchived: false)
        let buckets = try [dayBucket(proj, "2025-11-01", count: 5), dayBucket(proj, "2025-11-03", count: 2),
                           dayBucket(general, "2024-02-02", count: 1), dayBucket(dm, "2025-01-01", count: 4)]
        let plan = try RetentionPlanner.plan(policy: p, buckets: buckets, now: now, authors: nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(plan)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["buckets", "messages", "rules", "held_buckets", "held_messages", "now", "policy_digest",
                    "channels", "shred", "held"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["buckets"] as? Int == 3)
        #expect(object["messages"] as? Int == 11)
        #expect(object["held_buckets"] as? Int == 1)
        #expect(object["now"] as? String == "2026-01-01T00:00:00Z")
        let rules = try #require(object["rules"] as? [[String: Any]])
        #expect(rules.map { $0["name"] as? String } == ["default", "short-lived", "direct-messages"])
        #expect(rules.map { $0["buckets"] as? Int } == [0, 2, 1])
        #expect(rules.map { $0["messages"] as? Int } == [0, 7, 4])
        let shred = try #require(object["shred"] as? [[String: Any]])
        #expect(shred.last?["start"] as? String == "2025-01-01T00:00:00Z")
        #expect(shred.last?["end"] as? String == "2025-01-02T00:00:00Z")
        #expect(shred.last?["message_count"] as? Int == 4)
        #expect(shred.last?["channel_id"] as? String == "D07")
        #expect(shred.last?["kind"] as? String == "dm")
        #expect(shred.last?["rule"] as? String == "direct-messages")
        let channels = try #require(object["channels"] as? [[String: Any]])
        let projSummary = try #require(channels.first { $0["channel_id"] as? String == "C10" })
        #expect(projSummary["first_date"] as? String == "2025-11-01")
        #expect(projSummary["last_date"] as? String == "2025-11-03")
        #expect(projSummary["name"] as? String == "proj-a")
        let decoded = try JSONDecoder().decode(RetentionPlan.self, from: data)
        #expect(decoded == plan)
    }

    @Test func renderShowsRulesChannelsAndDateRanges() throws {
        let p = try policy(briefExamplePolicy)
        let now = try t("2026-01-01T00:00:00Z")
        let proj = Conversation(id: "C10", name: "proj-a", kind: .publicChannel, isArchived: false)
        let plan = try RetentionPlanner.plan(policy: p, buckets: try [
            dayBucket(proj, "2025-11-01", count: 5), dayBucket(proj, "2025-11-03", count: 2),
            dayBucket(general, "2024-02-02"), dayBucket(dm, "2025-01-01", count: 4),
        ], now: now, authors: nil)
        let text = plan.render()
        #expect(text.contains("Would shred 3 buckets holding 11 messages"))
        #expect(text.contains("Rule \"short-lived\" (keep 30d): shred"))
        #expect(text.contains("#proj-a"))
        #expect(text.contains("2025-11-01  2025-11-03"))
        #expect(text.contains("DM \(dm.id)"), "a DM whose members are unknown is shown by its id, as in every command")
        #expect(text.contains("case-2024-17"))
        #expect(text.contains("Kept by legal holds"))
    }
}
