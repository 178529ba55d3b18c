import LetheTestSupport
import Testing
@testable import LetheCore

/// The matcher checked against an independent brute-force implementation on a
/// generated corpus, and the filter's no-false-negative property checked on every match.
///
/// The brute force never folds or tokenizes: every vocabulary item carries the
/// terms it must produce, written by hand, and messages keep the term sequence
/// they were generated from.
@Suite struct SearchCorpusTests {
    /// A vocabulary item: ways to write it in a message, and the folded terms it stands for.
    struct Item {
        var variants: [String]
        var terms: [String]
        /// Plain text (not Slack markup): usable inside a quoted phrase.
        var plain = true
    }

    static let vocabulary: [Item] = [
        Item(variants: ["budget", "Budget", "BUDGET"], terms: ["budget"]),
        Item(variants: ["café", "Café", "CAFÉ", "cafe\u{301}", "cafe"], terms: ["cafe"]),
        Item(variants: ["deploy", "Deploy"], terms: ["deploy"]),
        Item(variants: ["deployed", "DEPLOYED"], terms: ["deployed"]),
        Item(variants: ["deployment"], terms: ["deployment"]),
        Item(variants: ["plan", "PLAN", "Plan"], terms: ["plan"]),
        Item(variants: ["straße", "STRASSE", "Strasse"], terms: ["strasse"]),
        Item(variants: ["東京"], terms: ["東", "京"]),
        Item(variants: ["京都"], terms: ["京", "都"]),
        Item(variants: ["йогурт", "ЙОГУРТ"], terms: ["иогурт"]),
        Item(variants: ["кот", "Кот"], terms: ["кот"]),
        Item(variants: ["كِتَاب", "كتاب"], terms: ["كتاب"]),
        Item(variants: ["🚀"], terms: ["🚀"]),
        Item(variants: ["👍🏽"], terms: ["👍🏽"]),
        Item(variants: ["q3", "Q3"], terms: ["q3"]),
        Item(variants: ["e-mail", "E-Mail"], terms: ["e", "mail"]),
        Item(variants: ["<@U1|alice>"], terms: ["alice"], plain: false),
        Item(variants: ["AT&amp;T"], terms: ["at", "t"], plain: false),
        Item(variants: ["<https://ex.com|Plan>"], terms: ["plan", "https", "ex", "com"], plain: false),
    ]

    /// Query words: every plain item, plus words that reach into markup or miss.
    static let queryWords: [Item] =
        vocabulary.filter(\.plain) + [
            Item(variants: ["alice", "ALICE"], terms: ["alice"]),
            Item(variants: ["AT&T"], terms: ["at", "t"]),
            Item(variants: ["ex.com"], terms: ["ex", "com"]),
            Item(variants: ["zebra"], terms: ["zebra"]),
        ]

    static let separators = [" ", "  ", ", ", "\n", " — ", "! ", "\t(", ") "]

    struct User { var id: String; var name: String; var display: String? }
    static let people = [
        User(id: "U1", name: "alice", display: "Alice Liddell"),
        User(id: "U2", name: "bob", display: "Bobby"),
        User(id: "U3", name: "carol", display: "alice"),  // a display name equal to another's handle
    ]
    static let authors: [String?] = ["U1", "U2", "U3", "B9", nil]
    static let channels = [
        Conversation(id: "C1", name: "general", kind: .publicChannel),
        Conversation(id: "C2", name: "finance", kind: .privateChannel),
        Conversation(id: "D1", name: nil, kind: .dm, memberIDs: ["U1", "U2"]),
        Conversation(id: "D2", name: nil, kind: .dm, memberIDs: ["U1", "U3"]),
        Conversation(id: "G1", name: "mpdm-alice--bob--carol-1", kind: .groupDM, memberIDs: ["U1", "U2", "U3"]),
    ]
    static let firstDay = CivilDate(year: 2024, month: 1, day: 1).dayNumber  // corpus spans 91 days

    struct Generated {
        var fields: MessageFields
        var channel: Conversation
        var items: [Int]
        var terms: [String]
        var day: Int64
    }

    static func corpus(_ rng: inout SplitMix64, count: Int) -> [Generated] {
        (0..<count).map { _ in
            let n = 1 + Int(rng.next() % 8)
            var items: [Int] = []
            var text = ""
            for i in 0..<n {
                let item = Int(rng.next() % UInt64(vocabulary.count))
                items.append(item)
                if i > 0 { text += separators[Int(rng.next() % UInt64(separators.count))] }
                let variants = vocabulary[item].variants
                text += variants[Int(rng.next() % UInt64(variants.count))]
            }
            let day = firstDay + Int64(rng.next() % 91)
            let seconds = day * 86_400 + Int64(rng.next() % 86_400)
            let ts = SlackTimestamp("\(seconds).\(100_000 + rng.next() % 900_000)")!
            let fields = MessageFields(
                ts: ts, user: authors[Int(rng.next() % UInt64(authors.count))], text: text,
                threadTS: rng.next() % 10 < 3 ? "\(seconds - 5).000100" : nil,
                hasFiles: rng.next() % 5 == 0, hasReactions: rng.next() % 4 == 0)
            return Generated(fields: fields, channel: channels[Int(rng.next() % UInt64(channels.count))],
                             items: items, terms: items.flatMap { vocabulary[$0].terms }, day: day)
        }
    }

