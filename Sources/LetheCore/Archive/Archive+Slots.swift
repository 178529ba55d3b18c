import Foundation

/// Key slots: the ways to open an archive. Changing them rewraps the master key only.
public struct KeySlotInfo: Codable, Sendable {
    public var id: Int64
    public var kind: String
    public var createdAt: String
    public var kdf: String?
    /// True for the slot the current secret opened.
    public var current: Bool
}

extension Archive {
    public func keySlots() throws -> [KeySlotInfo] {
        try keystore.slots().map { s in
            let kdf = s.kind == "passphrase"
                ? (KDFProfile.allCases.first { $0.opsLimit == s.opsLimit && $0.memLimit == s.memLimit }?.rawValue ?? "argon2id ops \(s.opsLimit) mem \(s.memLimit >> 20) MiB")
                : nil
            return KeySlotInfo(id: s.id, kind: s.kind, createdAt: ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(s.createdAt))),
                               kdf: kdf, current: s.id == unlockedSlot)
        }
    }

    /// Adds a passphrase slot; returns its id.
    @discardableResult
    public func addPassphraseSlot(_ passphrase: Secret, profile: KDFProfile) throws -> Int64 {
        precondition(mode == .write)
        return try keystore.db.transaction {
            try Archive.addPassphraseSlot(keystore, archiveID: archiveID, masterKey: masterKey, passphrase: passphrase, profile: profile,
                                          now: Int64(Date().timeIntervalSince1970))
            return try keystore.nextSlotID() - 1
        }
    }

    /// The key-file slot this key file opens, if any: re-running `key add-keyfile` after an
    /// interrupted or unknown outcome must not add a second slot for the same file.
    public func keyFileSlot(opening keyFile: SecretKey) throws -> Int64? {
        let kek = Archive.keyFileKEK(keyFile, archiveID: archiveID)
        return try keystore.slots().first { slot in
            slot.kind == "keyfile" && AEAD.unwrap(slot.wrapped, under: kek, ad: Envelope.associatedData(.slot, archiveID: archiveID, slot.id)) != nil
        }?.id
    }

    /// Adds a key-file slot; returns its id.
    @discardableResult
    public func addKeyFileSlot(_ keyFile: SecretKey) throws -> Int64 {
        precondition(mode == .write)
        return try keystore.db.transaction {
            try Archive.addKeyFileSlot(keystore, archiveID: archiveID, masterKey: masterKey, keyFile: keyFile, now: Int64(Date().timeIntervalSince1970))
            return try keystore.nextSlotID() - 1
        }
    }

    /// Replaces the passphrase slot that opened the archive by a new one, in one transaction.
    public func changePassphrase(to passphrase: Secret, profile: KDFProfile) throws {
        precondition(mode == .write)
        guard try keystore.slots().first(where: { $0.id == unlockedSlot })?.kind == "passphrase" else {
            throw LetheError(.usage, "the archive was not opened with a passphrase", hint: "unlock with the current passphrase to change it, or use `lethe key add-passphrase`")
        }
        try keystore.db.transaction {
            try Archive.addPassphraseSlot(keystore, archiveID: archiveID, masterKey: masterKey, passphrase: passphrase, profile: profile,
                                          now: Int64(Date().timeIntervalSince1970))
            try keystore.deleteSlot(unlockedSlot)
        }
    }

    /// Removes a slot; refuses to remove the last one.
    public func removeSlot(_ id: Int64) throws {
        precondition(mode == .write)
        let slots = try keystore.slots()
        guard slots.contains(where: { $0.id == id }) else { throw LetheError(.usage, "no key slot \(id)", hint: "`lethe key list` shows the slots") }
        guard slots.count > 1 else { throw LetheError(.usage, "slot \(id) is the last way to open this archive; add another before removing it") }
        try keystore.db.transaction { try keystore.deleteSlot(id) }
    }
}
