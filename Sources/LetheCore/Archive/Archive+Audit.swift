import Foundation

/// The audit chain in keys.db (docs/FORMAT.md §8): appending, reading, verifying.
extension Archive {
    var auditDetailKey: SecretKey {
        get throws {
            guard let k = auditDetailKeyIfAny else { throw Archive.roleCannot("open audit details") }
            return k
        }
    }

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
                                key: try auditDetailKey)
        return Data(sealed).base64EncodedString()
    }

    func openAuditDetail(_ base64: String, seq: Int64) -> AuditDetail? {
        guard let auditDetailKey = auditDetailKeyIfAny, let sealed = Data(base64Encoded: base64),
              let plain = try? SealedRecord.openRecord(Array(sealed), ad: Envelope.associatedData(.auditDetail, archiveID: archiveID, seq),
                                                       key: auditDetailKey, zstd: zstd)
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
        r.prev = prevHash.hexString
        // The import role holds no ADK: its entries have no sealed detail (their counts are public).
        r.detail = auditDetailKeyIfAny == nil ? nil : try sealAuditDetail(detail, seq: r.seq)
        r.shredded = nil
        r.heldBuckets = nil
        let json = try Archive.auditJSON(r)
        let hash = auditHash(previous: prevHash, entry: json)
        try keystore.insertAudit(seq: r.seq, entry: json, hash: hash)
        manifest.auditSeq = r.seq
        manifest.auditHead = hash
        return AuditEntry(seq: r.seq, json: json, hash: hash, record: r, detail: detail)
    }

    /// Appends one production's entry in its own keystore transaction (with the manifest).
    /// Needs an archive opened for writing (`reopenForWriting`).
    public func recordProduction(_ counts: AuditProduction, selection: Selection.Criteria, policyDigest: String,
                                 buckets: Int, damaged: [DamagedRecord], now: Int64) throws -> AuditEntry {
        guard mode == .write else { throw LetheError(.failure, "internal: a production is recorded through an archive opened for writing") }
        try requireIntact()
        let time = ISO8601DateFormatter().string(from: Date())
        let record = AuditRecord(kind: AuditRecord.productionKind, seq: 0, prev: "", time: time, now: RetentionTime.iso8601(now),
                                 policyDigest: policyDigest, rules: [], buckets: buckets,
                                 messages: counts.messages + counts.contextMessages, channelsDestroyed: 0, production: counts)
        let detail = AuditDetail(shredded: [], heldBuckets: 0, damaged: damaged.isEmpty ? nil : damaged, selection: selection)
        return try writeKeystore { try appendAudit(record, detail: detail) }
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