    // MARK: - The brute force

    struct Pattern { var terms: [String]; var prefix: Bool }

    struct BruteQuery {
        var text: [String] = []  // query items as typed
        var required: [Pattern] = []
        var excluded: [Pattern] = []
        var from: [String] = []
        var inChannel: [String] = []
        var dates: [(String, String)] = []
        var thread = false, file = false, reaction = false

        var string: String {
            var parts = text
            parts += from.map { "from:\($0)" }
            parts += inChannel.map { "in:\($0)" }
            parts += dates.map { "\($0.0):\($0.1)" }
            if thread { parts.append("is:thread") }
            if file { parts.append("has:file") }
            if reaction { parts.append("has:reaction") }
            return parts.joined(separator: " ")
        }

        static func occurs(_ p: Pattern, _ terms: [String]) -> Bool {
            guard terms.count >= p.terms.count else { return false }
            for start in 0...(terms.count - p.terms.count) {
                var ok = true
                for (j, t) in p.terms.enumerated() {
                    let candidate = terms[start + j]
                    ok = (p.prefix && j == p.terms.count - 1) ? candidate.hasPrefix(t) : candidate == t
                    if !ok { break }
                }
                if ok { return true }
            }
            return false
        }

        static func userMatches(_ value: String, _ userID: String?) -> Bool {
            guard let userID else { return false }
            let v = (value.hasPrefix("@") ? String(value.dropFirst()) : value).lowercased()
            if userID.lowercased() == v { return true }
            guard let person = people.first(where: { $0.id == userID }) else { return false }
            return person.name == v || person.display?.lowercased() == v
        }

        func matches(_ g: Generated) -> Bool {
            for (key, value) in dates {
                let parts = value.split(separator: "-").compactMap { Int($0) }
                let date = CivilDate(dayNumber: g.day)
                switch key {
                case "on": if CivilDate(iso: value)?.dayNumber != g.day { return false }
                case "after": if !(g.day > CivilDate(iso: value)?.dayNumber ?? .max) { return false }
                case "before": if !(g.day < CivilDate(iso: value)?.dayNumber ?? .min) { return false }
                default:  // during
                    if date.year != parts[0] || (parts.count > 1 && date.month != parts[1]) { return false }
                }
            }
            if thread && g.fields.threadTS == nil { return false }
            if file && !g.fields.hasFiles { return false }
            if reaction && !g.fields.hasReactions { return false }
            if !from.isEmpty && !from.contains(where: { Self.userMatches($0, g.fields.user) }) { return false }
            if !inChannel.isEmpty {
                let ok = inChannel.contains { ref in
                    if ref.hasPrefix("@") {
                        return g.channel.kind == .dm && g.channel.memberIDs.contains { Self.userMatches(ref, $0) }
                    }
                    let v = ref.hasPrefix("#") ? String(ref.dropFirst()) : ref
                    return g.channel.id == v || g.channel.name == v
                }
                if !ok { return false }
            }
            for p in required where !Self.occurs(p, g.terms) { return false }
            for p in excluded where Self.occurs(p, g.terms) { return false }
            return true
        }
    }

