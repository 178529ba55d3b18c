import Foundation

public enum SearchSort: String, Sendable, CaseIterable {
    case newest, relevance
}

public struct SearchOptions: Sendable {
    public var limit = 50
    public var sort = SearchSort.newest
    /// Messages shown before and after each hit, from the same conversation.
    public var context = 0

    public init(limit: Int = 50, sort: SearchSort = .newest, context: Int = 0) {
        self.limit = limit
        self.sort = sort
        self.context = context
    }
}

/// One message found, ready to print.
public struct SearchHit: Sendable {
    public struct Line: Sendable {
        public var ts: SlackTimestamp
        public var userID: String?
        public var user: String?
        /// Slack markup rendered readably (mentions, channel links, URLs, entities).
        public var text: String
        public var threadTS: String?
        /// For an item (a canvas, a list …; format 9), the file it came from.
        public var item: String? = nil
    }

    public var channelID: String
    /// `#name` for channels, `@name` for a DM with that user, the name of a group DM.
    public var channel: String
    public var kind: ConversationKind
    public var message: Line
    /// Where the query's words occur in `message.text`.
    public var highlights: [Range<String.Index>]
    public var before: [Line] = []
    public var after: [Line] = []
    var score = 0
}

/// What a search did, for `--json` consumers and the benchmark.
public struct SearchStats: Codable, Sendable {
    public var filtersChecked = 0
    public var bucketsDecrypted = 0
    public var messagesScanned = 0
    public var milliseconds = 0.0
}

/// Runs a query over an unlocked archive: filters prune (conversation, epoch) pairs,
/// candidate buckets are decrypted newest first, every hit is verified on the
/// plaintext by `Matcher`, and the scan stops once `limit` hits are certain to be
/// the newest ones.
public final class SearchEngine {
    let archive: Archive
    /// The users known so far: all of them once a query names people (`from:`, `in:@`),
    /// otherwise only those the returned hits show (decrypting a large directory costs
    /// more than a common-word search).
    public private(set) var users = UserDirectory.empty
    private var allUsersLoaded = false
    private var channels: [Int64: Conversation] = [:]
    private let matcher = Matcher()

    public init(archive: Archive) throws {
        self.archive = archive
        try archive.mapDataFileForReading()
        // A conversation whose key or record does not open is not searched; conversations() names it at the end.
        for c in try archive.conversations() { if let cno = c.cno { channels[cno] = c } }
    }

    /// Decrypts every user record (once).
    public func loadAllUsers() throws {
        guard !allUsersLoaded else { return }
        users = try archive.userDirectory()
        allUsersLoaded = true
    }

    /// Decrypts just these users (found by their keyed tags), for showing hits.
    private func loadUsers(_ ids: Set<String>) throws {
        guard !allUsersLoaded else { return }
        for id in ids where users.user(id: id) == nil {
            if let u = try archive.user(slackID: id) { users.add(u) }
        }
    }

    /// User ids a message shows: its author and `<@U…>` mentions.
    static func userIDs(in f: MessageFields, into ids: inout Set<String>) {
        if let u = f.user { ids.insert(u) }
        var rest = Substring(f.text)
        while let r = rest.range(of: "<@") {
            let after = rest[r.upperBound...]
            let end = after.firstIndex { $0 == ">" || $0 == "|" } ?? after.endIndex
            if end > after.startIndex { ids.insert(String(after[..<end])) }
            rest = after[end...]
        }
    }

    /// A message that matched, kept cheaply (rendered only if it is returned).
    private struct Found {
        var channel: Conversation
        var fields: MessageFields
        var score: Int
        var bucketMessages: [Segment.Message]
        var index: Int
    }

    public func search(_ query: SearchQuery, options: SearchOptions = SearchOptions()) throws -> (hits: [SearchHit], stats: SearchStats) {
        let started = Date()
        var stats = SearchStats()
        let namesPeople = !query.fromUsers.isEmpty || query.channels.contains {
            if case .directMessageWith = $0 { return true } else { return false }
        }
        if namesPeople { try loadAllUsers() }
        let wanted = channels.filter { query.wantsChannel($0.value, users: users) }
        let groups = query.requiredIndexTerms(users: users)
        let scheme = archive.scheme
        let lo = query.timeRange.lowerBound == Int64.min ? Int64.min / 2 : scheme.bucket(containing: query.timeRange.lowerBound)
        let hi = query.timeRange.upperBound == Int64.max ? Int64.max / 2 : scheme.bucket(containing: query.timeRange.upperBound - 1)

        // Epochs newest first, from the filters table (one row per conversation and epoch
        // that holds messages): no pass over every bucket of the archive.
        var found: [Found] = []
        epochs: for epoch in try archive.filterEpochs(from: IndexFilter.epoch(of: lo), to: IndexFilter.epoch(of: hi)) {
            let candidates = try self.candidates(epoch: epoch, wanted: wanted, groups: groups, lo: lo, hi: hi, stats: &stats)
            var i = 0
            while i < candidates.count {
                // One bucket level (one day across the candidate conversations), newest first.
                let bucket = candidates[i].bucket
                var level: [BucketRef] = []
                while i < candidates.count && candidates[i].bucket == bucket {
                    level.append(candidates[i])
                    i += 1
                }
                // Buckets are disjoint in time: every message of this level is newer than any
                // older level's, so once `limit` are verified here, the search is done.
                if try search(level: level, query, groups: groups, options: options, wanted: wanted, into: &found, stats: &stats) { break epochs }
            }
        }
        switch options.sort {
        case .newest: found.sort { $0.fields.ts > $1.fields.ts }
        case .relevance: found.sort { ($0.score, $0.fields.ts) > ($1.score, $1.fields.ts) }
        }
        let hits = try makeHits(Array(found.prefix(options.limit)), query, context: options.context)
        stats.milliseconds = Date().timeIntervalSince(started) * 1000
        return (hits, stats)
    }

