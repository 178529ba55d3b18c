/// Splits folded text into search terms, and lists what a message puts in the index.
///
/// Rules, applied grapheme by grapheme to text already passed through `TextFolding.fold`:
/// - a **word** is a maximal run of graphemes that start with a letter, digit or
///   mark (Unicode general categories L*, N*, M*); everything else separates words,
///   including `_`, `'`, `-`, `.`, `:` and `@` (so `don't` is `don` `t`);
/// - a grapheme of an **unspaced script** (Han, Hiragana, Katakana, Thai, Lao,
///   Khmer, Myanmar) is a term on its own, so `東京` is found inside `東京都に`
///   as the consecutive terms `東` `京`. Hangul is spaced and forms words;
/// - an **emoji** grapheme (emoji presentation, or an emoji with VS16 or a keycap)
///   is a term on its own; other symbols separate words.
public enum Tokenizer {
    /// One term of a folded text and where it sits.
    public struct Token: Sendable, Equatable {
        public var term: String
        /// UTF-8 offsets in the folded text.
        public var utf8Range: Range<Int>
    }

    /// The terms of `folded`, in order (duplicates kept).
    public static func terms(_ folded: String) -> [String] {
        tokens(folded).map(\.term)
    }

    /// The terms of `folded` with their positions.
    public static func tokens(_ folded: String) -> [Token] {
        var result: [Token] = []
        var word = ""
        var wordStart = 0
        var offset = 0
        func flush() {
            if !word.isEmpty {
                result.append(Token(term: word, utf8Range: wordStart..<offset))
                word = ""
            }
        }
        for ch in folded {
            let width = ch.utf8.count
            switch classify(ch) {
            case .word:
                if word.isEmpty { wordStart = offset }
                word.append(ch)
            case .single:
                flush()
                result.append(Token(term: String(ch), utf8Range: offset..<(offset + width)))
            case .separator:
                flush()
            }
            offset += width
        }
        flush()
        return result
    }

    /// Everything a message contributes to its epoch's Bloom filter: the folded
    /// terms of its searchable text, and pseudo-terms for the modifiers the filter
    /// can answer: `from:<folded user>`, `is:thread`, `has:file`, `has:reaction`.
    /// Pseudo-terms contain `:`, which no word term does.
    public static func indexTerms(of message: MessageFields) -> Set<String> {
        var set = Set(terms(TextFolding.fold(message.searchableText)))
        set.formUnion(pseudoTerms(of: message))
        return set
    }

    /// The pseudo-terms alone (see `indexTerms(of:)`).
    public static func pseudoTerms(of message: MessageFields) -> [String] {
        var out: [String] = []
        if let user = message.user, !user.isEmpty { out.append(PseudoTerm.from(user)) }
        if message.isInThread { out.append(PseudoTerm.isThread) }
        if message.hasFiles { out.append(PseudoTerm.hasFile) }
        if message.hasReactions { out.append(PseudoTerm.hasReaction) }
        return out
    }

    // MARK: - Classification

    enum Class { case word, single, separator }

    static func classify(_ ch: Character) -> Class {
        let scalars = ch.unicodeScalars
        guard let first = scalars.first else { return .separator }
        if first.isASCII {
            let v = first.value
            if (v >= 0x61 && v <= 0x7A) || (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) {
                // A keycap (`1️⃣`) is an emoji, not a digit.
                return scalars.count > 1 && isEmoji(ch) ? .single : .word
            }
            return scalars.count > 1 && isEmoji(ch) ? .single : .separator
        }
        if isEmoji(ch) { return .single }
        if isUnspaced(first) { return .single }
        switch first.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark,
            .decimalNumber, .letterNumber, .otherNumber:
            return .word
        default:
            return .separator
        }
    }

    static func isEmoji(_ ch: Character) -> Bool {
        let scalars = ch.unicodeScalars
        guard let first = scalars.first else { return false }
        let props = first.properties
        if props.isEmojiPresentation { return true }
        guard props.isEmoji, scalars.count > 1 else { return false }
        return scalars.contains { $0.value == 0xFE0F || $0.value == 0x20E3 || $0.value == 0x200D }
    }

    static func isUnspaced(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0E00...0x0EFF,  // Thai, Lao
            0x1000...0x109F,  // Myanmar
            0x1780...0x17FF,  // Khmer
            0x2E80...0x2FDF,  // CJK radicals
            0x3005...0x3007,  // 々 〆 〇
            0x3021...0x3029,  // Hangzhou numerals
            0x3040...0x30FF,  // Hiragana, Katakana
            0x31F0...0x31FF,  // Katakana extensions
            0x3400...0x4DBF,  // CJK extension A
            0x4E00...0x9FFF,  // CJK unified ideographs
            0xF900...0xFAFF,  // CJK compatibility ideographs
            0xFF66...0xFF9F,  // half-width Katakana (NFKC maps most away)
            0x20000...0x3FFFF:  // CJK extensions B and later
            return true
        default:
            return false
        }
    }
}

/// The pseudo-terms of the index, in one place.
public enum PseudoTerm {
    public static let isThread = "is:thread"
    public static let hasFile = "has:file"
    public static let hasReaction = "has:reaction"
    /// `from:` plus the folded user id (or bot id / username).
    public static func from(_ user: String) -> String { "from:" + TextFolding.fold(user) }
}
