/// What the retention role may read of one conversation (format 6, docs/FORMAT.md §2d): its
/// tag, the facts a policy matches (kind, id, name, archived, DM members), and per bucket the
/// message count and which users wrote on which UTC days. Never a message's text, never a
/// user's name. Legal holds are day-granular, so "who wrote on which day" is exactly what a
/// user-naming hold needs.
///
/// A conversation has one **base** view (seq 0, written by every full-key write of it) and
/// any number of **delta** views (seq > 0, one per role-key import that wrote to it). Read
/// together (`merged`), deltas in seq order: the last conversation facts win, message counts
/// add up, authors unite. A role-key import cannot tell a changed message from a new one, so
/// until the next full-key command folds its deltas in, a changed message counts twice.
struct RetentionView: Equatable, Sendable {
    static let version: UInt8 = 1

    /// What a policy matches on.
    struct Facts: Equatable, Sendable {
        var kind: ConversationKind
        var id: String
        var name: String?
        var isArchived: Bool
        var memberIDs: [String]
        /// Its Enterprise Grid workspaces (format 8; a policy's `workspace:`).
        var workspaces: [String]

        init(_ c: Conversation) {
            kind = c.kind
            id = c.id
            name = c.name
            isArchived = c.isArchived
            memberIDs = c.memberIDs
            workspaces = c.workspaces
        }

        init(kind: ConversationKind, id: String, name: String?, isArchived: Bool, memberIDs: [String], workspaces: [String] = []) {
            self.kind = kind
            self.id = id
            self.name = name
            self.isArchived = isArchived
            self.memberIDs = memberIDs
            self.workspaces = workspaces
        }

        func conversation(cno: Int64) -> Conversation {
            var c = Conversation(id: id, name: name, kind: kind, isArchived: isArchived, memberIDs: memberIDs)
            c.workspaces = workspaces
            c.cno = cno
            return c
        }
    }

    /// One bucket: how many messages, and each author's UTC day numbers (days since 1970-01-01).
    struct Bucket: Equatable, Sendable {
        var messages: Int64 = 0
        var authorDays: [String: Set<Int64>] = [:]

        init() {}

        /// The entry of a bucket holding exactly these messages. The author is `MessageFields.user`
        /// (`user`, else `bot_id`, else `username`), as for search's `from:` and the full-key planner.
        init(_ messages: [Segment.Message]) {
            self.messages = Int64(messages.count)
            for m in messages {
                guard let user = MessageFields(m).user else { continue }
                authorDays[user, default: []].insert(RetentionView.day(of: m.ts.seconds))
            }
        }

        /// The same from the messages' fields, already extracted (`fields[i]` of `messages[i]`).
        init(_ messages: [Segment.Message], fields: [MessageFields]) {
            precondition(messages.count == fields.count)
            self.messages = Int64(messages.count)
            for (m, f) in zip(messages, fields) {
                guard let user = f.user else { continue }
                authorDays[user, default: []].insert(RetentionView.day(of: m.ts.seconds))
            }
        }

        init(messages: Int64, authorDays: [String: Set<Int64>]) {
            self.messages = messages
            self.authorDays = authorDays
        }

        mutating func add(_ other: Bucket) {
            messages += other.messages
            for (u, days) in other.authorDays { authorDays[u, default: []].formUnion(days) }
        }

        /// The (user, seconds) pairs the planner asks for: one per author and day, at 00:00 UTC.
        /// Exact for holds, whose ranges start and end at 00:00 UTC.
        var authors: [(user: String, seconds: Int64)] {
            authorDays.sorted { $0.key < $1.key }.flatMap { u, days in days.sorted().map { (u, $0 * 86_400) } }
        }
    }

    /// `tag(TK, "channel", id)`: what tombstones name the conversation by.
    var tag: [UInt8]
    /// nil in a delta view of a conversation whose metadata the import did not change.
    var facts: Facts?
    var buckets: [Int64: Bucket]

