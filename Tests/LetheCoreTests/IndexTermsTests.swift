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
