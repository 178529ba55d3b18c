import Foundation

/// Receives progress of long work (import, export, verify). The CLI draws a bar on a TTY; tests pass nil.
public protocol ProgressReporter: AnyObject {
    func began(_ label: String, total: Int)
    func advanced(done: Int, messages: Int)
    func ended()
}

public struct ImportOptions: Sendable {
    /// Fail on the first skipped record instead of skipping it with a warning.
    public var strict = false
    public var limits = ImportLimits()
    /// Commit both files after about this many bytes of new ciphertext. By default
    /// an import is one transaction: an import that fails (a hostile file, --strict)
    /// or is killed leaves the archive exactly as it was. Smaller values keep work
    /// across a crash at the price of partial imports after an error.
    public var commitEveryBytes = Int.max
    /// Flush a channel's pending buckets when they hold more than this many bytes of message
    /// JSON. What they really take is about 1.5× that (the dictionary, ts strings); 48 MiB made
    /// the import of a 1M-message export peak near 200 MiB (issue 18: docs/BENCHMARKS.md, "Memory").
    public var pendingBytesLimit = 16 << 20
    /// Download the files that messages link to and the export does not hold (`--fetch-files`).
    public var fetchFiles = false
    /// How downloads are made (token, concurrency, timeout, size limit); used with `fetchFiles`.
    public var fetch = FetchOptions(token: "")
    /// The largest attached file imported (`--max-attachment-size`), from the export or downloaded.
    public var maxAttachmentBytes: Int64 = 1 << 30

    public init() {}
}

/// What an import did. Encoded with snake_case keys for `lethe import --json`.
public struct ImportReport: Codable, Sendable {
    public var sources: [String] = []
    public var messagesAdded = 0
    public var messagesUpdated = 0
    public var messagesUnchanged = 0
    public var messagesSkippedShredded = 0
    public var messagesSkippedInvalid = 0
    public var messagesSkippedDuplicate = 0
    /// Messages of buckets whose stored copy does not open (damaged, or its key missing):
    /// not merged, so that the damaged ciphertext stays for a restore; named in `warnings`.
    public var messagesSkippedDamaged = 0
    /// Messages `lethe forget` removed: never brought back by an import.
    public var messagesSkippedForgotten = 0
    public var channels = 0
    public var channelsAdded = 0
    public var usersAdded = 0
    public var usersUpdated = 0
    public var dayFiles = 0
    public var bucketsWritten = 0
    public var seconds = 0.0
    public var warnings: [String] = []
    /// About the export's shape, not something skipped (an optional file absent, a
    /// conversation inferred from its folder): `--strict` does not fail on these.
    public var notes: [String] = []
    /// Every file of the exports that was not imported, with why; `--strict` fails on any.
    public var filesUnread: [UnreadFile] = []
    /// A role-key import (format 4): the role key's id. It cannot read what the archive holds,
    /// so new and changed messages are not told apart: they are `messages_deferred`, written as
    /// delta segments that the next full-key command folds in (then counted as added or updated).
    public var roleKey: Int64?
    public var messagesDeferred = 0
    /// Items of the export's other files (canvases.json, lists.json, huddle_transcripts.json,
    /// file_conversations.json, integration_logs.json, canvas_in_the_conversation.json; format 9):
    /// how many each file held, and what the merge did with them (docs/EXPORT.md).
    public var itemsRead: [String: Int] = [:]
    public var itemsAdded = 0
    public var itemsUpdated = 0
    public var itemsUnchanged = 0
    public var itemsSkippedShredded = 0
    /// Items a role-key import wrote in delta segments (as `messages_deferred`).
    public var itemsDeferred = 0
    /// Conversation and user records written sealed for the full key to fold in.
    public var recordsDeferred = 0
    /// Its audit entry.
    public var auditSeq: Int64?
    /// Attached files stored (new blobs), their bytes, and references to a file the bucket held already.
    public var filesAdded = 0
    public var fileBytes: Int64 = 0
    public var filesDeduplicated = 0
    /// Files the archive held already (re-import).
    public var filesUnchanged = 0
    /// Files messages share that neither the export holds nor (with `--fetch-files`) could be downloaded.
    public var filesMissing = 0
    /// Downloaded with `--fetch-files`, and those that could not be, with why.
    public var filesFetched = 0
    public var filesNotFetched: [FetchFailure] = []

