import Foundation

/// A role key as `lethe key list` shows it.
public struct RoleKeyInfo: Codable, Sendable, Equatable {
    public var id: Int64
    public var role: String
    public var createdAt: String
    /// When it was revoked; nil while it works.
    public var revokedAt: String?
}

/// What `lethe key list` shows: the slots (full secrets) and the role keys.
public struct KeyListing: Codable, Sendable {
    public var slots: [KeySlotInfo]
    public var roleKeys: [RoleKeyInfo]
}

/// What a role key opened (docs/FORMAT.md §2b): its role, its id, and the keys of its
/// material, nothing else. Never the master key.
struct RoleGrant {
    var role: Role
    var id: Int64
    /// import: the import and retention public keys, TK, IK, AK, the digest key.
    /// retention: the retention secret key, IK, AK, ADK.
    var keys: [SecretKey]
}

/// Role keys (format 4): least-privilege secrets for the unattended jobs. Each role key's
/// secret is a KEK that opens only its role's material, never the master key.
extension Archive {
    /// The material's version byte.
    static let roleMaterialVersion: UInt8 = 1

    static func roleKeyKEK(_ secret: SecretKey, archiveID: [UInt8]) -> SecretKey {
        var bytes = KDF.keyedHash(key: secret, context: "lethe1 rolekey kek", archiveID)
        defer { Sodium.wipe(&bytes) }
        return bytes.withUnsafeBytes { SecretKey.copying($0) }
    }

    static func roleKeyAD(archiveID: [UInt8], id: Int64, role: Role) -> [UInt8] {
        Envelope.associatedData(.roleKey, archiveID: archiveID, id, role.code)
    }

    static func roleSecretAD(archiveID: [UInt8], role: Role) -> [UInt8] {
        Envelope.associatedData(.roleSecret, archiveID: archiveID, role.code)
    }

    /// The two X25519 keypairs of an archive (format 4): their secret halves wrapped under MK
    /// in `archive_keys` ('import', 'retention'). Made by `init` and by the upgrade from 3.
    static func createRoleKeypairs(_ ks: Keystore, archiveID: [UInt8], masterKey: SecretKey) throws {
        for role in Role.allCases {
            let secret = SealedBox.secretKey()
            try ks.setArchiveKey(role.rawValue, AEAD.wrap(secret, under: masterKey, ad: roleSecretAD(archiveID: archiveID, role: role)))
        }
    }

    /// The secret half of a role keypair (needs the master key).
    func roleSecretKey(_ role: Role) throws -> SecretKey {
        guard let wrapped = try keystore.archiveKey(role.rawValue),
              let key = AEAD.unwrap(wrapped, under: try masterKey, ad: Archive.roleSecretAD(archiveID: archiveID, role: role))
        else { throw LetheError(.integrity, "keys.db: the \(role.rawValue) keypair does not authenticate (altered or missing)") }
        return key
    }

    /// The keys a role's material holds, in order (docs/FORMAT.md §2b).
    private func materialKeys(for role: Role) throws -> [[UInt8]] {
        func bytes(_ k: SecretKey) -> [UInt8] { k.withUnsafeBytes { Array($0) } }
        let audit = bytes(auditKey), integrity = bytes(integrityKey.key)
        switch role {
        case .importer:
            return [SealedBox.publicKey(of: try roleSecretKey(.importer)), SealedBox.publicKey(of: try roleSecretKey(.retention)),
                    bytes(tagKey), integrity, audit, bytes(digestKey)]
        case .retention:
            return [bytes(try roleSecretKey(.retention)), integrity, audit, bytes(try auditDetailKey)]
        }
    }

    func roleKeyMAC(_ r: Keystore.RoleKeyRow) -> [UInt8] {
        integrityKey.roleKeyMAC(id: r.id, role: r.role, createdAt: r.createdAt, revokedAt: r.revokedAt, wrapped: r.wrapped)
    }

    func roleKeyDigest() throws -> RowSetDigest {
        var d = RowSetDigest()
        guard formatVersion >= 4 else { return d }
        for r in try keystore.roleKeys() { d.add(roleKeyMAC(r)) }
        return d
    }

    public func roleKeys() throws -> [RoleKeyInfo] {
        let iso = ISO8601DateFormatter()
        func date(_ t: Int64) -> String { iso.string(from: Date(timeIntervalSince1970: TimeInterval(t))) }
        return try keystore.roleKeys().map { RoleKeyInfo(id: $0.id, role: $0.role, createdAt: date($0.createdAt), revokedAt: $0.revokedAt.map(date)) }
    }

    public func keyListing() throws -> KeyListing { KeyListing(slots: try keySlots(), roleKeys: try roleKeys()) }

