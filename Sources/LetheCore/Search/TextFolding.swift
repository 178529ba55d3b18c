import Foundation

/// Folds text for search so that case, accents and compatibility forms do not matter:
/// `Café`, `CAFE` and `cafe\u{301}` all fold to `cafe`.
///
/// The pipeline, identical on every platform because it uses only Unicode
/// normalisation and the standard library's per-scalar properties:
/// 1. NFKD (compatibility decomposition: `ﬁ` → `fi`, full-width `Ａ` → `A`,
///    `①` → `1`, `é` → `e` + U+0301);
/// 2. case folding, scalar by scalar: the lowercase mapping, plus
///    `ß`/`ẞ` → `ss` and final sigma `ς` → `σ` (so `İ` → `i`, while Turkish
///    dotless `ı` stays `ı`);
/// 3. removal of diacritics: nonspacing marks in the combining-diacritics blocks
///    (Latin, Greek, Cyrillic: `й` → `и`), Hebrew points, Arabic harakat, and the
///    Arabic tatweel. Other marks (Devanagari vowel signs, Thai, Japanese voicing
///    marks, emoji variation selectors) are kept: they change the letter;
/// 4. NFC, so Hangul syllables and kana recompose.
///
/// Folding is idempotent: `fold(fold(s)) == fold(s)`. Pure ASCII takes a fast path.
public enum TextFolding {
    /// The folded form of `s`, used for both indexing and querying.
    public static func fold(_ s: String) -> String {
        if let ascii = foldASCII(s) { return ascii }
        let decomposed = s.decomposedStringWithCompatibilityMapping
        var out = String.UnicodeScalarView()
        for scalar in decomposed.unicodeScalars {
            appendFolded(scalar, to: &out)
        }
        // Lowercase mappings can (rarely) yield composed scalars: decompose again
        // and drop marks once more before recomposing.
        let second = String(out).decomposedStringWithCompatibilityMapping
        var cleaned = String.UnicodeScalarView()
        for scalar in second.unicodeScalars where !isFoldedAway(scalar) {
            cleaned.append(scalar)
        }
        return String(cleaned).precomposedStringWithCanonicalMapping
    }

    /// The folded form of `s` with a map from folded positions back to `s`,
    /// for highlighting. Each grapheme of `s` is folded on its own.
    public static func foldWithMapping(_ s: String) -> FoldedText {
        FoldedText(original: s)
    }

    // MARK: - Internals

    /// Lowercases pure-ASCII text byte by byte; nil when `s` holds non-ASCII.
    static func foldASCII(_ s: String) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            guard b < 0x80 else { return nil }
            bytes.append(b >= 0x41 && b <= 0x5A ? b + 0x20 : b)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func appendFolded(_ scalar: Unicode.Scalar, to out: inout String.UnicodeScalarView) {
        switch scalar.value {
        case 0x00DF, 0x1E9E:  // ß, ẞ
            out.append("s")
            out.append("s")
            return
        case 0x03C2:  // ς final sigma
            out.append("\u{03C3}")
            return
        default:
            break
        }
        if isFoldedAway(scalar) { return }
        let props = scalar.properties
        if props.changesWhenLowercased {
            for lowered in props.lowercaseMapping.unicodeScalars where !isFoldedAway(lowered) {
                out.append(lowered)
            }
        } else {
            out.append(scalar)
        }
    }

    /// Diacritics removed by folding (see the type's documentation).
    static func isFoldedAway(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x0300 { return false }
        if v == 0x0640 { return true }  // Arabic tatweel (a letter-like filler)
        guard scalar.properties.generalCategory == .nonspacingMark else { return false }
        switch v {
        case 0x0300...0x036F,  // combining diacritical marks
            0x0483...0x0487,  // Cyrillic combining marks
            0x0591...0x05C7,  // Hebrew points and accents
            0x0610...0x061A, 0x064B...0x065F, 0x0670, 0x06D6...0x06ED,  // Arabic
            0x1AB0...0x1AFF,  // combining diacritical marks extended
            0x1DC0...0x1DFF,  // combining diacritical marks supplement
            0x20D0...0x20FF,  // combining marks for symbols
            0xFE20...0xFE2F:  // combining half marks
            return true
        default:
            return false
        }
    }
}

/// A folded text and the way back from its positions to the original text.
public struct FoldedText: Sendable {
    /// The original text.
    public let original: String
    /// Its folded form (each grapheme folded on its own, concatenated).
    public let folded: String
    /// UTF-8 offset in `folded` where each original grapheme's folding starts.
    private let foldedStarts: [Int]
    /// Start index in `original` of each grapheme, plus `original.endIndex`.
    private let originalBounds: [String.Index]

    init(original: String) {
        self.original = original
        var folded = ""
        var starts: [Int] = []
        var bounds: [String.Index] = []
        var offset = 0
        var index = original.startIndex
        while index < original.endIndex {
            let next = original.index(after: index)
            let piece = TextFolding.fold(String(original[index..<next]))
            starts.append(offset)
            bounds.append(index)
            folded += piece
            offset += piece.utf8.count
            index = next
        }
        bounds.append(original.endIndex)
        self.folded = folded
        self.foldedStarts = starts
        self.originalBounds = bounds
    }

    /// The range of `original` whose folding covers the folded UTF-8 range `range`
    /// (non-empty, within `folded`): whole graphemes, never half of one.
    public func originalRange(forFoldedUTF8 range: Range<Int>) -> Range<String.Index> {
        guard !foldedStarts.isEmpty, !range.isEmpty else {
            return original.endIndex..<original.endIndex
        }
        let first = graphemeContaining(range.lowerBound)
        let last = graphemeContaining(range.upperBound - 1)
        return originalBounds[first]..<originalBounds[last + 1]
    }

    /// The last grapheme whose folded form starts at or before `offset`.
    private func graphemeContaining(_ offset: Int) -> Int {
        var lo = 0
        var hi = foldedStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if foldedStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }
}