    static func day(of seconds: Int64) -> Int64 { seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400) }

    /// Base, then deltas in seq order.
    static func merged(_ views: [RetentionView]) -> RetentionView? {
        guard var out = views.first else { return nil }
        for v in views.dropFirst() {
            if let f = v.facts { out.facts = f }
            for (b, entry) in v.buckets { out.buckets[b, default: Bucket()].add(entry) }
        }
        return out
    }

    // MARK: - Encoding (docs/FORMAT.md §2d)

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 64 + buckets.count * 16)
        w.u8(Self.version)
        w.data(tag)
        if let f = facts {
            // 2: the facts of a Grid workspace's conversation, its workspaces appended (format 8).
            w.u8(f.workspaces.isEmpty ? 1 : 2)
            w.string(f.kind.rawValue)
            w.string(f.id)
            w.optionalString(f.name)
            w.u8(f.isArchived ? 1 : 0)
            w.varint(UInt64(f.memberIDs.count))
            for m in f.memberIDs { w.string(m) }
            MetadataWorkspaces.write(f.workspaces, to: &w)
        } else {
            w.u8(0)
        }
        let authors = Array(Set(buckets.values.flatMap(\.authorDays.keys))).sorted()
        let index = Dictionary(uniqueKeysWithValues: authors.enumerated().map { ($1, UInt64($0)) })
        w.varint(UInt64(authors.count))
        for a in authors { w.string(a) }
        w.varint(UInt64(buckets.count))
        var previous: Int64 = 0
        for (b, entry) in buckets.sorted(by: { $0.key < $1.key }) {
            w.zigzag(b &- previous)
            previous = b
            w.varint(UInt64(max(entry.messages, 0)))
            let days = Array(Set(entry.authorDays.values.flatMap { $0 })).sorted()
            precondition(days.count <= 64, "a bucket spans at most a month")
            w.varint(UInt64(days.count))
            var prevDay: Int64 = 0
            for d in days {
                w.zigzag(d &- prevDay)
                prevDay = d
            }
            let position = Dictionary(uniqueKeysWithValues: days.enumerated().map { ($1, $0) })
            w.varint(UInt64(entry.authorDays.count))
            for (a, ds) in entry.authorDays.sorted(by: { $0.key < $1.key }) {
                w.varint(index[a]!)
                if days.count > 1 {
                    var mask: UInt64 = 0
                    for d in ds { mask |= 1 << UInt64(position[d]!) }
                    w.varint(mask)
                }
            }
        }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> RetentionView {
        var r = ByteReader(bytes)
        guard try r.u8() == version else { throw ByteReader.Malformed() }
        let tag = try r.data()
        guard tag.count == 32 else { throw ByteReader.Malformed() }
        var facts: Facts? = nil
        switch try r.u8() {
        case 0: break
        case let marker where marker == 1 || marker == 2:
            guard let kind = ConversationKind(rawValue: try r.string()) else { throw ByteReader.Malformed() }
            let id = try r.string(), name = try r.optionalString()
            let archived = try r.u8()
            guard archived <= 1 else { throw ByteReader.Malformed() }
            var members: [String] = []
            for _ in 0..<(try r.count(minBytes: 4)) { members.append(try r.string()) }
            let workspaces = try MetadataWorkspaces.read(version: marker, from: &r)
            facts = Facts(kind: kind, id: id, name: name, isArchived: archived == 1, memberIDs: members, workspaces: workspaces)
        default: throw ByteReader.Malformed()
        }
        var authors: [String] = []
        for _ in 0..<(try r.count(minBytes: 4)) { authors.append(try r.string()) }
        var buckets: [Int64: Bucket] = [:]
        var previous: Int64 = 0
        for _ in 0..<(try r.count(minBytes: 4)) {
            let b = previous &+ (try r.zigzag())
            guard buckets[b] == nil, buckets.isEmpty || b > previous else { throw ByteReader.Malformed() }
            previous = b
            let messages = try r.varint()
            guard messages <= UInt64(Int64.max) else { throw ByteReader.Malformed() }
            let nDays = try r.count()
            guard nDays <= 64 else { throw ByteReader.Malformed() }
            var days: [Int64] = []
            var prevDay: Int64 = 0
            for _ in 0..<nDays {
                prevDay = prevDay &+ (try r.zigzag())
                days.append(prevDay)
            }
            var entry = Bucket(messages: Int64(messages), authorDays: [:])
            for _ in 0..<(try r.count()) {
                let i = try r.varint()
                guard i < UInt64(authors.count), entry.authorDays[authors[Int(i)]] == nil else { throw ByteReader.Malformed() }
                var set = Set<Int64>()
                if days.count > 1 {
                    let mask = try r.varint()
                    guard mask != 0, days.count == 64 || mask >> UInt64(days.count) == 0 else { throw ByteReader.Malformed() }
                    for (p, d) in days.enumerated() where mask & (1 << UInt64(p)) != 0 { set.insert(d) }
                } else if let d = days.first {
                    set.insert(d)
                } else {
                    throw ByteReader.Malformed()  // an author, but no day
                }
                entry.authorDays[authors[Int(i)]] = set
            }
            buckets[b] = entry
        }
        guard r.atEnd else { throw ByteReader.Malformed() }
        return RetentionView(tag: tag, facts: facts, buckets: buckets)
    }
}
