#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import LetheTestSupport
import Testing
@testable import LetheCore

/// Compares `RetentionPlanner.plan` with a brute-force re-implementation written here from
/// the documented semantics, using Foundation's Calendar for months/years and fnmatch(3)
/// for globs, over ~2,000 generated buckets and several `now` values.
@Suite struct RetentionPlanOracleTests {
    struct ORule {
        var name: String
        var globs: [String]? = nil
        var ids: [String]? = nil
        var kinds: [String]? = nil
        var archived: Bool? = nil
        var unit: Character   // d w m y f(orever)
        var n: Int
    }

    struct OHold {
        var name: String
        var globs: [String]? = nil
        var ids: [String]? = nil
        var kinds: [String]? = nil
        var users: [String]? = nil
        var from: String?
        var until: String?
    }

    struct OChannel {
        var id: String, name: String?, kind: String, archived: Bool, width: Int64
    }

    static let defaultRule = ORule(name: "default", unit: "d", n: 400)
    static let rules: [ORule] = [
        ORule(name: "proj-short", globs: ["proj-*"], unit: "d", n: 28),
        ORule(name: "dms", kinds: ["dm", "group_dm"], unit: "m", n: 3),
        ORule(name: "public-long", kinds: ["public"], unit: "y", n: 1),
        ORule(name: "archived", archived: true, unit: "w", n: 8),
        ORule(name: "by-id-forever", ids: ["C10"], unit: "f", n: 0),
        ORule(name: "r-or-s", globs: ["[rs]*", "?ecret-ops"], kinds: ["private", "public"], unit: "m", n: 18),
        ORule(name: "same-as-short", globs: ["proj-alpha", "proj-d*"], unit: "w", n: 4),
        ORule(name: "tie-later", globs: ["proj-d*"], unit: "d", n: 28),
    ]
    static let holds: [OHold] = [
        OHold(name: "general-h1", globs: ["general"], from: "2023-01-01", until: "2023-06-30"),
        OHold(name: "custodian", users: ["U1"], from: "2023-09-01", until: "2024-02-29"),
        OHold(name: "dm-u2-open", kinds: ["dm"], users: ["U2"], from: nil, until: "2023-12-31"),
        OHold(name: "id-open", ids: ["G06"], from: "2024-10-01", until: nil),
        OHold(name: "u3-random", globs: ["random"], users: ["U3", "U4"], from: nil, until: nil),
    ]
    static let channels: [OChannel] = [
        OChannel(id: "C01", name: "general", kind: "public", archived: false, width: 86_400),
        OChannel(id: "C02", name: "proj-alpha", kind: "public", archived: false, width: 86_400),
        OChannel(id: "G03", name: "proj-beta", kind: "private", archived: true, width: 86_400),
        OChannel(id: "C04", name: "random", kind: "public", archived: true, width: 7 * 86_400),
        OChannel(id: "C05", name: "Proj-Gamma", kind: "public", archived: false, width: 86_400),
        OChannel(id: "G06", name: "secret-ops", kind: "private", archived: false, width: 86_400),
        OChannel(id: "D07", name: nil, kind: "dm", archived: false, width: 86_400),
        OChannel(id: "D08", name: nil, kind: "dm", archived: true, width: 7 * 86_400),
        OChannel(id: "G09", name: "mpdm-alice--bob-1", kind: "group_dm", archived: false, width: 86_400),
        OChannel(id: "C10", name: "legal", kind: "public", archived: false, width: 86_400),
        OChannel(id: "C11", name: "pro", kind: "public", archived: false, width: 86_400),
        OChannel(id: "G12", name: "sales", kind: "private", archived: false, width: 3_600 * 6),
        OChannel(id: "G13", name: "proj-delta", kind: "private", archived: false, width: 86_400),
    ]

    static func yaml() -> String {
        func list(_ v: [String]) -> String { "[" + v.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        func keep(_ r: ORule) -> String { r.unit == "f" ? "forever" : "\(r.n)\(r.unit)" }
        var s = "version: 1\ndefault:\n  keep: \(keep(defaultRule))\nrules:\n"
        for r in rules {
            s += "  - name: \(r.name)\n    match:\n"
            if let g = r.globs { s += "      channels: \(list(g))\n" }
            if let i = r.ids { s += "      ids: \(list(i))\n" }
            if let k = r.kinds { s += "      kinds: [\(k.joined(separator: ", "))]\n" }
            if let a = r.archived { s += "      archived: \(a)\n" }
            s += "    keep: \(keep(r))\n"
        }
        s += "holds:\n"
        for h in holds {
            s += "  - name: \(h.name)\n    match:\n"
            if let g = h.globs { s += "      channels: \(list(g))\n" }
            if let i = h.ids { s += "      ids: \(list(i))\n" }
            if let k = h.kinds { s += "      kinds: [\(k.joined(separator: ", "))]\n" }
            if let u = h.users { s += "      users: \(list(u))\n" }
            if let f = h.from { s += "    from: \(f)\n" }
            if let u = h.until { s += "    until: \(u)\n" }
        }
        return s
    }

    // MARK: - The oracle

    static let utc: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? c.timeZone
        return c
    }()

