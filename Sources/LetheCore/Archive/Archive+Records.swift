import Foundation

/// What the jobs read and write: conversations, users, segments. The jobs (import,
/// retention, search, export, verify, stats) see these and nothing of the two files.
extension Archive {
    // MARK: - Conversations

    /// Every conversation of the archive, in conversation-number order: the one listing
    /// every command uses. A conversation whose key or record does not open is left out
    /// and noted in `damaged` (the command names it at the end).
    public func conversations() throws -> [Conversation] {
        var out: [Conversation] = []
        for row in try keystore.channels() {
            do {
                if let c = try conversation(cno: row.cno) { out.append(c) }
            } catch let e as LetheError where e.kind == .integrity {
                noteDamage(channel: slackID(cno: row.cno), bucket: nil, e)
            }
        }
        return out
    }

    /// Decrypts the metadata of conversation `cno`; nil when it has none yet.
    func conversation(cno: Int64) throws -> Conversation? {
        guard let body = try data.channelRecord(cno: cno) else { return nil }
        let what = "channel \(slackID(cno: cno)) metadata"
        let plain = try openRecord(body, ad: channelRecordAD(cno), key: try channelKey(cno: cno), what: what)
        guard var c = try? ChannelRecord.decode(plain) else { throw LetheError(.integrity, "\(what): authenticated but malformed") }
        c.cno = cno
        slackIDs[cno] = c.id
        return c
    }

    /// Whether the keystore's tag of `cno` is the tag of the Slack id its record holds.
    func tagMatches(_ c: Conversation) throws -> Bool {
        guard let cno = c.cno, let row = try keystore.channelKey(cno: cno) else { return false }
        return Sodium.equal(channelTag(c.id), row.tag)
    }

    /// The number of the conversation with this Slack id, if the archive has it.
    func conversationNumber(slackID: String) throws -> Int64? { try keystore.channel(tag: channelTag(slackID))?.cno }

    /// Stores a conversation's metadata (making its number and key on first sight); returns
    /// its number and whether it is new. The record is rewritten only when it changed.
    func store(_ conversation: Conversation) throws -> (cno: Int64, created: Bool) {
        let made = try ensureChannel(slackID: conversation.id)
        let record = ChannelRecord.encode(conversation)
        let key = try channelKey(cno: made.cno)
        let existing = try data.channelRecord(cno: made.cno).map {
            try openRecord($0, ad: channelRecordAD(made.cno), key: key, what: "channel \(conversation.id) metadata")
        }
        if existing != record {
            try data.putChannelRecord(cno: made.cno, record: sealRecord(record, ad: channelRecordAD(made.cno), key: key))
            noteView(conversation, cno: made.cno)
        }
        try noteRecordDigest(kind: 1, cno: made.cno, record)
        return made
    }

    /// What retention shredded of the conversation with this Slack id (tombstones are
    /// authenticated at open by the manifest's digest).
    func shredded(slackID: String) throws -> (buckets: Set<Int64>, wholeConversation: Bool) {
        try keystore.tombstones(tag: channelTag(slackID))
    }

    // MARK: - Users

    /// Decrypts every user record, in user-number order.
    public func users() throws -> [User] {
        try data.users().map { uno, body in
            let plain = try openRecord(body, ad: userRecordAD(uno), key: directoryKey, what: "user record \(uno)")
            guard let u = try? UserRecord.decode(plain) else { throw LetheError(.integrity, "user record \(uno): authenticated but malformed") }
            return u
        }
    }

    public func userDirectory() throws -> UserDirectory { UserDirectory(try users()) }

    /// The users that `Conversation.label` shows for these conversations (the members of DMs),
    /// each found by its tag: labels without decrypting the whole directory.
    func labelDirectory(for conversations: [Conversation]) throws -> UserDirectory {
        var dir = UserDirectory.empty
        for id in Set(conversations.filter { $0.kind == .dm }.flatMap(\.memberIDs)) {
            if let u = try user(slackID: id) { dir.add(u) }
        }
        return dir
    }

    /// One user, found by the keyed tag of its Slack id; nil when the archive does not know it.
    func user(slackID: String) throws -> User? {
        guard let (uno, body) = try data.user(tag: userTag(slackID)) else { return nil }
        let plain = try openRecord(body, ad: userRecordAD(uno), key: directoryKey, what: "user record \(uno)")
        return try? UserRecord.decode(plain)
    }

    public enum UserChange { case added, updated, unchanged }

    /// Stores a user, found again by its keyed tag.
    func store(_ user: User) throws -> UserChange {
        let tag = userTag(user.id)
        let plain = UserRecord.encode(user)
        try noteRecordDigest(kind: 2, cno: 0, plain)
        if let existing = try data.user(tag: tag) {
            let old = try openRecord(existing.record, ad: userRecordAD(existing.uno), key: directoryKey, what: "user record \(existing.uno)")
            guard old != plain else { return .unchanged }
            try data.putUser(uno: existing.uno, tag: tag, record: sealRecord(plain, ad: userRecordAD(existing.uno), key: directoryKey))
            return .updated
        }
        let uno = try data.nextUserNumber()
        try data.putUser(uno: uno, tag: tag, record: sealRecord(plain, ad: userRecordAD(uno), key: directoryKey))
        return .added
    }

    // MARK: - Segments

    /// Every bucket holding messages (or one conversation's), with its message count, without decrypting.
    func segmentIndex(cno: Int64? = nil) throws -> [(ref: BucketRef, messages: Int64)] { try data.segmentIndex(cno: cno) }

    /// A conversation's buckets within `[lo, hi]`, in order.
    func buckets(cno: Int64, from lo: Int64, to hi: Int64) throws -> [BucketRef] { try data.buckets(cno: cno, from: lo, to: hi) }

