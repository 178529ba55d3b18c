/// A message that satisfies a query, with what to highlight.
public struct Match: Sendable, Equatable {
    /// The message's searchable text (`MessageFields.searchableText`).
    public var text: String
    /// Where the query's required words and phrases occur in `text`, sorted and merged.
    public var highlights: [Range<String.Index>]
}

/// Decides, on a decrypted message, whether it satisfies a query. This is the
/// truth; the Bloom filters only prune.
///
/// A message matches when all of these hold:
/// - its time is in `timeRange`; its conversation passes `wantsChannel`;
/// - `is:thread` → it has a `thread_ts`; `has:file` → `hasFiles`; `has:reaction` → `hasReactions`;
/// - `from:` → `wantsAuthor` (id, handle or display name, folded);
/// - every required word/prefix/phrase occurs among the folded terms of its
///   searchable text, and no excluded one does.
public struct Matcher: Sendable {
    public init() {}

    /// `highlights: false` skips finding the highlight ranges (the engine finds them again
    /// on the rendered text of the hits it keeps).
    public func matches(_ q: SearchQuery, _ m: MessageFields, channel: Conversation, users: UserDirectory, highlights: Bool = true) -> Match? {
        guard q.wantsTime(m.ts),
              !q.requiresThread || m.isInThread,
              !q.requiresFile || m.hasFiles,
              !q.requiresReaction || m.hasReactions,
              q.wantsChannel(channel, users: users),
              q.wantsAuthor(m.user, users: users)
        else { return nil }
        let text = m.matchedText
        if !q.required.isEmpty || !q.excluded.isEmpty {
            let terms = Tokenizer.terms(TextFolding.fold(text))
            for pattern in q.required where !pattern.occurs(in: terms) { return nil }
            for pattern in q.excluded where pattern.occurs(in: terms) { return nil }
        }
        return Match(text: text, highlights: highlights ? Highlighter.ranges(of: q.required, in: text) : [])
    }
}
