import Foundation

/// What `lethe verify` found.
public struct VerifyReport: Encodable, Sendable {
    public struct Failure: Codable, Sendable, CustomStringConvertible {
        public var channelID: String?
        public var bucket: String?
        public var reason: String
        public var description: String { reason }
    }

    public var ok: Bool { failures.isEmpty }
    public var channels = 0
    public var buckets = 0
    public var messages = 0
    /// Items (canvases, lists, log entries …; format 9) that authenticate, counted apart from messages.
    public var items = 0
    public var users = 0
    /// Bucket keys with no ciphertext (left by an interrupted import; harmless).
    public var unusedBucketKeys = 0
    /// Buckets whose keys an interrupted shred destroyed and whose ciphertext the next writer deletes.
    public var pendingPurge = 0
    /// Attached files whose every chunk authenticated and whose bytes match their digest (format 7), and their bytes.
    public var files = 0
    public var fileBytes: Int64 = 0
    public var failures: [Failure] = []
    public var seconds = 0.0

    enum CodingKeys: String, CodingKey { case ok, channels, buckets, messages, items, users, unusedBucketKeys, pendingPurge, files, fileBytes, failures, seconds }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ok, forKey: .ok)
        try c.encode(channels, forKey: .channels)
        try c.encode(buckets, forKey: .buckets)
        try c.encode(messages, forKey: .messages)
        try c.encode(items, forKey: .items)
        try c.encode(users, forKey: .users)
        try c.encode(unusedBucketKeys, forKey: .unusedBucketKeys)
        try c.encode(pendingPurge, forKey: .pendingPurge)
        try c.encode(files, forKey: .files)
        try c.encode(fileBytes, forKey: .fileBytes)
        try c.encode(failures, forKey: .failures)
        try c.encode(seconds, forKey: .seconds)
    }
}

// In an extension, so that the memberwise and empty initializers stay.
extension VerifyReport: Decodable {
    /// Reads `lethe verify --json` back (tests). `ok` is not stored, it follows from
    /// `failures`: a report whose `ok` disagrees with its failures does not decode.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let ok = try c.decode(Bool.self, forKey: .ok)
        channels = try c.decode(Int.self, forKey: .channels)
        buckets = try c.decode(Int.self, forKey: .buckets)
        messages = try c.decode(Int.self, forKey: .messages)
        items = try c.decodeIfPresent(Int.self, forKey: .items) ?? 0
        users = try c.decode(Int.self, forKey: .users)
        unusedBucketKeys = try c.decode(Int.self, forKey: .unusedBucketKeys)
        pendingPurge = try c.decode(Int.self, forKey: .pendingPurge)
        files = try c.decodeIfPresent(Int.self, forKey: .files) ?? 0
        fileBytes = try c.decodeIfPresent(Int64.self, forKey: .fileBytes) ?? 0
        failures = try c.decode([Failure].self, forKey: .failures)
        seconds = try c.decode(Double.self, forKey: .seconds)
        guard ok == failures.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .ok, in: c, debugDescription: "ok is \(ok) with \(failures.count) failure(s)")
        }
    }
}

/// Authenticates and decodes every record of an archive: the manifest, keys, metadata, users,
/// segments, filters. It walks both files row by row, so it lives beside `Archive`.
public final class Verifier {
    let archive: Archive
    weak var progress: ProgressReporter?

    public init(archive: Archive, progress: ProgressReporter? = nil) {
        self.archive = archive
        self.progress = progress
    }

