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
    /// A production's selection as given (it names channels, people, words): kind `production` only.
    public var selection: Selection.Criteria?
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

/// What a production's audit entry records in the clear: counts and the load file's digest,
/// no names (which conversations and people were selected is sealed in the detail).
public struct AuditProduction: Codable, Sendable, Equatable {
    /// `rsmf` or `slack`.
    public var format: String
    public var conversations: Int
    /// Files produced (the load file's rows).
    public var files: Int
    /// Messages the selection chose.
    public var messages: Int
    /// Thread parents added as context.
    public var contextMessages: Int
    /// SHA-256 (hex) of the load file written beside the production.
    public var loadFileSha256: String
}

/// An audit entry as stored (docs/FORMAT.md §8): JSON with sorted snake_case keys.
/// Everything here is readable without a secret; `detail` is the sealed `AuditDetail`
/// (base64). Entries of format 1 had no `detail` and held `shredded` and `held_buckets`
/// in the clear; the upgrade to format 2 seals them.
///
/// `kind` is absent for a shred (every entry written before format 3), `forget` for a
/// `lethe forget` run (docs/ERASURE.md) and `production` for a production (`lethe export` with a selection or `--format rsmf`); a
/// production's entry has `policy_digest` of its `--policy` (or empty), no rules, `buckets`
/// read, `messages` produced (context included) and `channels_destroyed` 0.
public struct AuditRecord: Codable, Sendable {
    public static let productionKind = "production"

    /// What the entry records: nil (a shred), `forget` or `production`.
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
    /// A production's counts (kind `production`).
    public var production: AuditProduction?
    /// Kind `role-key` (format 4): the role key issued or revoked.
    public var roleKey: AuditRoleKey?
    /// The id of the role key (`lethe key issue`) that did what the entry records; absent
    /// when the archive's full key did it.
    public var byRoleKey: Int64?

    public static let roleKeyKind = "role-key"
    /// A role-key import: `buckets` delta segments written, `messages` deferred (format 4).
    public static let importKind = "import"

    /// "shred", "forget", "production" or "role-key".
    public var kindName: String { kind ?? "shred" }
}

/// What a `role-key` entry records in the clear: which role key, of which role, was issued or revoked.
public struct AuditRoleKey: Codable, Sendable, Equatable {
    /// `issue` or `revoke`.
    public var action: String
    public var id: Int64
    public var role: String
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
        r.kind = r.kindName
        record = r
    }

    enum Keys: String, CodingKey { case shredded, heldBuckets, damaged, forget, selection }

    public func encode(to encoder: Encoder) throws {
        try record.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(detail.shredded, forKey: .shredded)
        try c.encode(detail.heldBuckets, forKey: .heldBuckets)
        try c.encode(detail.damaged ?? [], forKey: .damaged)
        try c.encodeIfPresent(detail.forget, forKey: .forget)
        try c.encodeIfPresent(detail.selection, forKey: .selection)
    }
}

public struct AuditVerification: Codable, Sendable {
    public var ok: Bool
    public var entries: Int
    public var firstBadSeq: Int64?
    public var reason: String?
}