    public init() {}

    public var messagesSeen: Int {
        messagesAdded + messagesUpdated + messagesUnchanged + messagesSkippedShredded + messagesSkippedDuplicate + messagesSkippedDamaged
            + messagesSkippedForgotten + messagesDeferred
    }
}

/// A file `--fetch-files` could not download.
public struct FetchFailure: Codable, Sendable, Equatable {
    public var file: String
    public var url: String
    public var reason: String
}

/// Imports Slack exports into an open archive.
///
/// Streams one conversation at a time, one day file at a time: messages are
/// grouped into pending buckets (by their own `ts`, never the file name), and
/// each bucket is merged with what the archive already holds, re-sealed and
/// written. Keys are committed before the ciphertext that needs them, so an
/// interrupted import leaves at worst unused keys, and a re-run completes it.
/// An import that throws rolls both files back: the archive is as it was.
public final class Importer {
    let archive: Archive
    let options: ImportOptions
    /// The workers that seal and index a flush's buckets, each with its own zstd context and fold cache.
    let sealers = ParallelWork { Sealer() }

    /// What one worker of a flush keeps: contexts that are not thread-safe.
    final class Sealer {
        let zstd = Zstd()
        let pieces = IndexTerms.PieceCache()
    }
    weak var progress: ProgressReporter?
    var report = ImportReport()
    var bytesSinceCommit = 0
    /// Files to download once the messages are in (`--fetch-files`).
    var fetchQueue: [PendingFetch] = []
    /// Attachments of the current export that a message claimed (the others are listed as unread).
    var claimedAttachments = Set<String>()
    private var inTransaction = false
    /// Damage already warned about (one warning per bucket).
    private var damageWarned = 0

    public init(archive: Archive, options: ImportOptions = ImportOptions(), progress: ProgressReporter? = nil) {
        precondition(archive.mode == .write)
        self.archive = archive
        self.options = options
        self.progress = progress
    }

