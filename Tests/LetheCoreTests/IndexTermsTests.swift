import Testing
@testable import LetheCore

/// The import's fast ASCII path indexes exactly the tokenizer's terms.
@Suite struct IndexTermsTests {
    @Test func fastPathEqualsTheTokenizer() {
        var rng = SystemRandomNumberGenerator()
        let pieces = ["Deploy", "the", "API_v2", "<@U05A1|alice>", "<@U0B>", "<https://ex.com/a-b?x=1|Release Notes>", "<#C1|general>",
                      "&amp;", "&lt;tag&gt;", "don't", "e-mail", "x:y", "12:30", "*bold*", "_it_", "`code`", "<!here>", "<!subteam^S1|@ops>",
                      "<mailto:a@b.org|a@b.org>", "ABC123def", "...", "\n", "\t", "42",
                      // non-ASCII next to ASCII separators and letters: accents (composed and combining), CJK,
                      // RTL, Cyrillic, emoji with modifiers and joiners, keycaps, full-width, ligatures, ß, İ
                      "café", "cafe\u{301}", ".\u{301}", "東京タワー", "مرحبا", "Привет", "👍🏽", "👩‍💻", "#️⃣", "1️⃣", "ＡＢＣ", "ﬁne",
                      "Straße", "İstanbul", "naïve-", "x\u{0600}.", "Ω", "½"]
        for _ in 0..<2000 {
            let text = (0..<Int.random(in: 1...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined(separator: Bool.random(using: &rng) ? " " : "")
            let m = MessageFields(ts: SlackTimestamp("1700000000.000100")!, user: "U05A1", text: text, threadTS: Bool.random() ? "1.2" : nil,
                                  hasFiles: Bool.random(), hasReactions: Bool.random())
            var fast = Set<BloomFilter.TermHash>()
            IndexTerms.add(m, to: &fast)
            let exact = Set(Tokenizer.indexTerms(of: m).map { BloomFilter.termHash($0) })
            #expect(exact == fast, "\(text)")
        }
    }

    @Test func hashingBytesEqualsHashingStrings() {
        for s in ["", "a", "zebracorn", "from:u1", "東京", String(repeating: "x", count: 300)] {
            let viaBytes = Array(s.utf8).withUnsafeBufferPointer { BloomFilter.termHash(utf8: $0) }
            #expect(viaBytes == BloomFilter.termHash(s))
        }
    }
}

/// The per-message pre-check never rejects a message that has a term of every group.
@Suite struct IndexTermsMayMatchTests {
    @Test func agreesWithTheExactTermsOnASCIIAndNeverRejectsOtherText() {
        var rng = SystemRandomNumberGenerator()
        let pieces = ["Deploy", "the", "API_v2", "<@U05A1|alice>", "<https://ex.com/a-b?x=1|Release Notes>", "&amp;", "don't", "e-mail",
                      "x:y", "42", "deploys", "redeploy", "ship", "café", "東京", "alice42"]
        let vocabulary = ["deploy", "the", "api", "v2", "alice", "release", "notes", "amp", "don", "t", "e", "mail", "x", "y", "42",
                          "ship", "cafe", "東", "alice42", "u05a1", "ex", "com", "missing", "from:u05a1", "is:thread", "has:file"]
        for _ in 0..<3000 {
            let text = (0..<Int.random(in: 1...8, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }
                .joined(separator: Bool.random(using: &rng) ? " " : "")
            let m = MessageFields(ts: SlackTimestamp("1700000000.000100")!, user: Bool.random() ? "U05A1" : nil, text: text,
                                  threadTS: Bool.random() ? "1.2" : nil, hasFiles: Bool.random(), hasReactions: false)
            let groups = (0..<Int.random(in: 1...3, using: &rng)).map { _ in
                (0..<Int.random(in: 1...2, using: &rng)).map { _ in vocabulary.randomElement(using: &rng)! }
            }
            let terms = Tokenizer.indexTerms(of: m)
            let exact = groups.allSatisfy { $0.contains(where: terms.contains) }
            let quick = IndexTerms.mayMatch(m, groups: groups)
            if exact { #expect(quick, "rejected a message that has every group: \(text) \(groups)") }
            if text.utf8.allSatisfy({ $0 < 0x80 }) { #expect(quick == exact, "\(text) \(groups)") }
        }
    }
}

/// The phrase pre-check is exactly `TermPattern.occurs` on ASCII text, and never rejects other text that matches.
@Suite struct IndexTermsPhraseTests {
    static let ts = SlackTimestamp("1700000000.000100")!

    /// Whether the matcher's own test (fold, tokenize, `occurs`) finds the pattern in `m`.
    static func exact(_ m: MessageFields, _ p: SearchQuery.TermPattern) -> Bool {
        p.occurs(in: Tokenizer.terms(TextFolding.fold(m.matchedText)))
    }

    static func pattern(_ terms: [String], prefix: Bool = false) -> SearchQuery.TermPattern {
        SearchQuery.TermPattern(terms: terms, isPrefix: prefix, source: terms.joined(separator: " "))
    }

    @Test func agreesWithTheMatcherOnRandomText() {
        var rng = SystemRandomNumberGenerator()
        let pieces = ["Ship", "ship", "SHOULD", "should", "shipping", "ships", "<@U05A1|ship>", "<https://ex.com/ship-should|Ship it>",
                      "&amp;", "don't", "e-mail", "x:y", "42", "*ship*", "_should_", "`ship`", "ship.should", "ship,", "should!",
                      "\n", "--", "café", "東京", "naïve", "Straße", "👍🏽", "sh", "ip"]
        let vocabulary = ["ship", "should", "shipping", "e", "mail", "don", "t", "ex", "com", "it", "amp", "42", "cafe", "東", "京", "sh",
                          "ip", "x", "y", "u05a1", "strasse", "naive"]
        for _ in 0..<4000 {
            let text = (0..<Int.random(in: 1...10, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }
                .joined(separator: [" ", "", "  ", "\n"].randomElement(using: &rng)!)
            var m = MessageFields(ts: Self.ts, user: "U05A1", text: text)
            if Int.random(in: 0..<5, using: &rng) == 0 { m.attachedText = ["should ship", "ship", "Should"].randomElement(using: &rng)! }
            let p = Self.pattern((0..<Int.random(in: 2...3, using: &rng)).map { _ in vocabulary.randomElement(using: &rng)! },
                                 prefix: Int.random(in: 0..<4, using: &rng) == 0)
            let groups = p.terms.dropLast(p.isPrefix ? 1 : 0).map { [$0] }
            let exact = Self.exact(m, p)
            let quick = IndexTerms.mayMatch(m, groups: groups.isEmpty ? [[p.terms[0]]] : groups, phrases: [p])
            if exact { #expect(quick, "rejected a match: \(text) | \(m.attachedText) \(p.terms) prefix \(p.isPrefix)") }
            if m.matchedText.utf8.allSatisfy({ $0 < 0x80 }) {
                #expect(quick == exact, "\(text) | \(m.attachedText) \(p.terms) prefix \(p.isPrefix)")
            }
        }
    }

    @Test func phraseAcrossMarkupPunctuationAndCase() {
        let p = Self.pattern(["ship", "should"])
        let cases: [(String, Bool)] = [
            ("we SHIP, Should we?", true),            // case and punctuation between the words
            ("<@U1|ship> should", true),              // a mention renders to @ship
            ("&lt;ship&gt;should", true),             // entities unescaped: <ship>should
            ("<https://ex.com|ship> should go", false), // renders as "ship (https://ex.com) should"
            ("<https://ex.com/x|we ship> should", false),
            ("ship it, we should", false),            // both words, apart
            ("shipshould ship-should", true),
            ("ships should", false), ("ship shoulder", false), ("reship should", false),
            ("should ship", false),
            ("ship\nshould", true),
        ]
        for (text, expected) in cases {
            let m = MessageFields(ts: Self.ts, user: "U1", text: text)
            #expect(Self.exact(m, p) == expected, "the matcher on \(text)")
            #expect(IndexTerms.mayMatch(m, groups: [["ship"], ["should"]], phrases: [p]) == expected, "\(text)")
        }
        // A prefix phrase: the last term starts a run.
        let pre = Self.pattern(["ship", "sho"], prefix: true)
        let m = MessageFields(ts: Self.ts, user: "U1", text: "Ship Shoulders")
        #expect(IndexTerms.mayMatch(m, groups: [["ship"]], phrases: [pre]))
        #expect(!IndexTerms.mayMatch(MessageFields(ts: Self.ts, user: "U1", text: "Ship xsho"), groups: [["ship"]], phrases: [pre]))
    }

    @Test func nonASCIITextIsLeftToTheMatcher() {
        let p = Self.pattern(["cafe", "ship"])
        for text in ["Café ship", "CAFE\u{301} SHIP", "café, ship", "ship café"] {
            let m = MessageFields(ts: Self.ts, user: "U1", text: text)
            #expect(IndexTerms.mayMatch(m, groups: [["cafe"], ["ship"]], phrases: [p]), "\(text)")
        }
        #expect(Self.exact(MessageFields(ts: Self.ts, user: "U1", text: "CAFE\u{301}, SHIP"), p))
        // A phrase whose terms are not ASCII is never in ASCII text.
        let cjk = Self.pattern(["東", "京"])
        #expect(!IndexTerms.mayMatch(MessageFields(ts: Self.ts, user: "U1", text: "tokyo"), groups: [["東"], ["京"]], phrases: [cjk]))
        #expect(IndexTerms.mayMatch(MessageFields(ts: Self.ts, user: "U1", text: "東京"), groups: [["東"], ["京"]], phrases: [cjk]))
    }
}
