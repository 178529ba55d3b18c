/// Parses Slack's search syntax into a `SearchQuery`.
///
/// Grammar (whitespace separates items; keys are case-insensitive):
/// - `word` — must occur as a whole word after folding; `word*` — a prefix;
///   `"a phrase"` (or `“a phrase”`) — consecutive terms;
/// - `-word`, `-word*`, `-"a phrase"` — must not occur;
/// - `from:@name`, `from:name`, `from:U123`, `from:<@U123>` — the author;
/// - `in:#channel`, `in:channel`, `in:C123`, `in:<#C123|name>` — a conversation;
///   `in:@name`, `in:<@U123>` — the 1:1 DM with that user;
///   `in:workspace/#channel` — a conversation of that Enterprise Grid workspace
///   (or Mattermost team, Discord guild); a modifier's value may be quoted where
///   it holds spaces: `in:"Riso Club/#general"`, `from:"Ana Lima"`;
/// - `before:YYYY-MM-DD` (strictly before that UTC day), `after:YYYY-MM-DD`
///   (strictly after it), `on:YYYY-MM-DD`, `during:YYYY`, `during:YYYY-MM`,
///   `during:YYYY-MM-DD`; several date modifiers intersect;
/// - `is:thread`, `has:file`, `has:reaction`.
///
/// A word with a colon whose key is not one of these (`foo:bar`, `http://x`,
/// `12:30`) is a plain word, as in Slack; it folds to several terms and so
/// searches as a phrase (`foo` `bar`).
///
/// Errors are `LetheError(.usage, "query:<column>: <reason>")` with a hint; the
/// column is 1-based, counts characters (graphemes) and points at the first
/// character of the offending item (its `-` when negated, its opening quote).
public enum QueryParser {
    public static func parse(_ query: String) throws -> SearchQuery {
        var q = SearchQuery()
        var lo = Int64.min
        var hi = Int64.max
        var firstIgnoredColumn: Int?

        for item in try lex(query) {
            if item.quoted {
                let terms = Tokenizer.terms(TextFolding.fold(item.text))
                guard !terms.isEmpty else {
                    throw error(item.column, "the phrase \"\(item.text)\" has nothing to search for",
                                hint: "a phrase needs letters, digits or emoji between its quotes")
                }
                let pattern = SearchQuery.TermPattern(terms: terms, source: "\"\(item.text)\"")
                if item.negated { q.excluded.append(pattern) } else { q.required.append(pattern) }
                continue
            }
            if let (key, value) = modifier(item.text) {
                if item.negated {
                    throw error(item.column, "\(key): cannot be negated",
                                hint: "only words and phrases can be excluded with '-'; remove the '-'")
                }
                try apply(key: key, value: value, column: item.column, to: &q, lo: &lo, hi: &hi)
                continue
            }
            var text = Substring(item.text)
            var isPrefix = false
            while text.hasSuffix("*") {
                text = text.dropLast()
                isPrefix = true
            }
            let terms = Tokenizer.terms(TextFolding.fold(String(text)))
            guard !terms.isEmpty else {
                q.ignoredWords.append(item.text)
                if firstIgnoredColumn == nil { firstIgnoredColumn = item.column }
                continue
            }
            let pattern = SearchQuery.TermPattern(
                terms: terms, isPrefix: isPrefix, source: item.text)
            if item.negated { q.excluded.append(pattern) } else { q.required.append(pattern) }
        }

        if lo != Int64.min || hi != Int64.max {
            q.timeRange = lo..<max(lo, hi)
        }
        if q.isEmpty {
            throw error(firstIgnoredColumn ?? 1, "nothing to search for",
                        hint: "give words, a \"phrase\", or a modifier such as from:@alice, in:#general, after:2024-01-01")
        }
        return q
    }

    /// The modifier keys, lowercase.
    public static let modifierKeys: Set<String> = ["from", "in", "before", "after", "on", "during", "is", "has"]

    // MARK: - Lexing

    struct Item {
        var text: String
        var column: Int
        var negated: Bool
        var quoted: Bool
    }

    static func lex(_ query: String) throws -> [Item] {
        let chars = Array(query)
        var items: [Item] = []
        var i = 0
        while i < chars.count {
            if chars[i].isWhitespace {
                i += 1
                continue
            }
            let column = i + 1
            var negated = false
            if chars[i] == "-", i + 1 < chars.count, !chars[i + 1].isWhitespace {
                negated = true
                i += 1
            }
            if isOpeningQuote(chars[i]) {
                let close = try closingQuote(chars, opening: i, what: "the phrase")
                items.append(Item(text: String(chars[(i + 1)..<close]), column: column, negated: negated, quoted: true))
                i = close + 1
                continue
            }
            // A word; after a modifier's colon, a quoted stretch may hold spaces
            // (`in:"Riso Club/#general"`, `in:"Riso Club"/#general`), and the quotes are dropped.
            var text: [Character] = []
            while i < chars.count, !chars[i].isWhitespace {
                if isOpeningQuote(chars[i]), modifier(String(text)) != nil {
                    let close = try closingQuote(chars, opening: i, what: "the quoted value")
                    text.append(contentsOf: chars[(i + 1)..<close])
                    i = close + 1
                    continue
                }
                text.append(chars[i])
                i += 1
            }
            items.append(Item(text: String(text), column: column, negated: negated, quoted: false))
        }
        return items
    }

