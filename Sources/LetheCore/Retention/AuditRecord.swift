import Foundation

/// One rule's share of a shred, as the audit records it in the clear.
public struct AuditRuleCount: Codable, Sendable {
    public var name: String
    public var buckets: Int
    public var messages: Int
}

/// One conversation's share of a shred: sealed in format 2 (it names the Slack channel).
public struct AuditChannelShred: Codable, Sendable {
    public var channelId: String
    public var rule: String
    public var buckets: Int
    public var messages: Int
    public var from: String
    public var to: String
}

/// What an audit entry keeps sealed under the audit detail key: which conversations were
/// shredded and held, and which records were found damaged. Readable with a secret only,
/// so that keys.db alone does not link a conversation number to a Slack channel id.
public struct AuditDetail: Codable, Sendable {
    public var shredded: [AuditChannelShred]
    public var heldBuckets: Int
    public var damaged: [DamagedRecord]?
    /// A `lethe forget` run: why, what, and how much per conversation.
    public var forget: AuditForget?
}

/// What the audit keeps (sealed) of a `lethe forget` run.
public struct AuditForget: Codable, Sendable {
    public var reason: String
    /// `user`, `message` or `query`, and the scope as given (a user id, a channel/ts, a query).
    public var scope: String
    public var target: String
    /// Forgotten messages per conversation id.
    public var channels: [String: Int]
    /// The policy whose holds were checked (its digest), or nil for `--no-policy`.
    public var policyDigest: String?
}

/// An audit entry as stored (docs/FORMAT.md §8): JSON with sorted snake_case keys.
/// Everything here is readable without a secret; `detail` is the sealed `AuditDetail`
/// (base64). Entries of format 1 had no `detail` and held `shredded` and `held_buckets`
/// in the clear; the upgrade to format 2 seals them.
public struct AuditRecord: Codable, Sendable {
    /// What the entry records: nil (entries of format 1 and 2, and shreds) or `forget`.
    public var kind: String?
    public var seq: Int64
    public var prev: String
    public var time: String
    public var now: String
    public var policyDigest: String
    public var rules: [AuditRuleCount]
    public var buckets: Int
    public var messages: Int
    public var channelsDestroyed: Int
    public var detail: String?
    public var shredded: [AuditChannelShred]?
    public var heldBuckets: Int?
}

/// An entry of the hash-chained audit log in the keystore.
///
/// Its `hash` is `BLAKE2b-256(key = audit key, "audit" || 0 || previous hash || entry bytes)`,
/// where the audit key is derived from the master key: only a holder of a secret can
/// extend or re-forge the chain, and `lethe audit --verify` checks every link. The
/// manifest records the last entry's number and hash, so deleting entries shows too.
public struct AuditEntry: Sendable {
    public var seq: Int64
    public var json: String
    public var hash: [UInt8]
    public var record: AuditRecord?
    /// The decrypted detail; nil when the entry has none or it does not open.
    public var detail: AuditDetail?
}

/// An entry as `lethe audit` shows it to a holder of a secret: the record's public fields
/// and its opened detail, in one JSON object (without the sealed blob).
public struct AuditEntryView: Encodable, Sendable {
    public var record: AuditRecord
    public var detail: AuditDetail

    public init?(_ e: AuditEntry) {
        guard var r = e.record else { return nil }
        // Format 1 kept the detail in the clear; later entries seal it.
        detail = e.detail ?? AuditDetail(shredded: r.shredded ?? [], heldBuckets: r.heldBuckets ?? 0, damaged: nil)
        (r.detail, r.shredded, r.heldBuckets) = (nil, nil, nil)
        if r.kind == nil { r.kind = "shred" }
        record = r
    }

    enum Keys: String, CodingKey { case shredded, heldBuckets, damaged, forget }

    public func encode(to encoder: Encoder) throws {
        try record.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(detail.shredded, forKey: .shredded)
        try c.encode(detail.heldBuckets, forKey: .heldBuckets)
        try c.encode(detail.damaged ?? [], forKey: .damaged)
        try c.encodeIfPresent(detail.forget, forKey: .forget)
    }
}

public struct AuditVerification: Codable, Sendable {
    public var ok: Bool
    public var entries: Int
    public var firstBadSeq: Int64?
    public var reason: String?
}
