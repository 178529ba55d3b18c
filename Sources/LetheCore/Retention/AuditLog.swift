import Foundation

/// The hash-chained audit log in the keystore.
///
/// Each entry is a JSON object (no content, no names: times, policy digest, rule
/// names, channel ids, bucket dates, counts). Its `hash` is
/// `BLAKE2b-256(key = audit key, "audit" || 0 || previous hash || entry bytes)`, where the
/// audit key is derived from the master key: only a holder of a secret can
/// extend or re-forge the chain, and `lethe audit --verify` checks every link.
public struct AuditEntry: Sendable {
    public var seq: Int64
    public var json: String
    public var hash: [UInt8]
}

public struct AuditVerification: Codable, Sendable {
    public var ok: Bool
    public var entries: Int
    public var firstBadSeq: Int64?
    public var reason: String?
}

extension Archive {
    var auditKey: SecretKey { KDF.subkey(of: masterKey, context: "audit") }

    func auditHash(previous: [UInt8], entry: String) -> [UInt8] {
        KDF.keyedHash(key: auditKey, context: "audit", previous + Array(entry.utf8))
    }

    /// Appends an entry inside the caller's keystore transaction.
    func appendAudit(_ object: [String: Any]) throws -> AuditEntry {
        let last = try keystore.db.statement("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").query()
        let (prevSeq, prevHash): (Int64, [UInt8]) = try last.step() ? (last.int(0), last.blob(1)) : (0, [UInt8](repeating: 0, count: 32))
        var o = object
        o["seq"] = prevSeq + 1
        o["prev"] = prevHash.map { String(format: "%02x", $0) }.joined()
        let data = try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes])
        let json = String(decoding: data, as: UTF8.self)
        let hash = auditHash(previous: prevHash, entry: json)
        try keystore.db.statement("INSERT INTO audit(seq, entry, hash) VALUES (?, ?, ?)").run(.int(prevSeq + 1), .text(json), .blob(hash))
        return AuditEntry(seq: prevSeq + 1, json: json, hash: hash)
    }

    public func auditEntries() throws -> [AuditEntry] {
        let s = try keystore.db.statement("SELECT seq, entry, hash FROM audit ORDER BY seq").query()
        var out: [AuditEntry] = []
        while try s.step() { out.append(AuditEntry(seq: s.int(0), json: s.text(1), hash: s.blob(2))) }
        return out
    }

    /// Recomputes every link of the chain.
    public func verifyAudit() throws -> AuditVerification {
        var prev = [UInt8](repeating: 0, count: 32)
        var expectedSeq: Int64 = 1
        let entries = try auditEntries()
        for e in entries {
            guard e.seq == expectedSeq else {
                return AuditVerification(ok: false, entries: entries.count, firstBadSeq: e.seq, reason: "entry \(expectedSeq) is missing")
            }
            guard Sodium.equal(auditHash(previous: prev, entry: e.json), e.hash) else {
                return AuditVerification(ok: false, entries: entries.count, firstBadSeq: e.seq, reason: "entry \(e.seq) does not match its hash (altered, or the chain was re-ordered)")
            }
            prev = e.hash
            expectedSeq += 1
        }
        return AuditVerification(ok: true, entries: entries.count, firstBadSeq: nil, reason: nil)
    }
}
