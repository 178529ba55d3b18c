/// A parsed search query: what a message must contain, must not contain, and the
/// modifiers it must satisfy. Built by `QueryParser.parse(_:)`.
///
/// Every criterion must hold (AND), except that several `from:` values are
/// alternatives among themselves (OR), and so are several `in:` values.
public struct SearchQuery: Sendable, Equatable {
    /// A word, a prefix word (`deplo*`) or a phrase (`"exact phrase"`), as a run of
    /// consecutive folded terms. A bare word that folds to several terms
    /// (`e-mail`, `東京`, `foo:bar`) is a phrase of those terms.
    public struct TermPattern: Sendable, Equatable, CustomStringConvertible {
        /// Folded terms, at least one.
        public var terms: [String]
        /// The last term matches any term that starts with it.
        public var isPrefix: Bool
        /// As typed, for messages and display.
        public var source: String

        public init(terms: [String], isPrefix: Bool = false, source: String) {
            self.terms = terms
            self.isPrefix = isPrefix
            self.source = source
        }

        public var description: String { source }

        /// Whether the pattern occurs in `terms` (a message's folded terms).
        public func occurs(in messageTerms: [String]) -> Bool {
            firstOccurrence(in: messageTerms, from: 0) != nil
        }

        /// The first index ≥ `start` where the pattern begins in `messageTerms`.
        func firstOccurrence(in messageTerms: [String], from start: Int) -> Int? {
            let n = terms.count
            guard n > 0, messageTerms.count >= n, start <= messageTerms.count - n else { return nil }
            let last = n - 1
            outer: for i in start...(messageTerms.count - n) {
                for j in 0..<n {
                    let candidate = messageTerms[i + j]
                    let ok = (j == last && isPrefix) ? candidate.hasPrefix(terms[j]) : candidate == terms[j]
                    if !ok { continue outer }
                }
                return i
            }
            return nil
        }
    }

    /// An `in:` value, unresolved.
    public enum ChannelRef: Sendable, Equatable {
        /// `in:#name`, `in:name`, `in:C123` or `in:<#C123|name>`: a conversation by name or id.
        case channel(String)
        /// `in:@name`, `in:U123` or `in:<@U123>`: the 1:1 DM with that user.
        case directMessageWith(String)
        /// `in:acme-eng/#general` or `in:acme-eng/general`: a conversation by name or id, of that
        /// Enterprise Grid workspace (a channel shared with others included).
        case inWorkspace(workspace: String, channel: String)
    }

    /// Words, prefixes and phrases that must all occur.
    public var required: [TermPattern] = []
    /// Words, prefixes and phrases none of which may occur (`-word`, `-"phrase"`).
    public var excluded: [TermPattern] = []
    /// `from:` values (user id, handle or display name, without `@`): any of them.
    public var fromUsers: [String] = []
    /// `in:` values: any of them.
    public var channels: [ChannelRef] = []
    /// Message time, Unix seconds, half-open `[lo, hi)` in UTC; everything when
    /// no date modifier was given. Empty when date modifiers contradict each other.
    public var timeRange: Range<Int64> = SearchQuery.allTime
    /// `is:thread`.
    public var requiresThread = false
    /// `has:file`.
    public var requiresFile = false
    /// `has:reaction`.
    public var requiresReaction = false
    /// Words that hold nothing searchable (only punctuation, like `--` or `!!!`): ignored.
    public var ignoredWords: [String] = []

    /// The unrestricted time range.
    public static let allTime: Range<Int64> = Int64.min..<Int64.max

    public init() {}

    /// Whether the query has any criterion at all.
    public var isEmpty: Bool {
        required.isEmpty && excluded.isEmpty && fromUsers.isEmpty && channels.isEmpty
            && timeRange == SearchQuery.allTime && !requiresThread && !requiresFile && !requiresReaction
    }

    // MARK: - For the engine

    /// Whether messages of `channel` can match (the `in:` criterion). The engine
    /// calls it once per conversation to skip the others entirely.
    /// - `.channel(v)`: the conversation's id or name folds equal to `v`, any kind.
    /// - `.directMessageWith(v)`: a 1:1 DM (not a group DM) one of whose members is
    ///   `v` as an id, or a user whose handle or display name is `v`.
    public func wantsChannel(_ channel: Conversation, users: UserDirectory) -> Bool {
        if channels.isEmpty { return true }
        let foldedID = TextFolding.fold(channel.id)
        let foldedName = channel.name.map(TextFolding.fold)
        for ref in channels {
            switch ref {
            case .channel(let value):
                let v = TextFolding.fold(value)
                if v == foldedID || v == foldedName { return true }
            case .inWorkspace(let workspace, let value):
                let v = TextFolding.fold(value), w = TextFolding.fold(workspace)
                if (v == foldedID || v == foldedName) && channel.workspaces.contains(where: { TextFolding.fold($0) == w }) { return true }
            case .directMessageWith(let value):
                guard channel.kind == .dm else { continue }
                let keys = users.foldedUserKeys(for: value)
                if channel.memberIDs.contains(where: { keys.contains(TextFolding.fold($0)) }) { return true }
            }
        }
        return false
    }

    /// Whether a message's time is in `timeRange`. Bounds are whole seconds, so
    /// comparing the whole seconds of `ts` is exact.
    public func wantsTime(_ ts: SlackTimestamp) -> Bool {
        timeRange.contains(ts.seconds)
    }

    /// Whether a message's author satisfies `from:`: its `user` folds equal to a
    /// value, or is the id of a user whose handle or display name is a value.
    public func wantsAuthor(_ user: String?, users: UserDirectory) -> Bool {
        if fromUsers.isEmpty { return true }
        guard let user, !user.isEmpty else { return false }
        return authorKeys(users: users).contains(TextFolding.fold(user))
    }

    /// Folded user strings accepted by `from:` (empty when there is no `from:`).
    func authorKeys(users: UserDirectory) -> Set<String> {
        var keys: Set<String> = []
        for value in fromUsers { keys.formUnion(users.foldedUserKeys(for: value)) }
        return keys
    }

    /// The required patterns of several terms (phrases, and words like `e-mail` that fold to
    /// several): the engine's per-message pre-check looks for them as runs (`IndexTerms.mayMatch`).
    public var requiredPhrases: [TermPattern] { required.filter { $0.terms.count > 1 } }

    /// What the engine looks up in a Bloom filter before decrypting: groups of
    /// alternatives, every group needing one hit (an AND of ORs). A filter that
    /// misses every term of some group cannot hold a match.
    ///
    /// Holds: the terms of required words and phrases (not the last, partial term
    /// of a prefix); one group of `from:<id>` pseudo-terms for all `from:` values,
    /// resolved with `users` exactly as the matcher resolves them; `is:thread`,
    /// `has:file`, `has:reaction`. Excluded words, `in:` (filters are per
    /// channel already) and dates (buckets are by time) add nothing.
    public func requiredIndexTerms(users: UserDirectory) -> [[String]] {
        var groups: [[String]] = []
        var seen: Set<String> = []
        for pattern in required {
            let definite = pattern.isPrefix ? pattern.terms.dropLast() : pattern.terms[...]
            for term in definite where seen.insert(term).inserted {
                groups.append([term])
            }
        }
        if !fromUsers.isEmpty {
            groups.append(authorKeys(users: users).map { PseudoTerm.from($0) }.sorted())
        }
        if requiresThread { groups.append([PseudoTerm.isThread]) }
        if requiresFile { groups.append([PseudoTerm.hasFile]) }
        if requiresReaction { groups.append([PseudoTerm.hasReaction]) }
        return groups
    }
}