    public func run() throws -> VerifyReport {
        let started = Date()
        var report = VerifyReport()
        func fail(_ channel: String?, _ bucket: Int64?, _ error: Error) {
            let reason = (error as? LetheError)?.description ?? "\(error)"
            report.failures.append(.init(channelID: channel, bucket: bucket.map { archive.scheme.label(of: $0) }, reason: reason))
        }

        // The keystore's plaintext values against the manifest, tombstones included; the audit chain.
        try archive.checkManifest(full: true)
        for p in archive.integrityProblems { fail(nil, nil, LetheError(.integrity, "keys.db: \(p)")) }
        let audit = try archive.verifyAudit()
        if !audit.ok { fail(nil, nil, LetheError(.integrity, "audit chain: \(audit.reason ?? "broken")")) }

        // Conversations: each key opens with its tag, each record opens and holds the Slack id the tag was made from.
        let rows = try archive.keystore.channels()
        let known = Set(rows.map(\.cno))
        for row in rows {
            report.channels += 1
            do {
                if let c = try archive.conversation(cno: row.cno), !(try archive.tagMatches(c)) {
                    throw LetheError(.integrity, "channel \(c.id): its keystore tag is not its own")
                }
            } catch { fail(nil, nil, error) }
        }
        // Retention views (format 6): what the retention role plans from must say what the segments hold.
        for p in try archive.viewProblems() { fail(nil, nil, LetheError(.integrity, "keys.db: \(p)")) }
        for (uno, body) in try archive.data.users() {
            report.users += 1
            do {
                let plain = try archive.openRecord(body, ad: archive.userRecordAD(uno), key: archive.directoryKey, what: "user record \(uno)")
                _ = try UserRecord.decode(plain)
            } catch { fail(nil, nil, error) }
        }

        // Segments: every one opens under its key and holds only messages of its own bucket.
        let index = try archive.data.segmentIndex()
        progress?.began("verify", total: index.count)
        defer { progress?.ended() }
        var done = 0
        let pending = Set(try archive.keystore.pendingPurges())
        let conversations = Set(index.map(\.ref.cno)).sorted()
        var failed = Set<BucketRef>()  // a bucket is named once, by its segment
        for cno in conversations {
            if pending.contains(.conversation(cno: cno)) {
                report.pendingPurge += index.filter { $0.ref.cno == cno }.count
                continue
            }
            guard known.contains(cno) else {
                fail(nil, nil, LetheError(.integrity, "\(archive.slackID(cno: cno)): ciphertext present but the conversation has no key"))
                continue
            }
            let name = archive.slackID(cno: cno)
            try archive.data.forEachSegment(cno: cno) { row in
                if pending.contains(.bucket(row.ref)) {
                    report.pendingPurge += 1
                    return
                }
                report.buckets += 1
                do {
                    guard let key = try archive.readableBucketKey(row.ref) else { return }
                    let segment = try archive.openSegment(row, key: key, label: name)
                    for m in segment.messages where archive.scheme.bucket(containing: m.ts.seconds) != row.bucket {
                        throw LetheError(.integrity, "channel \(name), bucket \(archive.scheme.label(of: row.bucket)): message \(m.ts) belongs to another bucket")
                    }
                    let items = segment.messages.count(where: { $0.item != nil })
                    report.messages += segment.messages.count - items
                    report.items += items
                } catch {
                    fail(name, row.bucket, error)
                    failed.insert(row.ref)
                }
                done += 1
                progress?.advanced(done: done, messages: report.messages)
            }
        }
        // Every epoch holding messages has a search filter that authenticates (search skips epochs without one).
        let epochs = Set(index.filter { known.contains($0.ref.cno) && !pending.contains(.conversation(cno: $0.ref.cno)) }
            .map { FilterRef(cno: $0.ref.cno, epoch: $0.ref.epoch) })
        for f in epochs.sorted() {
            do {
                guard try archive.loadFilter(f) != nil else {
                    throw LetheError(.integrity, "channel \(archive.slackID(cno: f.cno)): the search filter of epoch \(f.epoch) is missing")
                }
            } catch { fail(archive.slackID(cno: f.cno), nil, error) }
        }
        // Attachments: every bucket's index opens under its bucket key, and every blob's chunks
        // open, in order, to bytes that match the index's size and digest.
        let withMessages = Set(index.map(\.ref))
        for ref in try archive.data.attachmentBuckets() where !failed.contains(ref) && !pending.contains(.bucket(ref)) && !pending.contains(.conversation(cno: ref.cno)) {
            let name = archive.slackID(cno: ref.cno)
            do {
                guard withMessages.contains(ref) else { throw LetheError(.integrity, "channel \(name), bucket \(archive.scheme.label(of: ref.bucket)): attachments without messages") }
                guard let files = try archive.attachments(ref) else { continue }
                for blob in files.blobs { try archive.readBlob(blob, of: ref) { _ in } }
                report.files += files.references.count
                report.fileBytes += files.blobs.reduce(0) { $0 + $1.size }
            } catch { fail(name, ref.bucket, error) }
        }
        report.unusedBucketKeys = try archive.unusedBucketKeys()
        report.seconds = Date().timeIntervalSince(started)
        return report
    }
}
