import Foundation
import LetheTestSupport
import Testing
@testable import LetheCore

@Suite struct SearchFoldingTests {
    @Test func caseAndAccentsFoldTogether() {
        for s in ["Café", "CAFÉ", "cafe\u{301}", "CAFE", "café"] {
            #expect(TextFolding.fold(s) == "cafe", "\(s.unicodeScalars.map { $0.value })")
        }
    }

    @Test func languageSpecificCases() {
        #expect(TextFolding.fold("Straße") == "strasse")
        #expect(TextFolding.fold("STRASSE") == "strasse")
        #expect(TextFolding.fold("\u{1E9E}") == "ss")  // capital sharp s
        #expect(TextFolding.fold("İstanbul") == "istanbul")
        #expect(TextFolding.fold("ıstanbul") == "ıstanbul")  // dotless i is its own letter
        #expect(TextFolding.fold("ΟΔΟΣ") == "οδοσ")
        #expect(TextFolding.fold("οδος") == "οδοσ")  // final sigma
        #expect(TextFolding.fold("Ἀθῆναι") == "αθηναι")
        #expect(TextFolding.fold("ЙОГУРТ") == "иогурт")
        #expect(TextFolding.fold("Ёлка") == "елка")
        #expect(TextFolding.fold("كِتَابٌ") == "كتاب")  // harakat removed
        #expect(TextFolding.fold("كتـــاب") == "كتاب")  // tatweel removed
        #expect(TextFolding.fold("שָׁלוֹם") == "שלום")
    }

    @Test func compatibilityForms() {
        #expect(TextFolding.fold("ﬁle") == "file")
        #expect(TextFolding.fold("ＡＢＣ１２３") == "abc123")
        #expect(TextFolding.fold("ｶﾀｶﾅ") == "カタカナ")
        #expect(TextFolding.fold("①") == "1")
        #expect(TextFolding.fold("™") == "tm")
        #expect(TextFolding.fold("Å") == "a")  // angstrom sign
    }

    @Test func scriptsThatMustSurvive() {
        for s in ["東京都に行きます", "한국어", "हिंदी", "ภาษาไทย", "がぎぐ", "👍🏽", "👨‍👩‍👧", "🇫🇷", "1️⃣", "❤️"] {
            let folded = TextFolding.fold(s)
            #expect(folded == s.precomposedStringWithCanonicalMapping, "\(s)")
        }
        #expect(TextFolding.fold("") == "")
    }

    @Test func foldingIsIdempotentOnMixedText() {
        var rng = SplitMix64(seed: 7)
        let alphabet = Array("aAéÉßẞςΣİıйЙёﬁ①™ＡｶﾀЁ東京한국👍🏽❤️ َ ֹ ̈e\u{301}\u{308}ḉ ǅ ß.-_'") + ["\u{0307}", "\u{FE0F}", "\u{200D}"]
        for _ in 0..<2_000 {
            var s = ""
            for _ in 0..<Int(rng.next() % 12) { s.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
            let once = TextFolding.fold(s)
            #expect(TextFolding.fold(once) == once, "\(s.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test func mappingPointsBackToWholeGraphemes() {
        let text = "Die Straße in İZMİR, cafe\u{301}!"
        let folded = TextFolding.foldWithMapping(text)
        #expect(folded.folded == "die strasse in izmir, cafe!")
        let ranges = Highlighter.ranges(of: [.init(terms: ["strasse"], source: "strasse"), .init(terms: ["cafe"], source: "cafe")], in: text)
        #expect(ranges.map { String(text[$0]) } == ["Straße", "cafe\u{301}"])
    }
}

@Suite struct SearchTokenizerTests {
    @Test func wordsSplitOnNonLettersAndUnderscore() {
        #expect(Tokenizer.terms("don't stop_me now, e-mail me@x.org 3.14") == ["don", "t", "stop", "me", "now", "e", "mail", "me", "x", "org", "3", "14"])
        #expect(Tokenizer.terms("") == [])
        #expect(Tokenizer.terms("  ... !!! ") == [])
    }

    @Test func unspacedScriptsGiveOneTermPerCharacter() {
        #expect(Tokenizer.terms("東京都に行きます") == ["東", "京", "都", "に", "行", "き", "ま", "す"])
        #expect(Tokenizer.terms("ภาษาไทย").count == 7)  // Thai vowels here are letters, not marks
        #expect(Tokenizer.terms("กิน") == ["กิ", "น"])  // a mark stays with its consonant
        #expect(Tokenizer.terms("한국어 회의") == ["한국어", "회의"])
        #expect(Tokenizer.terms("tokyo東京") == ["tokyo", "東", "京"])
    }

    @Test func otherScriptsFormWords() {
        #expect(Tokenizer.terms(TextFolding.fold("Привет, мир!")) == ["привет", "мир"])
        #expect(Tokenizer.terms(TextFolding.fold("مرحبا بالعالم")) == ["مرحبا", "بالعالم"])
        #expect(Tokenizer.terms("हिंदी भाषा") == ["हिंदी", "भाषा"])
    }

    @Test func emojiAreTermsOfTheirOwn() {
        #expect(Tokenizer.terms("ship it🚀🚀 👍🏽!") == ["ship", "it", "🚀", "🚀", "👍🏽"])
        #expect(Tokenizer.terms("👨‍👩‍👧 🇫🇷 1️⃣ ❤️ ❤") == ["👨‍👩‍👧", "🇫🇷", "1️⃣", "❤️"])
        #expect(Tokenizer.terms("© 1 #") == ["1"])
    }

    @Test func tokenRangesAreUTF8Offsets() {
        let folded = "a 東 bc"
        let tokens = Tokenizer.tokens(folded)
        #expect(tokens.map(\.utf8Range) == [0..<1, 2..<5, 6..<8])
    }

    @Test func indexTermsHoldWordsAndPseudoTerms() throws {
        let ts = try #require(SlackTimestamp("1712173142.143619"))
        let m = MessageFields(ts: ts, user: "U123ABC", text: "Budget &amp; <@U9|Bob> <https://x.org/a|the Plan>",
                              threadTS: "1712173142.143619", replyCount: 2, hasFiles: true, hasReactions: true)
        let terms = Tokenizer.indexTerms(of: m)
        #expect(terms == ["budget", "bob", "the", "plan", "https", "x", "org", "a",
                          "from:u123abc", "is:thread", "has:file", "has:reaction"])
        let plain = MessageFields(ts: ts, user: nil, text: "hi")
        #expect(Tokenizer.indexTerms(of: plain) == ["hi"])
    }
}
