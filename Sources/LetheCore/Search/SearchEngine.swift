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
    private let zstd = Zstd()
    /// The users known so far: all of them once a query names people (`from:`, `in:@`),
    /// otherwise only those the returned hits show (decrypting a large directory costs
    /// more than a common-word search).
    public private(set) var users = UserDirectory.empty
    private var allUsersLoaded = false
    private var channels: [Int64: ChannelInfo] = [:]

    public init(archive: Archive) throws {
        self.archive = archive
        // Search reads thousands of small blobs: map the file instead of copying pages.
        // (Only here: mapped pages count as resident, and a bulk import measured twice as slow with it.)
        try archive.data.db.execute("PRAGMA mmap_size=1073741824")
        for (cno, _, _) in try archive.keystore.channels() {
            let record: ChannelRecord?
            do { record = try archive.channelRecord(cno: cno, zstd: zstd) } catch let e as LetheError where e.kind == .integrity {
                archive.noteDamage(channel: "#\(cno)", bucket: nil, e)  // its conversation is not searched; named at the end
                continue
            }
            guard let c = record?.conversation else { continue }
            var members: [String] = []
            if let meta = try? JSONValue.parse(c.rawJSON) {
                members = meta["members"]?.arrayValue?.compactMap(\.stringValue) ?? []
                if let u = meta["user"]?.stringValue { members.append(u) }
            }
            channels[cno] = ChannelInfo(id: c.id, name: c.name, kind: c.kind, memberIDs: members)
        }
    }

    /// Decrypts every user record (once).
    public func loadAllUsers() throws {
        guard !allUsersLoaded else { return }
        users = UserDirectory(exportUsers: try archive.users(zstd: zstd))
        allUsersLoaded = true
    }

    /// Decrypts just these users (found by their keyed tags), for showing hits.
    private func loadUsers(_ ids: Set<String>) throws {
        guard !allUsersLoaded else { return }
        for id in ids where users.user(id: id) == nil {
            guard let (uno, body) = try archive.data.user(tag: archive.userTag(id)) else { continue }
            let plain = try archive.openRecord(body, ad: archive.userRecordAD(uno), key: archive.directoryKey, zstd: zstd, what: "user record #\(uno)")
            guard let u = try? UserRecord.decode(plain).user else { continue }
            users.add(.init(id: u.id, name: u.name, displayName: u.displayName))
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

    public func search(_ query: SearchQuery, options: SearchOptions = SearchOptions()) throws -> (hits: [SearchHit], stats: SearchStats) {
        let started = Date()
        var stats = SearchStats()
        let namesPeople = !query.fromUsers.isEmpty || query.channels.contains {
            if case .directMessageWith = $0 { return true } else { return false }
        }
        if namesPeople { try loadAllUsers() }
        let scheme = archive.scheme
        let wanted = channels.filter { query.wantsChannel($0.value, users: users) }
        let groups = query.requiredIndexTerms(users: users)
        let lo = query.timeRange.lowerBound == Int64.min ? Int64.min / 2 : scheme.bucket(containing: query.timeRange.lowerBound)
        let hi = query.timeRange.upperBound == Int64.max ? Int64.max / 2 : scheme.bucket(containing: query.timeRange.upperBound - 1)

        // Epochs newest first, from the filters table (one row per conversation and epoch
        // that holds messages): no pass over every bucket of the archive.
        // Hits are kept as found (cheap) and rendered only for the `limit` that are returned.
        struct Found {
            var channel: ChannelInfo
            var fields: MessageFields
            var score: Int
            var bucketMessages: [Segment.Message]
            var index: Int
        }
        var found: [Found] = []
        let matcher = Matcher()
        let relevance = options.sort == .relevance
        let loEpoch = IndexFilter.epoch(of: lo), hiEpoch = IndexFilter.epoch(of: hi)
        epochs: for epoch in try archive.data.filterEpochs(from: loEpoch, to: hiEpoch) {
            let range = IndexFilter.buckets(of: epoch)
            var entries: [(cno: Int64, bucket: Int64)] = []
            for (cno, body) in try archive.data.filters(epoch: epoch) where wanted[cno] != nil {
                if !groups.isEmpty {
                    stats.filtersChecked += 1
                    do {
                        guard try archive.openFilter(body, cno: cno, epoch: epoch).bloom.mayMatch(groups) else { continue }
                    } catch let e as LetheError where e.kind == .integrity {
                        // A damaged filter prunes nothing: every bucket of the epoch is searched.
                        archive.noteDamage(channel: wanted[cno]?.id ?? "#\(cno)", bucket: nil, e)
                    }
                }
                for (bucket, _) in try archive.data.buckets(cno: cno, from: max(lo, range.lowerBound), to: min(hi, range.upperBound)) {
                    entries.append((cno, bucket))
                }
            }
            let candidates = entries.sorted { ($0.bucket, $0.cno) > ($1.bucket, $1.cno) }
            var i = 0
            while i < candidates.count {
                let bucket = candidates[i].bucket
                // Newest first: messages that pass the cheap term check wait here, and the
                // matcher verifies them newest first only until `limit` are certain.
                var unverified: [Found] = []
                while i < candidates.count && candidates[i].bucket == bucket {
                    let cno = candidates[i].cno
                    i += 1
                    guard let channel = wanted[cno], let row = try archive.data.segment(cno: cno, bucket: bucket) else { continue }
                    let messages: [Segment.Message]
                    do {
                        guard let key = try archive.readableBucketKey(cno: cno, bucket: bucket, channel: channel.id) else { continue }
                        messages = try archive.openSegment(row, key: key, zstd: zstd, channelName: channel.id).messages
                    } catch let e as LetheError where e.kind == .integrity {
                        archive.noteDamage(channel: channel.id, bucket: bucket, e)  // searched around, named at the end
                        continue
                    }
                    stats.bucketsDecrypted += 1
                    stats.messagesScanned += messages.count
                    for (index, m) in messages.enumerated() {
                        let fields = MessageFields(m)
                        guard IndexTerms.mayMatch(fields, groups: groups) else { continue }
                        if relevance {
                            guard let match = matcher.matches(query, fields, channel: channel, users: users, highlights: true) else { continue }
                            found.append(Found(channel: channel, fields: fields, score: match.highlights.count, bucketMessages: messages, index: index))
                        } else {
                            unverified.append(Found(channel: channel, fields: fields, score: 0, bucketMessages: messages, index: index))
                        }
                    }
                }
                // Buckets are disjoint in time: every message of this bucket level is newer than
                // any older level's, so once `limit` are verified here, the search is done.
                unverified.sort { $0.fields.ts > $1.fields.ts }
                for f in unverified where matcher.matches(query, f.fields, channel: f.channel, users: users, highlights: false) != nil {
                    found.append(f)
                    if found.count >= options.limit { break epochs }
                }
            }
        }
        switch options.sort {
        case .newest: found.sort { $0.fields.ts > $1.fields.ts }
        case .relevance: found.sort { ($0.score, $0.fields.ts) > ($1.score, $1.fields.ts) }
        }
        var hits: [SearchHit] = []
        let kept = found.prefix(options.limit)
        var needed = Set<String>()
        for f in kept {
            Self.userIDs(in: f.fields, into: &needed)
            if f.channel.kind == .dm { needed.formUnion(f.channel.memberIDs) }
            if options.context > 0 {
                let ms = f.bucketMessages
                for m in ms[max(0, f.index - options.context)..<min(ms.count, f.index + 1 + options.context)] { Self.userIDs(in: MessageFields(m), into: &needed) }
            }
        }
        try loadUsers(needed)
        for f in kept {
            var hit = makeHit(f.channel, f.fields, query)
            hit.score = f.score
            if options.context > 0 {
                let ms = f.bucketMessages
                hit.before = ms[max(0, f.index - options.context)..<f.index].map { line(MessageFields($0)) }
                hit.after = ms[(f.index + 1)..<min(ms.count, f.index + 1 + options.context)].map { line(MessageFields($0)) }
            }
            hits.append(hit)
        }
        stats.milliseconds = Date().timeIntervalSince(started) * 1000
        return (hits, stats)
    }

    private func line(_ f: MessageFields) -> SearchHit.Line {
        let name = f.user.flatMap { users.user(id: $0) }.map { $0.displayName ?? $0.name ?? $0.id } ?? f.user
        return SearchHit.Line(ts: f.ts, userID: f.user, user: name, text: render(f.text), threadTS: f.threadTS)
    }

    private func render(_ text: String) -> String {
        SlackMarkup.render(text, users: users) { [channels] id in channels.values.first { $0.id == id }?.name }
    }

    private func makeHit(_ channel: ChannelInfo, _ f: MessageFields, _ query: SearchQuery) -> SearchHit {
        let l = line(f)
        // Highlights are found again on the rendered text (names resolved), with the query's words.
        return SearchHit(channelID: channel.id, channel: label(channel), kind: channel.kind, message: l,
                         highlights: Highlighter.ranges(of: query.required, in: l.text))
    }

    /// How a conversation is shown: `#general`, `@alice` (a DM), `mpdm-…` (a group DM).
    public func label(_ c: ChannelInfo) -> String {
        switch c.kind {
        case .publicChannel, .privateChannel: return "#" + (c.name ?? c.id)
        case .groupDM: return c.name ?? c.id
        case .dm:
            let names = c.memberIDs.compactMap { users.user(id: $0) }.map { "@" + ($0.name ?? $0.id) }
            return names.isEmpty ? c.id : names.joined(separator: ", ")
        }
    }
}
