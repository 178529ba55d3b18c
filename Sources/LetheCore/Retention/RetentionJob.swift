import Foundation

/// Runs a retention policy against an open archive: facts → plan → shred.
///
/// `plan` reads only the segment index (counts, no bodies) and the channels'
/// metadata, so its cost grows with the number of buckets, not with message
/// volume; bodies are decrypted only for expired buckets a user-naming legal hold
/// could cover. `apply` executes exactly the plan that `plan` prints.
public enum RetentionJob {
    /// Loads a policy file and fills its digest (BLAKE2b-256 of the file bytes, hex).
    public static func loadPolicy(_ url: URL) throws -> RetentionPolicy {
        var policy = try RetentionPolicy.load(contentsOf: url)
        let bytes = (try? Data(contentsOf: url)).map { [UInt8]($0) } ?? []
        policy.sourceDigest = KDF.digest(bytes).map { String(format: "%02x", $0) }.joined()
        return policy
    }

    /// Where each bucket lives in the archive, for the plan's channel ids and starts.
    struct Placement: Hashable {
        var channelID: String
        var start: Int64
    }

    /// Every conversation of the archive as the policy language sees it.
    public static func channels(_ archive: Archive) throws -> [ChannelFacts] {
        let zstd = Zstd()
        return try archive.keystore.channels().compactMap { row in
            try archive.channelRecord(cno: row.cno, zstd: zstd).map {
                ChannelFacts(id: $0.conversation.id, name: $0.conversation.name, kind: $0.conversation.kind, isArchived: $0.conversation.isArchived)
            }
        }
    }

    /// The facts the planner needs, and where each bucket lives.
    static func facts(_ archive: Archive) throws -> (buckets: [BucketFacts], places: [Placement: (cno: Int64, bucket: Int64)]) {
        let zstd = Zstd()
        var channels: [Int64: ChannelFacts] = [:]
        for (cno, _, _) in try archive.keystore.channels() {
            guard let c = try archive.channelRecord(cno: cno, zstd: zstd)?.conversation else { continue }
            channels[cno] = ChannelFacts(id: c.id, name: c.name, kind: c.kind, isArchived: c.isArchived)
        }
        var buckets: [BucketFacts] = []
        var places: [Placement: (Int64, Int64)] = [:]
        for row in try archive.data.segmentIndex() {
            guard let channel = channels[row.cno] else { continue }
            let (start, end) = archive.scheme.range(of: row.bucket)
            buckets.append(BucketFacts(channel: channel, start: start, end: end, messageCount: Int(row.messages)))
            places[Placement(channelID: channel.id, start: start)] = (row.cno, row.bucket)
        }
        return (buckets, places)
    }

    /// Answers the planner's "who wrote in this bucket" by decrypting it.
    final class Authors: BucketAuthorsProvider {
        let archive: Archive
        let places: [Placement: (cno: Int64, bucket: Int64)]
        let zstd = Zstd()

        init(archive: Archive, places: [Placement: (cno: Int64, bucket: Int64)]) {
            self.archive = archive
            self.places = places
        }

        func authors(of bucket: BucketFacts) throws -> [(user: String, seconds: Int64)] {
            guard let place = places[Placement(channelID: bucket.channel.id, start: bucket.start)],
                  let row = try archive.data.segment(cno: place.cno, bucket: place.bucket)
            else { return [] }
            let segment: Segment
            do {
                guard let key = try archive.bucketKey(cno: place.cno, bucket: place.bucket) else { return [] }
                segment = try archive.openSegment(row, key: key, zstd: zstd, channelName: bucket.channel.id)
            } catch let e as LetheError where e.kind == .integrity {
                archive.noteDamage(channel: bucket.channel.id, bucket: place.bucket, e)
                throw e
            }
            return segment.messages.compactMap { m in
                guard let user = MessageJSON.topLevelString(m.json, key: "user") else { return nil }
                return (user, m.ts.seconds)
            }
        }
    }

    public static func plan(archive: Archive, policy: RetentionPolicy, now: Int64) throws -> RetentionPlan {
        try archive.checkManifest(full: true)  // what apply would check: the plan says what apply would do
        try archive.requireIntact()
        return try planned(archive: archive, policy: policy, now: now).plan
    }

    /// The plan, and where each of its buckets lives: the one computation `plan` prints and `apply` executes.
    private static func planned(archive: Archive, policy: RetentionPolicy, now: Int64) throws
        -> (plan: RetentionPlan, places: [Placement: (cno: Int64, bucket: Int64)]) {
        let (buckets, places) = try facts(archive)
        let plan = try RetentionPlanner.plan(policy: policy, buckets: buckets, now: now, authors: Authors(archive: archive, places: places))
        return (plan, places)
    }

    /// Plans, then shreds exactly what the plan lists, with one audit entry.
    public static func apply(archive: Archive, policy: RetentionPolicy, now: Int64) throws -> (plan: RetentionPlan, result: ShredResult) {
        let (plan, places) = try planned(archive: archive, policy: policy, now: now)
        var targets: [ShredTarget] = []
        for b in plan.shred {
            guard let place = places[Placement(channelID: b.channelID, start: b.start)] else { continue }
            targets.append(ShredTarget(cno: place.cno, channelID: b.channelID, bucket: place.bucket, messages: b.messageCount, rule: b.rule))
        }
        let shredded = plan.channels.filter { $0.buckets > 0 }.map {
            AuditChannelShred(channelId: $0.channelID, rule: $0.rule, buckets: $0.buckets, messages: $0.messages,
                              from: $0.firstDate?.description ?? "", to: $0.lastDate?.description ?? "")
        }
        let record = AuditRecord(seq: 0, prev: "", time: "", now: RetentionTime.iso8601(now), policyDigest: policy.sourceDigest,
                                 rules: plan.rules.map { AuditRuleCount(name: $0.name, buckets: $0.buckets, messages: $0.messages) },
                                 buckets: 0, messages: 0, channelsDestroyed: 0)
        let result = try archive.shred(targets, now: now, audit: record, detail: AuditDetail(shredded: shredded, heldBuckets: plan.heldBuckets))
        return (plan, result)
    }
}
