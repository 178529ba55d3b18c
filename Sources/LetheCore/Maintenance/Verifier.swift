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
    public var users = 0
    /// Bucket keys with no ciphertext (left by an interrupted import; harmless).
    public var unusedBucketKeys = 0
    /// Buckets whose keys an interrupted shred destroyed and whose ciphertext the next writer deletes.
    public var pendingPurge = 0
    public var failures: [Failure] = []
    public var seconds = 0.0

    enum CodingKeys: String, CodingKey { case ok, channels, buckets, messages, users, unusedBucketKeys, pendingPurge, failures, seconds }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ok, forKey: .ok)
        try c.encode(channels, forKey: .channels)
        try c.encode(buckets, forKey: .buckets)
        try c.encode(messages, forKey: .messages)
        try c.encode(users, forKey: .users)
        try c.encode(unusedBucketKeys, forKey: .unusedBucketKeys)
        try c.encode(pendingPurge, forKey: .pendingPurge)
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
        users = try c.decode(Int.self, forKey: .users)
        unusedBucketKeys = try c.decode(Int.self, forKey: .unusedBucketKeys)
        pendingPurge = try c.decode(Int.self, forKey: .pendingPurge)
        failures = try c.decode([Failure].self, forKey: .failures)
        seconds = try c.decode(Double.self, forKey: .seconds)
        guard ok == failures.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .ok, in: c, debugDescription: "ok is \(ok) with \(failures.count) failure(s)")
        }
    }
}

/// Authenticates and decodes every record of an archive: keys, metadata, users, segments.
public final class Verifier {
    let archive: Archive
    private let zstd = Zstd()
    weak var progress: ProgressReporter?

    public init(archive: Archive, progress: ProgressReporter? = nil) {
        self.archive = archive
        self.progress = progress
    }

    public func run() throws -> VerifyReport {
        let started = Date()
        var report = VerifyReport()
        func fail(_ channel: String?, _ bucket: Int64?, _ error: Error) {
            let reason = (error as? LetheError)?.message ?? "\(error)"
            report.failures.append(.init(channelID: channel, bucket: bucket.map { archive.scheme.label(of: $0) }, reason: reason))
        }

        // The keystore's plaintext values against the manifest, tombstones included; the audit chain.
        try archive.checkManifest(full: true)
        for p in archive.integrityProblems { fail(nil, nil, LetheError(.integrity, "keys.db: \(p)")) }
        let audit = try archive.verifyAudit()
        if !audit.ok { fail(nil, nil, LetheError(.integrity, "audit chain: \(audit.reason ?? "broken")")) }

        var names: [Int64: String] = [:]
        let channels = try archive.keystore.channels()
        var known = Set<Int64>()
        for (cno, tag, _) in channels {
            known.insert(cno)
            report.channels += 1
            do {
                if let record = try archive.channelRecord(cno: cno, zstd: zstd) {
                    names[cno] = record.conversation.id
                    guard Sodium.equal(archive.channelTag(record.conversation.id), tag) else {
                        throw LetheError(.integrity, "channel \(record.conversation.id): its keystore tag is not its own")
                    }
                }
            } catch { fail(nil, nil, error) }
        }
        for (uno, body) in try archive.data.users() {
            report.users += 1
            do {
                let plain = try archive.openRecord(body, ad: archive.userRecordAD(uno), key: archive.directoryKey, zstd: zstd, what: "user record #\(uno)")
                _ = try UserRecord.decode(plain)
            } catch { fail(nil, nil, error) }
        }

        let index = try archive.data.segmentIndex()
        progress?.began("verify", total: index.count)
        defer { progress?.ended() }
        var segmentKeys = Set<[Int64]>()
        var done = 0
        let pending = try archive.keystore.pendingPurges()
        let pendingBuckets = Set(pending.map { [$0.cno, $0.bucket] })
        let pendingChannels = Set(pending.filter { $0.bucket == Envelope.wholeChannel }.map(\.cno))
        for cno in Set(index.map(\.cno)).sorted() {
            let channelName = names[cno]
            if pendingChannels.contains(cno) {
                report.pendingPurge += index.filter { $0.cno == cno }.count
                continue
            }
            guard known.contains(cno) else {
                fail(channelName, nil, LetheError(.integrity, "channel #\(cno): ciphertext present but the channel has no key"))
                continue
            }
            try archive.data.forEachSegment(cno: cno) { row in
                segmentKeys.insert([cno, row.bucket])
                if pendingBuckets.contains([cno, row.bucket]) {
                    report.pendingPurge += 1
                    return
                }
                report.buckets += 1
                do {
                    guard let key = try archive.bucketKey(cno: cno, bucket: row.bucket) else {
                        throw archive.missingBucketKey(channel: channelName ?? "#\(cno)", bucket: row.bucket)
                    }
                    let segment = try archive.openSegment(row, key: key, zstd: zstd, channelName: channelName)
                    for m in segment.messages where archive.scheme.bucket(containing: m.ts.seconds) != row.bucket {
                        throw LetheError(.integrity, "channel \(channelName ?? "#\(cno)"), bucket \(archive.scheme.label(of: row.bucket)): message \(m.ts) belongs to another bucket")
                    }
                    report.messages += segment.messages.count
                } catch { fail(channelName, row.bucket, error) }
                done += 1
                progress?.advanced(done: done, messages: report.messages)
            }
        }
        // Every epoch holding messages has a search filter that authenticates (search skips epochs without one).
        for e in Set(index.filter { known.contains($0.cno) && !pendingChannels.contains($0.cno) }.map { [$0.cno, IndexFilter.epoch(of: $0.bucket)] })
            .sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            do {
                guard try archive.loadFilter(cno: e[0], epoch: e[1]) != nil else {
                    throw LetheError(.integrity, "channel \(names[e[0]] ?? "#\(e[0])"): the search filter of epoch \(e[1]) is missing")
                }
            } catch { fail(names[e[0]], nil, error) }
        }
        for (cno, _, _) in channels {
            for (bucket, _) in try archive.keystore.bucketKeys(cno: cno) where !segmentKeys.contains([cno, bucket]) {
                report.unusedBucketKeys += 1
            }
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }
}
