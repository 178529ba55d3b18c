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
}

/// An audit entry as stored (docs/FORMAT.md §8): JSON with sorted snake_case keys.
/// Everything here is readable without a secret; `detail` is the sealed `AuditDetail`
/// (base64). Entries of format 1 had no `detail` and held `shredded` and `held_buckets`
/// in the clear; the upgrade to format 2 seals them.
public struct AuditRecord: Codable, Sendable {
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

/// An entry as `lethe audit` shows it to a holder of a secret: public fields and detail together.
public struct AuditEntryView: Encodable, Sendable {
    public var seq: Int64
    public var time: String
    public var now: String
    public var policyDigest: String
    public var rules: [AuditRuleCount]
    public var buckets: Int
    public var messages: Int
    public var channelsDestroyed: Int
    public var shredded: [AuditChannelShred]
    public var heldBuckets: Int
    public var damaged: [DamagedRecord]

    public init?(_ e: AuditEntry) {
        guard let r = e.record else { return nil }
        seq = r.seq
        time = r.time
        now = r.now
        policyDigest = r.policyDigest
        rules = r.rules
        buckets = r.buckets
        messages = r.messages
        channelsDestroyed = r.channelsDestroyed
        shredded = e.detail?.shredded ?? r.shredded ?? []
        heldBuckets = e.detail?.heldBuckets ?? r.heldBuckets ?? 0
        damaged = e.detail?.damaged ?? []
    }
}

public struct AuditVerification: Codable, Sendable {
    public var ok: Bool
    public var entries: Int
    public var firstBadSeq: Int64?
    public var reason: String?
}

extension Archive {
    var auditKey: SecretKey { KDF.subkey(of: masterKey, context: "audit") }
    var auditDetailKey: SecretKey { KDF.subkey(of: masterKey, context: "audit detail") }

    func auditHash(previous: [UInt8], entry: String) -> [UInt8] {
        KDF.keyedHash(key: auditKey, context: "audit", previous + Array(entry.utf8))
    }

    static func auditJSON(_ record: AuditRecord) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(record), as: UTF8.self)
    }

    static func decodeAudit(_ json: String) -> AuditRecord? {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(AuditRecord.self, from: Data(json.utf8))
    }

    func sealAuditDetail(_ detail: AuditDetail, seq: Int64) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        let sealed = sealRecord(Array(try encoder.encode(detail)), ad: Envelope.associatedData(.auditDetail, archiveID: archiveID, seq),
                                key: auditDetailKey, zstd: Zstd())
        return Data(sealed).base64EncodedString()
    }

    func openAuditDetail(_ base64: String, seq: Int64) -> AuditDetail? {
        guard let sealed = Data(base64Encoded: base64),
              let plain = try? SealedRecord.openRecord(Array(sealed), ad: Envelope.associatedData(.auditDetail, archiveID: archiveID, seq),
                                                       key: auditDetailKey, zstd: Zstd())
        else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(AuditDetail.self, from: Data(plain))
    }

    /// Appends an entry inside the caller's keystore transaction (`writeKeystore`), sealing
    /// `detail`; fills in `seq`, `prev` and `detail` of `record`.
    func appendAudit(_ record: AuditRecord, detail: AuditDetail) throws -> AuditEntry {
        let (prevSeq, prevHash) = try keystore.lastAudit()
        var r = record
        r.seq = prevSeq + 1
        r.prev = prevHash.map { String(format: "%02x", $0) }.joined()
        r.detail = try sealAuditDetail(detail, seq: r.seq)
        r.shredded = nil
        r.heldBuckets = nil
        let json = try Archive.auditJSON(r)
        let hash = auditHash(previous: prevHash, entry: json)
        try keystore.insertAudit(seq: r.seq, entry: json, hash: hash)
        manifest.auditSeq = r.seq
        manifest.auditHead = hash
        return AuditEntry(seq: r.seq, json: json, hash: hash, record: r, detail: detail)
    }

    public func auditEntries() throws -> [AuditEntry] {
        try keystore.auditRows().map { row in
            let record = Archive.decodeAudit(row.entry)
            let detail = record?.detail.flatMap { openAuditDetail($0, seq: row.seq) }
            return AuditEntry(seq: row.seq, json: row.entry, hash: row.hash, record: record, detail: detail)
        }
    }

    /// Recomputes every link of the chain, checks the chain's end against the manifest, and
    /// opens every sealed detail.
    public func verifyAudit() throws -> AuditVerification {
        var prev = [UInt8](repeating: 0, count: 32)
        var expectedSeq: Int64 = 1
        let entries = try auditEntries()
        func broken(_ seq: Int64, _ reason: String) -> AuditVerification {
            AuditVerification(ok: false, entries: entries.count, firstBadSeq: seq, reason: reason)
        }
        for e in entries {
            guard e.seq == expectedSeq else { return broken(e.seq, "entry \(expectedSeq) is missing") }
            guard Sodium.equal(auditHash(previous: prev, entry: e.json), e.hash) else {
                return broken(e.seq, "entry \(e.seq) does not match its hash (altered, or the chain was re-ordered)")
            }
            if e.record?.detail != nil && e.detail == nil {
                return broken(e.seq, "entry \(e.seq): its sealed detail does not open")
            }
            prev = e.hash
            expectedSeq += 1
        }
        if let m = manifest, m.auditSeq != Int64(entries.count) || !Sodium.equal(m.auditHead, prev) {
            return broken(Int64(entries.count) + 1, "the chain ends at entry \(entries.count), but the manifest records \(m.auditSeq) entries: entries were deleted or replaced")
        }
        return AuditVerification(ok: true, entries: entries.count, firstBadSeq: nil, reason: nil)
    }
}