    /// Imports every path in order and returns one combined report.
    public func run(_ urls: [URL]) throws -> ImportReport {
        let started = Date()
        defer { if inTransaction { rollback() } }
        if options.fetchFiles && archive.role != nil {
            throw LetheError(.usage, "--fetch-files needs the full key: a role-key import does not archive attachments (they are sealed under the buckets' keys)",
                             hint: "import with the role key without --fetch-files, then run the import again with the full key and --fetch-files")
        }
        try begin()
        for url in urls {
            let name = url.lastPathComponent
            do {
                let export = try SlackExport.open(url, limits: options.limits)
                report.sources.append(url.path)
                for w in export.warnings { try warn(w) }
                if options.strict, let first = export.unread.first {
                    throw LetheError(.badInput, "\(export.unread.count) file(s) of the export are not imported, e.g. \(first)", hint: "drop --strict to import the rest and list them in files_unread")
                }
                report.filesUnread += export.unread
                for (file, n) in export.itemCounts { report.itemsRead[file, default: 0] += n }
                claimedAttachments = []
                try importOne(export, name: name)
                reportUnclaimedAttachments(export)
                if options.strict, let first = report.filesUnread.first {
                    // Attachments no message shares, over the size limit, or met by a role key: known only now.
                    throw LetheError(.badInput, "\(report.filesUnread.count) file(s) of the export are not imported, e.g. \(first)", hint: "drop --strict to import the rest and list them in files_unread")
                }
            } catch let error as LetheError where error.kind == .badInput {
                throw error.within(name)  // which export, when several are imported
            }
        }
        if let role = archive.role {
            report.roleKey = role.id
            report.auditSeq = try archive.appendRoleImportAudit(report)
        }
        try commit()
        if options.fetchFiles { try fetchQueued() }
        do {
            try archive.checkpoint()
        } catch let e as LetheError where e.kind == .noSpace {
            // Committed and durable in the WAL; only folding it into data.db needs more room.
            report.warnings.append("the import is committed, but data.db-wal could not be folded into data.db: \(e.message); the next lethe run that writes will do it")
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    func warn(_ w: ImportWarning) throws {
        if options.strict && !w.isNote { throw LetheError(.badInput, w.description, hint: "drop --strict to skip such records with a warning") }
        if w.isNote {
            if report.notes.count < 1000 { report.notes.append(w.description) }
        } else if report.warnings.count < 1000 {
            report.warnings.append(w.description)
        }
    }

    // MARK: - Transactions

    func begin() throws {
        guard !inTransaction else { return }
        try archive.beginWrite()
        inTransaction = true
    }

    /// Keys first, then the ciphertext that needs them (`Archive.commitWrite`).
    func commit() throws {
        guard inTransaction else { return }
        try archive.commitWrite()
        inTransaction = false
        bytesSinceCommit = 0
    }

    private func rollback() {
        archive.rollbackWrite()
        inTransaction = false
    }

    // MARK: - One export

    private func importOne(_ export: SlackExport, name: String) throws {
        // Each conversation's day files are listed when it comes (here and on the reader's
        // thread), not all at once: at 300,000 day files the copies took ~25 MB.
        let totalDays = export.conversations.reduce(0) { $0 + export.dayFiles(of: $1).count }
        progress?.began(name, total: totalDays)
        defer { progress?.ended() }

        try importUsers(export.users)
        let reader = DayFilePrefetcher(export: export, conversations: export.conversations, count: totalDays)
        defer { reader.cancel() }
        var daysDone = 0
        for conversation in export.conversations {
            try importConversation(conversation, days: export.dayFiles(of: conversation), reader: reader, export: export) {
                daysDone += 1
                self.progress?.advanced(done: daysDone, messages: self.report.messagesSeen)
            }
            if bytesSinceCommit >= options.commitEveryBytes {
                try commit()
                try begin()
            }
        }
    }

    private func importUsers(_ users: [User]) throws {
        for user in users {
            // A profile `lethe forget --include-profile` removed stays removed.
            if try archive.profileForgotten(slackID: user.id) { continue }
            if archive.role != nil {
                // The import role cannot read the directory: a record not already there goes sealed.
                if try archive.writeRecordDelta(kind: 2, cno: 0, UserRecord.encode(user)) { report.recordsDeferred += 1 }
                continue
            }
            // One user table for every platform: Slack's ids (upper case), Mattermost's usernames
            // (lower case) and Discord's (digits) never meet, so one that does is refused, not merged.
            if let held = try archive.user(slackID: user.id), held.platform != user.platform {
                throw LetheError(.badInput, "user \(user.id): the archive holds a \(held.platform.rawValue) user with this id, so this \(user.platform.rawValue) user cannot be imported beside it (nothing was imported)")
            }
            switch try archive.store(user) {
            case .added: report.usersAdded += 1
            case .updated: report.usersUpdated += 1
            case .unchanged: break
            }
        }
    }

    private func importConversation(_ conversation: Conversation, days: [DayFile], reader: DayFilePrefetcher, export: SlackExport, dayDone: () -> Void) throws {
        report.channels += 1
        let shredded = try archive.shredded(slackID: conversation.id)
        let forgotten = try archive.forgottenMessages(slackID: conversation.id)
        // A conversation that retention emptied entirely comes back only if the export
        // holds messages it never shredded; its old metadata does not.
        var cno: Int64? = nil
        func channel() throws -> Int64 {
            if let cno { return cno }
            if archive.role != nil, let known = try archive.conversationNumber(slackID: conversation.id) {
                // Its key is out of the import role's reach: the record goes sealed, when it changed.
                if try archive.writeRecordDelta(kind: 1, cno: known, ChannelRecord.encode(conversation)) {
                    report.recordsDeferred += 1
                    archive.noteView(conversation, cno: known)
                }
                cno = known
                return known
            }
            let made = try archive.store(conversation)
            if made.created { report.channelsAdded += 1 }
            cno = made.cno
            return made.cno
        }
        let known = try archive.conversationNumber(slackID: conversation.id) != nil
        if known || !shredded.wholeConversation { _ = try channel() }

        var pending: [Int64: [String: Segment.Message]] = [:]
        var pendingBytes = 0
        // Its items (canvases, lists, log entries …) go in the buckets of their dates, as messages do.
        for raw in export.items[conversation.id] ?? [] {
            let bucket = archive.scheme.bucket(containing: raw.ts.seconds)
            if shredded.buckets.contains(bucket) {
                report.itemsSkippedShredded += 1
                continue
            }
            let day = Int32(truncatingIfNeeded: CivilDate(unixSeconds: raw.ts.seconds).dayNumber)
            let item = Segment.Message(ts: raw.ts, fileDay: day, editedTS: nil, json: raw.json, item: raw.item)
            pending[bucket, default: [:]][Importer.identity(item)] = item
            pendingBytes += raw.json.count + 64
        }
        for day in days {
            report.dayFiles += 1
            guard let (messages, skipped) = try reader.nextFile() else { break }
            for w in skipped {
                report.messagesSkippedInvalid += 1
                try warn(w)
            }
            let fileDay = Int32(truncatingIfNeeded: day.date.dayNumber)
            for m in messages {
                let bucket = archive.scheme.bucket(containing: m.ts.seconds)
                if shredded.buckets.contains(bucket) {
                    report.messagesSkippedShredded += 1
                    continue
                }
                if !forgotten.isEmpty && forgotten.contains(archive.messageTag(slackID: conversation.id, ts: m.ts)) {
                    report.messagesSkippedForgotten += 1
                    continue
                }
                var msg = Segment.Message(ts: m.ts, fileDay: fileDay, editedTS: m.editedTS, json: m.json)
                let key = Importer.identity(m.ts)
                if let first = pending[bucket]?[key] {
                    // A channel shared between Grid workspaces is in each one's folder: the same copy twice is one message.
                    if first.json == m.json && conversation.workspaces.count > 1 { continue }
                    if first.ts.string != m.ts.string { msg = Importer.respelled(msg, as: first.ts).message }
                }
                if pending[bucket, default: [:]].updateValue(msg, forKey: key) != nil {
                    report.messagesSkippedDuplicate += 1
                    try warn(ImportWarning(file: day.path, reason: "duplicate ts \(m.ts.string) in \(conversation.folder): the last copy is kept"))
                } else {
                    pendingBytes += m.json.count + 32
                }
            }
            dayDone()
            if pendingBytes > options.pendingBytesLimit {
                try flush(&pending, cno: try channel(), conversation: conversation, export: export)
                pendingBytes = 0
            }
        }
        if !pending.isEmpty { try flush(&pending, cno: try channel(), conversation: conversation, export: export) }
        // Its retention view is written now, not at commit: an import holds one conversation's.
        if let cno { try archive.flushViews(cno: cno) }
    }

    /// Merges pending messages into their buckets and writes the changed ones, and stores the
    /// files they share. Then adds the new and changed messages' terms, and the new files'
    /// text, to their epochs' search filters.
    ///
    /// In three steps, so that both cores work: this thread, which alone touches SQLite, merges
    /// each bucket with its stored copy; every core then extracts terms, compresses and seals
    /// (`ParallelWork`); this thread stores the results in bucket order. What is written is what
    /// one thread would write.
    private func flush(_ pending: inout [Int64: [String: Segment.Message]], cno: Int64, conversation: Conversation, export: SlackExport) throws {
        defer { pending.removeAll(keepingCapacity: true) }
        if archive.role != nil { return try flushDeltas(pending, cno: cno, conversation: conversation, export: export) }

        var plans: [BucketPlan] = []
        for bucket in pending.keys.sorted() {
            guard let incoming = pending[bucket] else { continue }
            let ref = BucketRef(cno: cno, bucket: bucket)
            guard let merge = try mergeBucket(ref, incoming: incoming, channelID: conversation.id) else { continue }  // damaged: left as it is
            let key = try merge.segment.map { _ in try archive.writableBucketKey(ref) }
            plans.append(BucketPlan(ref: ref, incoming: incoming, segment: merge.segment, changed: merge.changed, key: key))
        }

        let done = Importer.prepare(plans, archive: archive, on: sealers)

        var terms: [Int64: Set<BloomFilter.TermHash>] = [:]
        for (plan, work) in zip(plans, done) {
            if let sealed = work.sealed {
                bytesSinceCommit += try archive.store(sealed)
                report.bucketsWritten += 1
            }
            var set = work.terms
            set.formUnion(try attachFiles(plan.ref, wanted: work.files, conversation: conversation, export: export))
            if !set.isEmpty { terms[IndexFilter.epoch(of: plan.ref.bucket), default: []].formUnion(set) }
        }
        for (epoch, set) in terms.sorted(by: { $0.key < $1.key }) {
            try archive.addToFilter(set, FilterRef(cno: cno, epoch: epoch))
        }
    }

    /// A role-key import's flush: each bucket's new messages go in a delta segment (no merge, no filter).
    private func flushDeltas(_ pending: [Int64: [String: Segment.Message]], cno: Int64, conversation: Conversation, export: SlackExport) throws {
        for bucket in pending.keys.sorted() {
            guard let incoming = pending[bucket] else { continue }
            let ref = BucketRef(cno: cno, bucket: bucket)
            try writeDelta(ref, incoming: incoming)
            _ = try attachFiles(ref, wanted: SharedFile.wanted(in: incoming), conversation: conversation, export: export)
        }
    }

    /// One bucket of a flush, merged: what the workers seal and index.
    struct BucketPlan: @unchecked Sendable {
        let ref: BucketRef
        let incoming: [String: Segment.Message]
        /// The bucket's new content; nil when no message changed (nothing to write).
        let segment: Segment?
        /// The messages added or changed: their terms go in the filter.
        let changed: [Segment.Message]
        /// The key `segment` is sealed under.
        let key: SecretKey?
    }

    /// What a worker makes of a `BucketPlan`.
    struct BucketWork: @unchecked Sendable {
        let sealed: Archive.SealedBucket?
        let terms: Set<BloomFilter.TermHash>
        /// The files its incoming messages share, in ts order.
        let files: [SharedFile]
    }

    /// `prepare` of every plan, on every worker.
    static func prepare(_ plans: [BucketPlan], archive: Archive, on workers: ParallelWork<Sealer>) -> [BucketWork] {
        let digests = archive.keepsDigests
        return workers.map(plans.count) { sealer, i in prepare(plans[i], archive: archive, with: sealer, digests: digests) }
    }

    /// The pure part of writing a bucket: fields, terms, shared files, the sealed segment.
    /// Runs on any thread (`Archive.sealForWrite`).
    static func prepare(_ plan: BucketPlan, archive: Archive, with sealer: Sealer, digests: Bool) -> BucketWork {
        var sealed: Archive.SealedBucket?
        var terms = Set<BloomFilter.TermHash>()
        if let segment = plan.segment, let key = plan.key {
            // One extraction per message serves the view and, when every message is new, the terms.
            let fields = segment.messages.map(MessageFields.init)
            sealed = archive.sealForWrite(segment, at: plan.ref, key: key, zstd: sealer.zstd, digests: digests, fields: fields)
            if plan.changed.count == segment.messages.count {
                for f in fields { IndexTerms.add(f, to: &terms, cache: sealer.pieces) }
            } else {
                for m in plan.changed { IndexTerms.add(MessageFields(m), to: &terms, cache: sealer.pieces) }
            }
        }
        return BucketWork(sealed: sealed, terms: terms, files: SharedFile.wanted(in: plan.incoming))
    }

    /// Merges incoming messages with the bucket's stored copy (counted in the report). Returns the
    /// bucket's new content (nil when nothing changed) and the messages that changed; nil when
    /// the stored copy does not open (damaged: warned, and left for a restore).
    private func mergeBucket(_ ref: BucketRef, incoming: [String: Segment.Message], channelID: String) throws -> (segment: Segment?, changed: [Segment.Message])? {
        var merged: [String: Segment.Message] = [:]
        do {
            if let segment = try archive.segment(ref) {
                // An archive written before ts identities were normalised may hold one instant
                // under several spellings: the first (in ts order) is kept when the bucket is rewritten.
                merged = Dictionary(segment.messages.map { (Importer.identity($0), $0) }, uniquingKeysWith: { first, _ in first })
            }
        } catch let e as LetheError where e.kind == .integrity {
            // Merging would overwrite the damaged copy, which a data.db backup may still restore.
            archive.noteDamage(channel: channelID, bucket: ref.bucket, e)
            report.messagesSkippedDamaged += incoming.count
            if archive.damaged.count > damageWarned {
                damageWarned = archive.damaged.count
                try warn(ImportWarning(file: channelID, reason: "\(e.message): its \(incoming.count) incoming messages were not merged; restore data.db from a backup, then import again"))
            }
            return nil
        }
        let counts = Importer.merge(into: &merged, incoming: incoming)
        report.messagesAdded += counts.added
        report.messagesUpdated += counts.updated
        report.messagesUnchanged += counts.unchanged
        report.itemsAdded += counts.itemsAdded
        report.itemsUpdated += counts.itemsUpdated
        report.itemsUnchanged += counts.itemsUnchanged
        guard !counts.changed.isEmpty else { return (nil, []) }
        return (Segment(messages: Importer.ordered(merged.values)), counts.changed)
    }

    /// A role-key import's bucket: the messages the archive does not hold exactly (by keyed
    /// digest) go in one delta segment under a new key sealed to the archive. Nothing is
    /// merged and no filter is touched (the import role can open neither): the compaction
    /// does both.
    private func writeDelta(_ ref: BucketRef, incoming: [String: Segment.Message]) throws {
        var fresh: [Segment.Message] = []
        for m in incoming.values {
            if try archive.hasMessage(ref, m) {
                if m.item == nil { report.messagesUnchanged += 1 } else { report.itemsUnchanged += 1 }
            } else {
                fresh.append(m)
            }
        }
        guard !fresh.isEmpty else { return }
        bytesSinceCommit += try archive.writeDelta(Segment(messages: Importer.ordered(fresh)), at: ref)
        let items = fresh.count(where: { $0.item != nil })
        report.messagesDeferred += fresh.count - items
        report.itemsDeferred += items
        report.bucketsWritten += 1
    }

    /// What one merge did.
    struct MergeCounts {
        /// Messages.
        var added = 0, updated = 0, unchanged = 0
        /// Items (canvases, lists, log entries …), counted apart.
        var itemsAdded = 0, itemsUpdated = 0, itemsUnchanged = 0
        var changed: [Segment.Message] = []
    }

    /// Merges `incoming` (by identity) into a bucket's messages: a new ts is added; a known
    /// one is replaced unless it is the same message or an older version of it. The one
    /// rule of every import, and of the compaction that folds role-key imports in.
    static func merge(into merged: inout [String: Segment.Message], incoming: [String: Segment.Message]) -> MergeCounts {
        var counts = MergeCounts()
        for (ts, incomingMessage) in incoming {
            if let old = merged[ts] {
                var new = incomingMessage
                var same = old.json == new.json && old.item == new.item
                if !same && new.item == nil && old.ts.string != new.ts.string {
                    // The same instant spelled otherwise ("….5" and "….500000"): compared, and
                    // kept, with the spelling the archive saw first.
                    let (respelled, value) = Importer.respelled(new, as: old.ts)
                    new = respelled
                    same = value != nil && (try? JSONValue.parse(old.json)) == value
                }
                let isItem = new.item != nil
                if same || Importer.isOlderVersion(new, than: old) {
                    if isItem { counts.itemsUnchanged += 1 } else { counts.unchanged += 1 }
                } else {
                    merged[ts] = new
                    if isItem { counts.itemsUpdated += 1 } else { counts.updated += 1 }
                    counts.changed.append(new)
                }
            } else {
                merged[ts] = incomingMessage
                if incomingMessage.item != nil { counts.itemsAdded += 1 } else { counts.added += 1 }
                counts.changed.append(incomingMessage)
            }
        }
        return counts
    }

    /// A message's identity within its conversation: its `ts` as integer seconds and the
    /// fraction without trailing zeros, so `1704100000.5`, `….500000` and `….500000000`
    /// are one message (Slack writes six digits; other tools write fewer or more).
    static func identity(_ ts: SlackTimestamp) -> String {
        var fraction = ts.string.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).dropFirst().first ?? ""
        while fraction.last == "0" { fraction = fraction.dropLast() }
        return fraction.isEmpty ? String(ts.seconds) : "\(ts.seconds).\(fraction)"
    }

    /// A bucket's entries in segment order: by ts, then identity (items of one second, in a fixed order).
    static func ordered(_ entries: some Sequence<Segment.Message>) -> [Segment.Message] {
        entries.sorted { $0.ts != $1.ts ? $0.ts < $1.ts : identity($0) < identity($1) }
    }

    /// The identity of a stored entry within its bucket: a message's is its `ts` (`identity(_:)` of
    /// it), an item's its file and key, so a canvas and a message of the same second are two.
    static func identity(_ m: Segment.Message) -> String {
        guard let item = m.item else { return identity(m.ts) }
        return "\u{1}" + item.file + "\u{1}" + item.key
    }

    /// `message` with its top-level `ts` written as `ts`, and its parsed value (nil when it does not parse as an object).
    static func respelled(_ message: Segment.Message, as ts: SlackTimestamp) -> (message: Segment.Message, value: JSONValue?) {
        guard case .object(var members)? = try? JSONValue.parse(message.json),
              let i = members.firstIndex(where: { $0.key == "ts" })
        else { return (message, nil) }
        members[i].value = .string(ts.string)
        let value = JSONValue.object(members)
        return (Segment.Message(ts: ts, fileDay: message.fileDay, editedTS: message.editedTS, json: value.encoded()), value)
    }

    /// True when `new` is an earlier version of `old` (an older export imported after a newer one).
    ///
    /// Slack exports carry no version, but some fields only grow as a message lives:
    /// `edited.ts`, `reply_count`, `latest_reply` and the total of reaction counts. When
    /// `new` is behind on one of them and ahead on none, it is older and does not replace `old`.
    static func isOlderVersion(_ new: Segment.Message, than old: Segment.Message) -> Bool {
        let a = Progress(new), b = Progress(old)
        let behind = a.edited < b.edited || a.replies < b.replies || a.latestReply < b.latestReply || a.reactions < b.reactions
        let ahead = a.edited > b.edited || a.replies > b.replies || a.latestReply > b.latestReply || a.reactions > b.reactions
        return behind && !ahead
    }

    /// The fields of a message that only grow over its life.
    struct Progress {
        /// Timestamps as microseconds since the epoch; 0 when absent.
        var edited: Int64 = 0
        var latestReply: Int64 = 0
        var replies = 0
        var reactions = 0

        static func micros(_ s: String?) -> Int64 {
            guard let t = s.flatMap(SlackTimestamp.init) else { return 0 }
            return t.seconds &* 1_000_000 &+ Int64(t.micros)
        }

        init(_ m: Segment.Message) {
            edited = Progress.micros(m.editedTS)
            guard let v = try? JSONValue.parse(m.json) else { return }
            latestReply = Progress.micros(v["latest_reply"]?.stringValue)
            if case .number(let n)? = v["reply_count"] { replies = Int(n) ?? 0 }
            for r in v["reactions"]?.arrayValue ?? [] {
                if case .number(let n)? = r["count"] { reactions += Int(n) ?? 0 }
            }
        }
    }
}