    /// The messages of one bucket; nil when it has none, or when a shred of it is pending.
    /// Throws an integrity error naming the conversation and bucket when it does not open.
    func segment(_ ref: BucketRef) throws -> Segment? {
        guard let row = try data.segment(ref), let key = try readableBucketKey(ref) else { return nil }
        return try openSegment(row, key: key, label: slackID(cno: ref.cno))
    }

    /// Calls `body` with each bucket of a conversation in order; `body` gets the bucket's
    /// messages, or the error that kept them from opening (for the caller to note and go on).
    func forEachSegment(cno: Int64, _ body: (BucketRef, Result<Segment, LetheError>) throws -> Void) throws {
        try data.forEachSegment(cno: cno) { row in
            do {
                guard let key = try readableBucketKey(row.ref) else { return }
                try body(row.ref, .success(try openSegment(row, key: key, label: slackID(cno: cno))))
            } catch let e as LetheError where e.kind == .integrity {
                try body(row.ref, .failure(e))
            }
        }
    }

    /// Whether data.db holds ciphertext for this bucket.
    func hasSegment(_ ref: BucketRef) throws -> Bool { try data.segment(ref) != nil }

    /// Seals and writes a bucket's messages under its key (made on first use; a key may exist
    /// without ciphertext when an earlier import stopped between its two commits). Returns the
    /// size of the sealed segment.
    @discardableResult
    func write(_ segment: Segment, at ref: BucketRef) throws -> Int {
        let key = try writableBucketKey(ref)
        return try store(sealForWrite(segment, at: ref, key: key, zstd: zstd, digests: keepsDigests, fields: nil))
    }

    /// The key a full-key write of a bucket seals under: its own, made when it has none.
    func writableBucketKey(_ ref: BucketRef) throws -> SecretKey {
        try bucketKey(ref) ?? createBucketKey(ref)
    }

    /// A bucket's new content, sealed and summarised, not yet stored: what `write` computes
    /// without touching either file, so an import runs it on every core (`ParallelWork`).
    struct SealedBucket: @unchecked Sendable {
        let ref: BucketRef
        let messages: Int64
        let body: [UInt8]
        /// Its messages' keyed digests (format 4), in segment order.
        let digests: [[UInt8]]
        /// Its retention-view entry (format 6), when the archive keeps views.
        let view: RetentionView.Bucket?
    }

    /// Seals `segment` under `key` with `zstd` (one context per thread), and computes its
    /// digests (when `digests`: `keepsDigests`, asked on the archive's thread) and view entry.
    /// Reads only what never changes while the archive is open (its id, format, digest key)
    /// and touches neither file, so it may run on any thread. `fields`, when given, are the
    /// segment's messages' fields in order (the view reads their authors).
    func sealForWrite(_ segment: Segment, at ref: BucketRef, key: SecretKey, zstd: Zstd, digests: Bool, fields: [MessageFields]?) -> SealedBucket {
        let body = sealSegment(segment, at: ref, key: key, zstd: zstd)
        let digests = digests ? segment.messages.map { messageDigest(cno: ref.cno, $0) } : []
        var view: RetentionView.Bucket?
        if keepsViews { view = fields.map { RetentionView.Bucket(segment.messages, fields: $0) } ?? RetentionView.Bucket(segment.messages) }
        return SealedBucket(ref: ref, messages: Int64(segment.messages.count), body: body, digests: digests, view: view)
    }

    /// Stores a sealed bucket: its ciphertext, its digests and its view entry. Returns the ciphertext's size.
    func store(_ sealed: SealedBucket) throws -> Int {
        try data.putSegment(.init(ref: sealed.ref, messages: sealed.messages, body: sealed.body))
        if keepsDigests {
            try data.deleteDigests(sealed.ref)
            for d in sealed.digests { try data.insertDigest(sealed.ref, d) }
        }
        if let view = sealed.view { noteView(sealed.ref, bucket: view) }
        return sealed.body.count
    }

    // MARK: - Counts and files

    struct Counts {
        var users: Int64
        var shreddedBuckets: Int64
        var bucketKeys: Int64
    }

    func counts() throws -> Counts {
        Counts(users: try data.userCount(), shreddedBuckets: try keystore.tombstoneCount(), bucketKeys: try keystore.bucketKeyCount())
    }

    /// Buckets with a key but no ciphertext (left by an interrupted import; harmless).
    func unusedBucketKeys() throws -> Int {
        var n = 0
        let present = Set(try data.segmentIndex().map(\.ref))
        for row in try keystore.channels() {
            for (bucket, _) in try keystore.bucketKeys(cno: row.cno) where !present.contains(BucketRef(cno: row.cno, bucket: bucket)) { n += 1 }
        }
        return n
    }

    /// Shreds begun and not yet finished.
    func pendingPurgeList() throws -> [Purge] { try keystore.pendingPurges() }

    /// Folds data.db's WAL into the file and truncates it (after an import).
    func checkpoint() throws { try data.checkpointTruncate() }

    /// Search reads thousands of small blobs: it maps data.db instead of copying pages.
    /// (Only search: mapped pages count as resident, and a bulk import measured twice as slow with it.)
    func mapDataFileForReading() throws { try data.db.execute("PRAGMA mmap_size=1073741824") }

    /// Every epoch that has a filter within `[lo, hi]`, newest first, and one epoch's filters.
    func filterEpochs(from lo: Int64, to hi: Int64) throws -> [Int64] { try data.filterEpochs(from: lo, to: hi) }
    func filters(epoch: Int64) throws -> [(cno: Int64, body: [UInt8])] { try data.filters(epoch: epoch) }
}
