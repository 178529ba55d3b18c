/// A shell-style pattern over Slack channel names (without `#`), matched case-sensitively.
///
/// `*` matches any run of characters (also none), `?` exactly one, `[abc]` one of a set,
/// `[a-z]` a range, `[!abc]` or `[^abc]` anything but the set. A `]` right after `[` (or
/// `[!`) is a member. There are no escapes: Slack names hold only letters, digits, `-`
/// and `_`, so no pattern needs one.
public struct ChannelGlob: Sendable, Hashable, CustomStringConvertible {
    /// Why a pattern was refused.
    public struct SyntaxError: Error, Sendable {
        public var reason: String
        public var hint: String?
    }

    enum Token: Sendable, Hashable {
        case literal(Character)
        case any       // ?
        case star      // *
        case set([ClassItem], negated: Bool)
    }

    enum ClassItem: Sendable, Hashable {
        case single(Character)
        case range(Character, Character)
    }

    /// The pattern as written.
    public let pattern: String
    let tokens: [Token]

    public var description: String { pattern }

    public init(_ pattern: String) throws {
        guard !pattern.isEmpty else { throw SyntaxError(reason: "empty channel glob") }
        if pattern.hasPrefix("#") {
            throw SyntaxError(reason: "channel glob \"\(pattern)\" starts with #",
                              hint: "write channel names without # (\"general\", not \"#general\")")
        }
        let chars = Array(pattern)
        var tokens: [Token] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "*":
                if tokens.last != .star { tokens.append(.star) }
                i += 1
            case "?":
                tokens.append(.any)
                i += 1
            case "[":
                var j = i + 1
                var negated = false
                if j < chars.count, chars[j] == "!" || chars[j] == "^" {
                    negated = true
                    j += 1
                }
                var items: [ClassItem] = []
                var first = true
                var closed = false
                while j < chars.count {
                    let m = chars[j]
                    if m == "]" && !first {
                        closed = true
                        break
                    }
                    first = false
                    if j + 2 < chars.count, chars[j + 1] == "-", chars[j + 2] != "]" {
                        let hi = chars[j + 2]
                        guard m <= hi else {
                            throw SyntaxError(reason: "bad range \(m)-\(hi) in channel glob \"\(pattern)\"")
                        }
                        items.append(.range(m, hi))
                        j += 3
                    } else {
                        items.append(.single(m))
                        j += 1
                    }
                }
                guard closed else {
                    throw SyntaxError(reason: "unterminated [ in channel glob \"\(pattern)\"")
                }
                tokens.append(.set(items, negated: negated))
                i = j + 1
            default:
                tokens.append(.literal(c))
                i += 1
            }
        }
        self.pattern = pattern
        self.tokens = tokens
    }

    /// True when the whole `name` matches the pattern.
    public func matches(_ name: String) -> Bool {
        let s = Array(name)
        // Iterative matcher with one backtrack point for the last `*`: linear in practice,
        // never exponential.
        var p = 0
        var i = 0
        var starP = -1
        var starI = 0
        while i < s.count {
            if p < tokens.count, tokens[p] != .star, ChannelGlob.matchOne(tokens[p], s[i]) {
                p += 1
                i += 1
            } else if p < tokens.count, tokens[p] == .star {
                starP = p
                starI = i
                p += 1
            } else if starP >= 0 {
                starI += 1
                i = starI
                p = starP + 1
            } else {
                return false
            }
        }
        while p < tokens.count, tokens[p] == .star { p += 1 }
        return p == tokens.count
    }

    private static func matchOne(_ token: Token, _ c: Character) -> Bool {
        switch token {
        case .literal(let l): return l == c
        case .any: return true
        case .star: return false
        case .set(let items, let negated):
            let hit = items.contains { item in
                switch item {
                case .single(let m): return m == c
                case .range(let lo, let hi): return lo <= c && c <= hi
                }
            }
            return hit != negated
        }
    }
}