    /// The index of the quote closing the one at `opening`.
    private static func closingQuote(_ chars: [Character], opening: Int, what: String) throws -> Int {
        var close = opening + 1
        while close < chars.count, !isClosingQuote(chars[close]) { close += 1 }
        guard close < chars.count else {
            throw error(opening + 1, "unterminated quote", hint: "close \(what) with \" or remove the quote")
        }
        return close
    }

    private static func isOpeningQuote(_ c: Character) -> Bool { c == "\"" || c == "\u{201C}" }
    private static func isClosingQuote(_ c: Character) -> Bool { c == "\"" || c == "\u{201D}" }

    // MARK: - Modifiers

    /// `(key, value)` when `word` is `key:value` with a known key.
    static func modifier(_ word: String) -> (String, String)? {
        guard let colon = word.firstIndex(of: ":") else { return nil }
        let key = word[..<colon].lowercased()
        guard modifierKeys.contains(key) else { return nil }
        return (key, String(word[word.index(after: colon)...]))
    }

    private static func apply(
        key: String, value: String, column: Int, to q: inout SearchQuery, lo: inout Int64, hi: inout Int64
    ) throws {
        switch key {
        case "from":
            guard let user = userReference(value) else {
                throw error(column, "from: needs a user", hint: "write from:@name or from:U123, without a space after the colon")
            }
            if !q.fromUsers.contains(user) { q.fromUsers.append(user) }
        case "in":
            guard let ref = channelReference(value) else {
                throw error(column, "in: needs a channel or a user",
                            hint: "write in:#channel for a channel, in:workspace/#channel for one of an Enterprise Grid workspace, or in:@name for a direct message, without a space after the colon")
            }
            if !q.channels.contains(ref) { q.channels.append(ref) }
        case "before", "after", "on":
            guard let date = CivilDate(iso: value) else {
                throw error(column, "\(key): needs a date, not \"\(value)\"",
                            hint: "write dates as YYYY-MM-DD (UTC), for example \(key):2024-01-31")
            }
            let day = date.unixSeconds
            switch key {
            case "before": hi = min(hi, day)
            case "after": lo = max(lo, day + 86_400)
            default:
                lo = max(lo, day)
                hi = min(hi, day + 86_400)
            }
        case "during":
            guard let (start, end) = period(value) else {
                throw error(column, "during: needs a year, a month or a day, not \"\(value)\"",
                            hint: "write during:2024, during:2024-03 or during:2024-03-15 (UTC)")
            }
            lo = max(lo, start)
            hi = min(hi, end)
        case "is":
            guard value.lowercased() == "thread" else {
                throw error(column, "is:\(value) is not supported",
                            hint: "the only is: modifier is is:thread")
            }
            q.requiresThread = true
        default:  // "has"
            switch value.lowercased() {
            case "file": q.requiresFile = true
            case "reaction": q.requiresReaction = true
            default:
                throw error(column, "has:\(value) is not supported",
                            hint: "has: takes file or reaction")
            }
        }
    }

    /// `@name`, `name`, `U123`, `<@U123>` or `<@U123|name>` → the bare name or id.
    static func userReference(_ value: String) -> String? {
        var v = Substring(value)
        if v.hasPrefix("<@"), v.hasSuffix(">") {
            v = v.dropFirst(2).dropLast()
            if let bar = v.firstIndex(of: "|") { v = v[..<bar] }
        } else if v.hasPrefix("@") {
            v = v.dropFirst()
        }
        return v.isEmpty ? nil : String(v)
    }

    static func channelReference(_ value: String) -> SearchQuery.ChannelRef? {
        if value.hasPrefix("<@") { return userReference(value).map { .directMessageWith($0) } }
        if value.hasPrefix("@") { return userReference(value).map { .directMessageWith($0) } }
        var v = Substring(value)
        if v.hasPrefix("<#"), v.hasSuffix(">") {
            v = v.dropFirst(2).dropLast()
            if let bar = v.firstIndex(of: "|") { v = v[..<bar] }
        } else if v.hasPrefix("#") {
            v = v.dropFirst()
        } else if let slash = v.firstIndex(of: "/") {
            // Channel names never hold a slash: `workspace/#channel`.
            let workspace = v[..<slash]
            var channel = v[v.index(after: slash)...]
            if channel.hasPrefix("#") { channel = channel.dropFirst() }
            guard !workspace.isEmpty, !channel.isEmpty, !channel.contains("/") else { return nil }
            return .inWorkspace(workspace: String(workspace), channel: String(channel))
        }
        return v.isEmpty ? nil : .channel(String(v))
    }

    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` → `[start, end)` in Unix seconds (UTC).
    static func period(_ value: String) -> (Int64, Int64)? {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return nil }
        switch parts.count {
        case 1:
            guard parts[0].count == 4, let y = Int(parts[0]) else { return nil }
            let start = CivilDate(year: y, month: 1, day: 1)
            return (start.unixSeconds, start.addingMonths(12).unixSeconds)
        case 2:
            guard parts[0].count == 4, parts[1].count == 2, let y = Int(parts[0]), let m = Int(parts[1]),
                  (1...12).contains(m)
            else { return nil }
            let start = CivilDate(year: y, month: m, day: 1)
            return (start.unixSeconds, start.addingMonths(1).unixSeconds)
        case 3:
            guard let day = CivilDate(iso: value) else { return nil }
            return (day.unixSeconds, day.unixSeconds + 86_400)
        default:
            return nil
        }
    }

    static func error(_ column: Int, _ reason: String, hint: String) -> LetheError {
        LetheError(.usage, "query:\(column): \(reason)", hint: hint)
    }
}
