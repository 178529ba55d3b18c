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
        policy.sourceDigest = KDF.digest(bytes).hexString
        return policy
    }

    /// Which rule governs one conversation, and why: what `lethe policy check` shows.
    public struct Governance: Codable, Sendable {
        public var channelID: String
        public var name: String?
        public var label: String
        public var kind: ConversationKind
        /// Where it was imported from (policies' `platform:`).
        public var platform: Platform
        public var rule: String
        public var keep: String
        /// Every rule whose match the conversation meets (the longest keep among them governs).
        public var matchingRules: [String]
        public var holds: [String]
    }

    /// For every conversation of the archive, the rule that governs it at `now` and the holds that name it.
    public static func governance(_ archive: Archive, policy: RetentionPolicy, now: Int64) throws -> [Governance] {
        let conversations = archive.isRetentionRole ? try archive.viewedConversations().map(\.conversation) : try archive.conversations()
        // The retention role reads no user record: a DM shows by its id.
        let users = archive.isRetentionRole ? .empty : try archive.labelDirectory(for: conversations)
        return conversations.map { c in
            let choice = policy.ruleFor(channel: c, now: now)
            return Governance(channelID: c.id, name: c.name, label: c.label(users: users), kind: c.kind, platform: c.platform, rule: choice.rule.name,
                              keep: choice.rule.keep.description, matchingRules: choice.matchingRules,
                              holds: policy.holdsFor(channel: c).map(\.name))
        }
    }

    /// The facts the planner needs: every bucket of every readable conversation, with where it lives.
    static func facts(_ archive: Archive) throws -> [BucketFacts] {
        var byNumber: [Int64: Conversation] = [:]
        for c in try archive.conversations() { if let cno = c.cno { byNumber[cno] = c } }
        return try archive.segmentIndex().compactMap { row in
            guard let channel = byNumber[row.ref.cno] else { return nil }
            let (start, end) = archive.scheme.range(of: row.ref.bucket)
            return BucketFacts(channel: channel, start: start, end: end, messageCount: Int(row.messages), ref: row.ref)
        }
    }

    /// The retention role's facts and authors (format 6): from the retention views, which hold
    /// per bucket its message count and who wrote on which day, never a message.
    static func viewedFacts(_ archive: Archive) throws -> (buckets: [BucketFacts], authors: ViewAuthors) {
        var buckets: [BucketFacts] = []
        var entries: [BucketRef: RetentionView.Bucket] = [:]
        for (c, view) in try archive.viewedConversations() {
            guard let cno = c.cno else { continue }
            for (b, entry) in view.buckets.sorted(by: { $0.key < $1.key }) {
                let ref = BucketRef(cno: cno, bucket: b)
                let (start, end) = archive.scheme.range(of: b)
                buckets.append(BucketFacts(channel: c, start: start, end: end, messageCount: Int(entry.messages), ref: ref))
                entries[ref] = entry
            }
        }
        return (buckets, ViewAuthors(entries: entries))
    }

    /// The planner's "who wrote in this bucket", from the retention views: each author once per
    /// day written, at 00:00 UTC (holds are day-granular, so this decides exactly as the messages would).
    final class ViewAuthors: BucketAuthorsProvider {
        let entries: [BucketRef: RetentionView.Bucket]

        init(entries: [BucketRef: RetentionView.Bucket]) { self.entries = entries }

        func authors(of bucket: BucketFacts) throws -> [(user: String, seconds: Int64)] {
            bucket.ref.flatMap { entries[$0] }?.authors ?? []
        }
    }

    /// Answers the planner's "who wrote in this bucket" by decrypting it. The author of a
    /// message is `MessageFields.user` (`user`, else `bot_id`, else `username`), as for
    /// search's `from:`: a hold naming a bot keeps the bot's messages.
    final class Authors: BucketAuthorsProvider {
        let archive: Archive

        init(archive: Archive) { self.archive = archive }

        func authors(of bucket: BucketFacts) throws -> [(user: String, seconds: Int64)] {
            guard let ref = bucket.ref else { return [] }
            let segment: Segment?
            do { segment = try archive.segment(ref) } catch let e as LetheError where e.kind == .integrity {
                archive.noteDamage(channel: bucket.channel.id, bucket: ref.bucket, e)
                throw e
            }
            return (segment?.messages ?? []).compactMap { m in
                MessageFields(m).user.map { ($0, m.ts.seconds) }
            }
        }
    }

    /// The plan: the one computation `plan` prints and `apply` executes.
    public static func plan(archive: Archive, policy: RetentionPolicy, now: Int64) throws -> RetentionPlan {
        try archive.checkManifest(full: true)  // what apply would check: the plan says what apply would do
        try archive.requireIntact()
        if archive.isRetentionRole {
            let (buckets, authors) = try viewedFacts(archive)
            return try RetentionPlanner.plan(policy: policy, buckets: buckets, now: now, authors: authors, users: .empty)
        }
        let buckets = try facts(archive)
        let users = try archive.labelDirectory(for: Array(Set(buckets.map(\.channel))))
        return try RetentionPlanner.plan(policy: policy, buckets: buckets, now: now, authors: Authors(archive: archive), users: users)
    }

    /// Plans, then shreds exactly what the plan lists, with one audit entry.
    public static func apply(archive: Archive, policy: RetentionPolicy, now: Int64) throws -> (plan: RetentionPlan, result: ShredResult) {
        let plan = try self.plan(archive: archive, policy: policy, now: now)
        let targets = plan.shred.compactMap { b in
            b.ref.map { ShredTarget(ref: $0, channelID: b.channelID, messages: b.messageCount, rule: b.rule) }
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