    /// Issues a role key: writes its file at `out` (mode 0600, never replacing anything),
    /// then adds its row and an audit entry in one keystore transaction. Needs the full secret.
    /// Killed between the two, the file opens nothing (no row has its id… until the next
    /// issue reuses the id, whose row is wrapped under the new secret: the old file still opens nothing).
    public func issueRoleKey(_ role: Role, out: URL) throws -> (id: Int64, audit: AuditEntry) {
        precondition(mode == .write)
        try requireIntact()
        var plain: [UInt8] = [Archive.roleMaterialVersion, UInt8(role.code)]
        let keys = try materialKeys(for: role)
        plain.append(UInt8(keys.count))
        for k in keys { plain += k }
        defer { Sodium.wipe(&plain) }
        let id = try keystore.nextRoleKeyID()
        let secret = try RoleKeyFile.create(at: out, role: role, id: id, archiveIDHex: archiveIDHex)
        let wrapped = AEAD.seal(plain, header: Envelope.Encoding.roleMaterial.rawValue, ad: Archive.roleKeyAD(archiveID: archiveID, id: id, role: role),
                                key: Archive.roleKeyKEK(secret, archiveID: archiveID))
        let now = Int64(Date().timeIntervalSince1970)
        let row = Keystore.RoleKeyRow(id: id, role: role.rawValue, createdAt: now, revokedAt: nil, wrapped: wrapped)
        do {
            let entry = try writeKeystore {
                try keystore.insertRoleKey(row)
                manifest.roleKeys.add(roleKeyMAC(row))
                return try appendAudit(roleKeyAuditRecord(AuditRoleKey(action: "issue", id: id, role: role.rawValue), now: now), detail: AuditDetail(shredded: [], heldBuckets: 0))
            }
            return (id, entry)
        } catch {
            unlink(out.path)  // its secret opens nothing: no row was written
            throw error
        }
    }

    /// Revokes a role key: its material is destroyed (the row keeps id, role and dates), in one
    /// keystore transaction with an audit entry. Needs the full secret.
    public func revokeRoleKey(id: Int64) throws -> AuditEntry {
        precondition(mode == .write)
        try requireIntact()
        guard let row = try keystore.roleKey(id: id) else {
            throw LetheError(.usage, "no role key \(id)", hint: "`lethe key list` shows the role keys")
        }
        guard row.revokedAt == nil else { throw LetheError(.usage, "role key \(id) was already revoked") }
        let now = Int64(Date().timeIntervalSince1970)
        return try writeKeystore {
            try keystore.revokeRoleKey(id: id, at: now)
            manifest.roleKeys.remove(roleKeyMAC(row))
            manifest.roleKeys.add(roleKeyMAC(Keystore.RoleKeyRow(id: id, role: row.role, createdAt: row.createdAt, revokedAt: now, wrapped: [])))
            return try appendAudit(roleKeyAuditRecord(AuditRoleKey(action: "revoke", id: id, role: row.role), now: now), detail: AuditDetail(shredded: [], heldBuckets: 0))
        }
    }

    private func roleKeyAuditRecord(_ what: AuditRoleKey, now: Int64) -> AuditRecord {
        AuditRecord(kind: AuditRecord.roleKeyKind, seq: 0, prev: "", time: ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(now))),
                    now: RetentionTime.iso8601(now), policyDigest: "", rules: [], buckets: 0, messages: 0, channelsDestroyed: 0, roleKey: what)
    }

    /// Opens a role key's material, reading keys.db only. Throws `wrongSecret` for a key of
    /// another archive, a revoked key, or a file whose secret, role or id was changed.
    static func unlockRole(_ ks: Keystore, archiveID: [UInt8], version: Int64, key: RoleKeyFile) throws -> RoleGrant {
        guard version >= 4, let row = try ks.roleKey(id: key.id) else {
            throw LetheError(.wrongSecret, "the role key (\(key.role.rawValue), id \(key.id)) does not open this archive",
                             hint: "it was issued for another archive; `lethe key list` with the full secret shows this archive's role keys")
        }
        if let revoked = row.revokedAt {
            throw LetheError(.wrongSecret, "role key \(key.id) (\(row.role)) was revoked on \(RetentionTime.iso8601(revoked)): it opens nothing any more",
                             hint: "issue a new one with `lethe key issue --role \(row.role)` and the full secret; no file of the archive was changed")
        }
        guard row.role == key.role.rawValue,
              let opened = AEAD.open(row.wrapped, ad: roleKeyAD(archiveID: archiveID, id: key.id, role: key.role), key: roleKeyKEK(key.secret, archiveID: archiveID)),
              opened.header == Envelope.Encoding.roleMaterial.rawValue
        else {
            throw LetheError(.wrongSecret, "the role key (\(key.role.rawValue), id \(key.id)) does not open this archive",
                             hint: "the file was altered, or belongs to another archive; no file of the archive was changed")
        }
        var plain = opened.plaintext
        defer { Sodium.wipe(&plain) }
        guard plain.count >= 3, plain[0] == roleMaterialVersion, Int64(plain[1]) == key.role.code, plain.count == 3 + Int(plain[2]) * 32 else {
            throw LetheError(.integrity, "keys.db: role key \(key.id)'s material is malformed")
        }
        var keys: [SecretKey] = []
        for i in 0..<Int(plain[2]) {
            keys.append(plain.withUnsafeBytes { SecretKey.copying(UnsafeRawBufferPointer(rebasing: $0[(3 + 32 * i)..<(3 + 32 * (i + 1))])) })
        }
        return RoleGrant(role: key.role, id: key.id, keys: keys)
    }
}