    static func randomQuery(_ rng: inout SplitMix64, corpus: [Generated]) -> BruteQuery {
        func pick<T>(_ a: [T]) -> T { a[Int(rng.next() % UInt64(a.count))] }
        var q = BruteQuery()
        for _ in 0..<Int(rng.next() % 3) {
            let w = pick(queryWords)
            if rng.next() % 5 == 0, w.terms.count == 1, let term = w.terms.first, term.count >= 3 {
                let cut = String(term.prefix(1 + Int(rng.next() % UInt64(term.count))))
                q.text.append(cut + "*")
                q.required.append(Pattern(terms: [cut], prefix: true))
            } else {
                q.text.append(pick(w.variants))
                q.required.append(Pattern(terms: w.terms, prefix: false))
            }
        }
        if rng.next() % 3 == 0 {
            let g = pick(corpus)
            if g.items.count >= 2 {
                let i = Int(rng.next() % UInt64(g.items.count - 1))
                let a = vocabulary[g.items[i]], b = vocabulary[g.items[i + 1]]
                if a.plain && b.plain {
                    let negate = rng.next() % 4 == 0
                    q.text.append((negate ? "-" : "") + "\"\(pick(a.variants)) \(pick(b.variants))\"")
                    let p = Pattern(terms: a.terms + b.terms, prefix: false)
                    if negate { q.excluded.append(p) } else { q.required.append(p) }
                }
            }
        }
        if rng.next() % 3 == 0 {
            let w = pick(queryWords)
            q.text.append("-" + pick(w.variants))
            q.excluded.append(Pattern(terms: w.terms, prefix: false))
        }
        if rng.next() % 4 == 0 {
            q.from = (0..<(1 + Int(rng.next() % 2))).map { _ in pick(["@alice", "alice", "U2", "@Bobby", "B9", "@nobody", "u3"]) }
        }
        if rng.next() % 5 == 0 {
            q.inChannel = (0..<(1 + Int(rng.next() % 2))).map { _ in pick(["#general", "#finance", "@bob", "@carol", "C2", "@alice"]) }
        }
        if rng.next() % 3 == 0 {
            let d = CivilDate(dayNumber: firstDay + Int64(rng.next() % 91))
            switch rng.next() % 5 {
            case 0: q.dates.append(("on", d.description))
            case 1: q.dates.append(("after", d.description))
            case 2: q.dates.append(("before", d.description))
            case 3: q.dates.append(("during", String(d.description.prefix(7))))
            default: q.dates.append(("during", pick(["2024", "2023"])))
            }
        }
        q.thread = rng.next() % 7 == 0
        q.file = rng.next() % 7 == 0
        q.reaction = rng.next() % 7 == 0
        if q.string.isEmpty {
            let w = pick(queryWords)
            q.text.append(w.variants[0])
            q.required.append(Pattern(terms: w.terms, prefix: false))
        }
        return q
    }

    @Test func matcherAgreesWithBruteForceAndFiltersNeverMissAMatch() throws {
        var rng = SplitMix64(seed: 2024)
        let corpus = Self.corpus(&rng, count: 2_000)
        let users = UserDirectory(Self.people.map { .init(id: $0.id, name: $0.name, displayName: $0.display) })
        let indexTerms = corpus.map { Tokenizer.indexTerms(of: $0.fields) }

        // One Bloom filter per channel, as the engine keeps per (channel, epoch).
        var filters: [String: BloomFilter] = [:]
        for (g, terms) in zip(corpus, indexTerms) {
            filters[g.channel.id, default: BloomFilter(expectedCount: 4_000)].insert(contentsOf: terms)
        }

        var queriesWithMatches = 0
        var totalMatches = 0
        var mismatches: [String] = []
        for _ in 0..<200 {
            let brute = Self.randomQuery(&rng, corpus: corpus)
            let q = try QueryParser.parse(brute.string)
            let groups = q.requiredIndexTerms(users: users)
            var matchedChannels: Set<String> = []
            var matches = 0
            for (g, terms) in zip(corpus, indexTerms) {
                let expected = brute.matches(g)
                let actual = Matcher().matches(q, g.fields, channel: g.channel, users: users) != nil
                if expected != actual, mismatches.count < 10 {
                    mismatches.append("\(brute.string) on \(g.fields.text.debugDescription) by \(g.fields.user ?? "nil") in \(g.channel.id): expected \(expected)")
                }
                guard actual else { continue }
                matches += 1
                matchedChannels.insert(g.channel.id)
                for group in groups where !group.contains(where: terms.contains) {
                    Issue.record("false negative: \(brute.string) needs one of \(group), message has \(terms.sorted())")
                }
            }
            for id in matchedChannels where filters[id]?.mayMatch(groups) != true {
                Issue.record("the filter of \(id) would prune a match of \(brute.string)")
            }
            if matches > 0 { queriesWithMatches += 1 }
            totalMatches += matches
        }

        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
        // The generator must exercise both outcomes for the comparison to mean something.
        #expect(queriesWithMatches > 60, "only \(queriesWithMatches) queries matched anything")
        #expect(queriesWithMatches < 200)
        #expect(totalMatches > 5_000)
    }

    @Test func bruteForceCanFail() {
        // Guards the guard: the brute force disagrees with a wrong answer.
        let g = Generated(fields: MessageFields(ts: SlackTimestamp("1704067200")!, user: "U1", text: "budget"),
                          channel: Self.channels[0], items: [0], terms: ["budget"], day: Self.firstDay)
        var q = BruteQuery()
        q.required = [Pattern(terms: ["plan"], prefix: false)]
        #expect(!q.matches(g))
        q.required = [Pattern(terms: ["bud"], prefix: true)]
        #expect(q.matches(g))
    }
}