    /// The buckets of one epoch that may hold a match, newest first: those of the wanted
    /// conversations whose filter may match every required term group. A damaged filter
    /// prunes nothing (every bucket of its epoch is searched; it is named at the end).
    private func candidates(epoch: Int64, wanted: [Int64: Conversation], groups: [[String]], lo: Int64, hi: Int64,
                            stats: inout SearchStats) throws -> [BucketRef] {
        let range = IndexFilter.buckets(of: epoch)
        var out: [BucketRef] = []
        for (cno, body) in try archive.filters(epoch: epoch) where wanted[cno] != nil {
            if !groups.isEmpty {
                stats.filtersChecked += 1
                do {
                    guard try archive.openFilter(body, FilterRef(cno: cno, epoch: epoch)).bloom.mayMatch(groups) else { continue }
                } catch let e as LetheError where e.kind == .integrity {
                    archive.noteDamage(channel: wanted[cno]?.id ?? archive.slackID(cno: cno), bucket: nil, e)
                }
            }
            out += try archive.buckets(cno: cno, from: max(lo, range.lowerBound), to: min(hi, range.upperBound))
        }
        return out.sorted { ($0.bucket, $0.cno) > ($1.bucket, $1.cno) }
    }

    /// Searches one bucket level. In newest-first order the messages that pass the cheap term
    /// check wait, and the matcher verifies them newest first only until `limit` are certain.
    /// True when the search is done.
    private func search(level: [BucketRef], _ query: SearchQuery, groups: [[String]], options: SearchOptions,
                        wanted: [Int64: Conversation], into found: inout [Found], stats: inout SearchStats) throws -> Bool {
        let relevance = options.sort == .relevance
        let phrases = query.requiredPhrases
        var unverified: [Found] = []
        for ref in level {
            guard let channel = wanted[ref.cno] else { continue }
            let messages: [Segment.Message]
            do {
                guard let segment = try archive.segment(ref) else { continue }
                messages = segment.messages
            } catch let e as LetheError where e.kind == .integrity {
                archive.noteDamage(channel: channel.id, bucket: ref.bucket, e)  // searched around, named at the end
                continue
            }
            stats.bucketsDecrypted += 1
            stats.messagesScanned += messages.count
            for (index, fields) in archive.searchFields(messages, of: ref).enumerated() {
                guard IndexTerms.mayMatch(fields, groups: groups, phrases: phrases) else { continue }
                if relevance {
                    guard let match = matcher.matches(query, fields, channel: channel, users: users, highlights: true) else { continue }
                    found.append(Found(channel: channel, fields: fields, score: match.highlights.count, bucketMessages: messages, index: index))
                } else {
                    unverified.append(Found(channel: channel, fields: fields, score: 0, bucketMessages: messages, index: index))
                }
            }
        }
        unverified.sort { $0.fields.ts > $1.fields.ts }
        for f in unverified where matcher.matches(query, f.fields, channel: f.channel, users: users, highlights: false) != nil {
            found.append(f)
            if found.count >= options.limit { return true }
        }
        return false
    }

    /// Renders the returned matches, with `context` messages around each, loading the users they show.
    private func makeHits(_ kept: [Found], _ query: SearchQuery, context: Int) throws -> [SearchHit] {
        func around(_ f: Found) -> (before: ArraySlice<Segment.Message>, after: ArraySlice<Segment.Message>) {
            let ms = f.bucketMessages
            return (ms[max(0, f.index - context)..<f.index], ms[(f.index + 1)..<min(ms.count, f.index + 1 + context)])
        }
        var needed = Set<String>()
        for f in kept {
            Self.userIDs(in: f.fields, into: &needed)
            if f.channel.kind == .dm { needed.formUnion(f.channel.memberIDs) }
            if context > 0 {
                let (before, after) = around(f)
                for m in before + after { Self.userIDs(in: MessageFields(m), into: &needed) }
            }
        }
        try loadUsers(needed)
        return kept.map { f in
            var hit = makeHit(f.channel, f.fields, query)
            hit.score = f.score
            if context > 0 {
                let (before, after) = around(f)
                hit.before = before.map { line(MessageFields($0)) }
                hit.after = after.map { line(MessageFields($0)) }
            }
            return hit
        }
    }

    private func line(_ f: MessageFields) -> SearchHit.Line {
        let name = f.user.flatMap { users.user(id: $0) }.map { $0.displayName ?? $0.name ?? $0.id } ?? f.user
        return SearchHit.Line(ts: f.ts, userID: f.user, user: name, text: render(f.text), threadTS: f.threadTS, item: f.itemFile)
    }

    private func render(_ text: String) -> String {
        SlackMarkup.render(text, users: users) { [channels] id in channels.values.first { $0.id == id }?.name }
    }

    private func makeHit(_ channel: Conversation, _ f: MessageFields, _ query: SearchQuery) -> SearchHit {
        let l = line(f)
        // Highlights are found again on the rendered text (names resolved), with the query's words.
        return SearchHit(channelID: channel.id, channel: label(channel), kind: channel.kind, message: l,
                         highlights: Highlighter.ranges(of: query.required, in: l.text))
    }

    /// How a conversation is shown (`Conversation.label`), with the users known so far.
    public func label(_ c: Conversation) -> String { c.label(users: users) }
}
