/// Finds where a query's words and phrases occur in a text, for display.
///
/// The text is folded grapheme by grapheme and tokenized like the index, so a
/// match found on folded terms maps back to whole graphemes of the original,
/// even when folding changes lengths (`Straße` → `strasse`, `ﬁ` → `fi`).
public enum Highlighter {
    /// ANSI bold yellow, and reset.
    public static let ansiOn = "\u{1B}[1;33m"
    public static let ansiOff = "\u{1B}[0m"

    /// Ranges of `text` covered by an occurrence of any of `patterns`, sorted and merged.
    public static func ranges(of patterns: [SearchQuery.TermPattern], in text: String) -> [Range<String.Index>] {
        guard !patterns.isEmpty, !text.isEmpty else { return [] }
        let folded = TextFolding.foldWithMapping(text)
        let tokens = Tokenizer.tokens(folded.folded)
        let terms = tokens.map(\.term)
        var found: [Range<String.Index>] = []
        for pattern in patterns {
            var start = 0
            while let i = pattern.firstOccurrence(in: terms, from: start) {
                let utf8 = tokens[i].utf8Range.lowerBound..<tokens[i + pattern.terms.count - 1].utf8Range.upperBound
                found.append(folded.originalRange(forFoldedUTF8: utf8))
                start = i + 1
            }
        }
        found.sort { $0.lowerBound < $1.lowerBound }
        var merged: [Range<String.Index>] = []
        for r in found {
            if let last = merged.last, r.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        return merged
    }

    /// `text` with every occurrence of the query's required words and phrases
    /// wrapped in ANSI bold yellow. Pass text already rendered by `SlackMarkup`.
    public static func ansi(_ text: String, query: SearchQuery) -> String {
        wrap(text, ranges: ranges(of: query.required, in: text), open: ansiOn, close: ansiOff)
    }

    /// `text` with each of `ranges` (sorted, disjoint) wrapped in `open` … `close`.
    public static func wrap(_ text: String, ranges: [Range<String.Index>], open: String, close: String) -> String {
        var out = ""
        var cursor = text.startIndex
        for r in ranges where r.lowerBound >= cursor {
            out += text[cursor..<r.lowerBound]
            out += open
            out += text[r]
            out += close
            cursor = r.upperBound
        }
        out += text[cursor...]
        return out
    }
}