    static func oracleCutoff(_ r: ORule, now: Int64) -> Int64? {
        let date = Date(timeIntervalSince1970: TimeInterval(now))
        var comps = DateComponents()
        switch r.unit {
        case "d": comps.day = -r.n
        case "w": comps.day = -7 * r.n
        case "m": comps.month = -r.n
        case "y": comps.year = -r.n
        default: return nil
        }
        guard let d = utc.date(byAdding: comps, to: date) else { return nil }
        return Int64(d.timeIntervalSince1970.rounded())
    }

    static func glob(_ patterns: [String]?, _ name: String?) -> Bool {
        guard let patterns else { return true }
        guard let name else { return false }
        return patterns.contains { fnmatch($0, name, 0) == 0 }
    }

    static func ruleMatches(_ r: ORule, _ c: OChannel) -> Bool {
        glob(r.globs, c.name) && (r.ids?.contains(c.id) ?? true) && (r.kinds?.contains(c.kind) ?? true)
            && (r.archived.map { $0 == c.archived } ?? true)
    }

    static func dayStart(_ s: String?) -> Int64? {
        guard let s else { return nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(secondsFromGMT: 0)
        f.dateFormat = "yyyy-MM-dd"
        return f.date(from: s).map { Int64($0.timeIntervalSince1970) }
    }

    struct Expect {
        var shred: Set<String> = []   // "channel start rule"
        var held: Set<String> = []    // "channel start"
        var asked: Set<String> = []   // "channel start"
        var perRule: [String: (buckets: Int, messages: Int)] = [:]
    }

    static func oracle(buckets: [(OChannel, Int64, Int64, Int)], now: Int64,
                       authors: ((String, Int64) -> [(String, Int64)])) -> Expect {
        var e = Expect()
        var cutoffs: [String: Int64?] = [:]
        for r in [defaultRule] + rules { cutoffs[r.name] = oracleCutoff(r, now: now) }
        let ranges = Dictionary(uniqueKeysWithValues: holds.map { h in
            (h.name, (dayStart(h.from) ?? Int64.min, dayStart(h.until).map { $0 + 86_400 } ?? Int64.max))
        })
        func cachedCutoff(_ r: ORule) -> Int64? { cutoffs[r.name] ?? nil }
        for (c, start, end, count) in buckets {
            let matching = rules.filter { ruleMatches($0, c) }
            var rule = defaultRule
            if !matching.isEmpty {
                // Longest keep: smallest cutoff, forever (nil) smallest of all; first wins ties.
                rule = matching[0]
                for r in matching.dropFirst() {
                    let a = cachedCutoff(r), b = cachedCutoff(rule)
                    if b != nil && (a == nil || a! < b!) { rule = r }
                }
            }
            guard let cutoff = cachedCutoff(rule), end <= cutoff else { continue }
            let key = "\(c.id) \(start)"
            var channelHeld = false
            var userCandidates: [OHold] = []
            for h in holds {
                let (from, until) = ranges[h.name] ?? (0, 0)
                let channelOK = glob(h.globs, c.name) && (h.ids?.contains(c.id) ?? true) && (h.kinds?.contains(c.kind) ?? true)
                guard channelOK, start < until, end > from else { continue }
                if h.users == nil { channelHeld = true } else { userCandidates.append(h) }
            }
            var isHeld = channelHeld
            if !channelHeld && !userCandidates.isEmpty {
                e.asked.insert(key)
                let pairs = authors(c.id, start)
                isHeld = userCandidates.contains { h in
                    let (from, until) = ranges[h.name] ?? (0, 0)
                    return pairs.contains { (h.users ?? []).contains($0.0) && $0.1 >= from && $0.1 < until }
                }
            }
            if isHeld {
                e.held.insert(key)
            } else {
                e.shred.insert("\(key) \(rule.name)")
                e.perRule[rule.name, default: (0, 0)].buckets += 1
                e.perRule[rule.name, default: (0, 0)].messages += count
            }
        }
        return e
    }

    // MARK: - Generation


    static func authorsOf(_ channel: String, _ start: Int64, width: Int64) -> [(String, Int64)] {
        var rng = SplitMix64(seed: UInt64(bitPattern: start) ^ UInt64(channel.hashValueStable))
        return (0..<rng.below(4)).map { _ in ("U\(rng.below(5) + 1)", start + Int64(rng.below(Int(width)))) }
    }

    @Test func plannerAgreesWithBruteForce() throws {
        let policy = try RetentionPolicy.parse(yaml: Self.yaml(), file: "oracle.yml")
        #expect(policy.rules.count == Self.rules.count && policy.holds.count == Self.holds.count)
        var rng = SplitMix64(seed: 42)
        var generated: [(OChannel, Int64, Int64, Int)] = []
        let first = try #require(RetentionTime.parse("2021-06-01"))
        let last = try #require(RetentionTime.parse("2025-12-31"))
        for c in Self.channels {
            var t = first + Int64(rng.below(20)) * c.width
            while t < last {
                if rng.below(6) == 0 { generated.append((c, t, t + c.width, rng.below(50) + 1)) }
                t += c.width * Int64(c.width < 86_400 ? 13 : 1)
            }
        }
        #expect(generated.count > 1_500 && generated.count < 3_000, "generated \(generated.count)")
        let facts = generated.map { c, s, e, n in
            BucketFacts(channel: Conversation(id: c.id, name: c.name, kind: ConversationKind(rawValue: c.kind) ?? .dm,
                                              isArchived: c.archived),
                        start: s, end: e, messageCount: n)
        }
        let widths = Dictionary(uniqueKeysWithValues: Self.channels.map { ($0.id, $0.width) })
        let nows = ["2023-03-31T12:00:00Z", "2024-02-29T00:00:00Z", "2024-03-30T18:30:00Z",
                    "2025-01-31T23:59:59Z", "2025-12-31T06:00:00Z", "2026-06-30T00:00:00Z"]
        var totalShred = 0, totalHeld = 0, totalAsked = 0
        for nowText in nows {
            let now = try #require(RetentionTime.parse(nowText))
            let provider = RecordingAuthors { b in
                Self.authorsOf(b.channel.id, b.start, width: widths[b.channel.id] ?? 86_400).map { (user: $0.0, seconds: $0.1) }
            }
            let plan = try RetentionPlanner.plan(policy: policy, buckets: facts, now: now, authors: provider)
            let expected = Self.oracle(buckets: generated, now: now) { id, start in
                Self.authorsOf(id, start, width: widths[id] ?? 86_400)
            }
            let gotShred = Set(plan.shred.map { "\($0.channelID) \($0.start) \($0.rule)" })
            let gotHeld = Set(plan.held.map { "\($0.channelID) \($0.start)" })
            let gotAsked = Set(provider.calls.map { "\($0.channel) \($0.start)" })
            #expect(gotShred == expected.shred, "shred at \(nowText): +\(gotShred.subtracting(expected.shred).sorted().prefix(5)) -\(expected.shred.subtracting(gotShred).sorted().prefix(5))")
            #expect(gotHeld == expected.held, "held at \(nowText)")
            #expect(gotAsked == expected.asked, "authors asked at \(nowText)")
            #expect(provider.calls.count == gotAsked.count, "a bucket was asked twice at \(nowText)")
            #expect(plan.buckets == expected.shred.count)
            #expect(plan.messages == expected.perRule.values.reduce(0) { $0 + $1.messages })
            #expect(plan.rules.reduce(0) { $0 + $1.buckets } == plan.buckets, "the rules account for every bucket at \(nowText)")
            for r in plan.rules {
                #expect(r.buckets == expected.perRule[r.name]?.buckets ?? 0, "rule \(r.name) at \(nowText)")
                #expect(r.messages == expected.perRule[r.name]?.messages ?? 0, "rule \(r.name) at \(nowText)")
            }
            totalShred += gotShred.count
            totalHeld += gotHeld.count
            totalAsked += gotAsked.count
        }
        // The generated data must exercise every outcome, or the comparison proves little.
        #expect(totalShred > 500 && totalHeld > 20 && totalAsked > 20, "shred \(totalShred) held \(totalHeld) asked \(totalAsked)")
    }
}

extension String {
    /// FNV-1a: stable across runs, unlike `hashValue`.
    fileprivate var hashValueStable: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
