import Foundation

/// An open, unlocked archive: the façade the commands use.
///
/// An archive is a folder with `keys.db` (keystore), `data.db` (bulk ciphertext)
/// and `lock`. Opening it checks the format version, opens a key slot with the
/// offered secret (reading the keystore read-only, so a wrong secret changes no
/// file), then takes the lock and opens the files.
public final class Archive {
    public enum Mode: Sendable { case read, write }

    public let directory: URL
    public let mode: Mode
    /// The bucket scheme, as the authenticated manifest says (docs/FORMAT.md §2a).
    public internal(set) var scheme: BucketScheme
    /// The archive's format version (after any upgrade this open did).
    public internal(set) var formatVersion: Int64
    let archiveID: [UInt8]
    let keystore: Keystore
    let data: DataStore
    /// The master key; nil when a role key opened the archive (then `role` says which).
    let masterKeyIfFull: SecretKey?
    /// TK; nil for the retention role (it finds conversations by their views, never by a Slack id).
    let tagKeyIfAny: SecretKey?
    let integrityKey: IntegrityKey
    let directoryKeyIfFull: SecretKey?
    /// AK: keys the audit chain (docs/FORMAT.md §8).
    let auditKey: SecretKey
    /// ADK: seals audit details; nil for the import role (its entries have no sealed detail).
    let auditDetailKeyIfAny: SecretKey?
    /// DGK: keyed digests of messages and records (format 4, §2b); nil for the retention role.
    let digestKeyIfAny: SecretKey?
    /// The role key that opened the archive; nil when the full secret did.
    let role: RoleGrant?
    /// The keystore's authenticated state, kept current by every keystore write of this process.
    var manifest: Manifest!
    /// The manifest as it was when the import's transaction began (restored on rollback).
    var manifestAtBegin: Manifest?
    /// Keystore values that do not match the manifest, found at open (empty when intact).
    /// Readers read on with a warning; commands that write refuse (see `requireIntact`).
    public internal(set) var integrityProblems: [String] = []
    /// Records that could not be read during this run (damaged, or their key missing); the
    /// work went on without them. Commands name them and exit 8 at the end.
    public internal(set) var damaged: [DamagedRecord] = []
    /// Things this open did that the user should hear of (an interrupted forget dropped).
    public internal(set) var notes: [String] = []
    private var channelKeyCache: [Int64: SecretKey] = [:]
    /// Shreds begun but not finished, loaded when first needed.
    private var pendingPurges: Set<Purge>?
    /// Slack ids of the conversations whose records this process has read, for messages.
    var slackIDs: [Int64: String] = [:]
    private let lock: ArchiveLock
    /// The one zstd context of this archive (not thread-safe: the archive is used from one thread).
    let zstd = Zstd()
    /// What this open folded in of role-key imports (nil when it found nothing to fold).
    public internal(set) var compaction: CompactReport?
    /// Retention-view changes of the current write transaction, written by `commitWrite` (format 6).
    var pendingViews: [Int64: PendingView] = [:]
    /// The next delta segment's seq within this run (nil: not asked yet, or rolled back).
    var nextDeltaSeq: Int64?
    /// PK_retention, once computed.
    var retentionPublicKeyCache: [UInt8]?
    /// SK_retention, once unwrapped with MK (full key only).
    var retentionSecretKeyCache: SecretKey?
    /// The key slot the offered secret opened.
    public private(set) var unlockedSlot: Int64 = 0

    public var archiveIDHex: String { archiveID.hexString }

    private init(directory: URL, mode: Mode, scheme: BucketScheme, formatVersion: Int64, archiveID: [UInt8], keystore: Keystore, data: DataStore,
                 masterKey: SecretKey, lock: ArchiveLock) throws {
        self.directory = directory
        self.mode = mode
        self.scheme = scheme
        self.formatVersion = formatVersion
        self.archiveID = archiveID
        self.keystore = keystore
        self.data = data
        self.masterKeyIfFull = masterKey
        self.lock = lock
        self.tagKeyIfAny = KDF.subkey(of: masterKey, context: "tags")
        self.integrityKey = IntegrityKey(masterKey: masterKey)
        self.auditKey = KDF.subkey(of: masterKey, context: "audit")
        self.auditDetailKeyIfAny = KDF.subkey(of: masterKey, context: "audit detail")
        self.digestKeyIfAny = KDF.subkey(of: masterKey, context: "digest")
        self.role = nil
        guard let wrappedDK = try keystore.archiveKey("directory"),
              let dk = AEAD.unwrap(wrappedDK, under: masterKey, ad: Envelope.associatedData(.directoryKey, archiveID: archiveID))
        else { throw LetheError(.integrity, "keys.db: the directory key does not authenticate") }
        self.directoryKeyIfFull = dk
    }

    /// An archive opened by a role key: its material's keys, no master key.
    private init(directory: URL, mode: Mode, scheme: BucketScheme, formatVersion: Int64, archiveID: [UInt8], keystore: Keystore, data: DataStore,
                 grant: RoleGrant, lock: ArchiveLock) throws {
        guard grant.keys.count == (grant.role == .importer ? 6 : 4) else {
            throw LetheError(.integrity, "keys.db: role key \(grant.id)'s material holds \(grant.keys.count) keys, not what its role needs")
        }
        self.directory = directory
        self.mode = mode
        self.scheme = scheme
        self.formatVersion = formatVersion
        self.archiveID = archiveID
        self.keystore = keystore
        self.data = data
        self.masterKeyIfFull = nil
        self.lock = lock
        switch grant.role {
        case .importer:  // PK_import, PK_retention, TK, IK, AK, DGK
            self.tagKeyIfAny = grant.keys[2]
            self.integrityKey = IntegrityKey(key: grant.keys[3])
            self.auditKey = grant.keys[4]
            self.auditDetailKeyIfAny = nil
            self.digestKeyIfAny = grant.keys[5]
        case .retention:  // SK_retention, IK, AK, ADK
            self.tagKeyIfAny = nil
            self.integrityKey = IntegrityKey(key: grant.keys[1])
            self.auditKey = grant.keys[2]
            self.auditDetailKeyIfAny = grant.keys[3]
            self.digestKeyIfAny = nil
        }
        self.role = grant
        self.directoryKeyIfFull = nil
    }

    /// Whether a retention role key opened the archive (it plans from the retention views).
    public var isRetentionRole: Bool { role?.role == .retention }

    /// The master key, or a refusal when a role key opened the archive (a bug: the CLI
    /// refuses such commands before they run; this keeps one from ever reading garbage).
    var masterKey: SecretKey {
        get throws {
            guard let k = masterKeyIfFull else { throw Archive.roleCannot("open the master key") }
            return k
        }
    }

    /// TK. The retention role holds none and never asks: a path that did would be a bug.
    var tagKey: SecretKey {
        guard let k = tagKeyIfAny else { preconditionFailure("the retention role holds no tag key") }
        return k
    }

    /// DGK (format 4). The retention role holds none and never asks.
    var digestKey: SecretKey {
        guard let k = digestKeyIfAny else { preconditionFailure("the retention role holds no digest key") }
        return k
    }

    var directoryKey: SecretKey {
        get throws {
            guard let k = directoryKeyIfFull else { throw Archive.roleCannot("open the user directory") }
            return k
        }
    }

    static func roleCannot(_ what: String) -> LetheError {
        LetheError(.roleRefused, "this key's role does not allow that command: a role key cannot \(what)",
                   hint: "run the command with the archive's full secret")
    }

    // MARK: - Creating

    public struct InitOptions: Sendable {
        public var scheme: BucketScheme = .day
        public var kdf: KDFProfile = .moderate

        public init(scheme: BucketScheme = .day, kdf: KDFProfile = .moderate) {
            self.scheme = scheme
            self.kdf = kdf
        }
    }

    /// Creates a new archive folder. `credentials` decide which slots it gets.
    public static func create(at directory: URL, credentials: Credentials, options: InitOptions) throws {
        precondition(!credentials.isEmpty)
        let fm = FileManager.default
        let keysPath = directory.appendingPathComponent(Schema.keystoreFile).path
        let dataPath = directory.appendingPathComponent(Schema.dataFile).path
        if fm.fileExists(atPath: keysPath) {
            throw LetheError(.failure, "an archive already exists at \(directory.path)", hint: "choose another folder with --archive")
        }
        try fm.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for leftover in [dataPath, dataPath + "-wal", dataPath + "-shm", keysPath + ".tmp", keysPath + ".tmp-journal"] {
            try? fm.removeItem(atPath: leftover)  // remains of an interrupted init
        }
        let archiveID = Sodium.randomBytes(16)
        let masterKey = SecretKey.random()
        let directoryKey = SecretKey.random()
        let now = Int64(Date().timeIntervalSince1970)

        do {
            let db = try SQLiteDatabase(path: dataPath, options: [.readWrite, .create])
            // Segments are a few kilobytes each: 16 KiB pages keep them out of half-empty overflow pages.
            try db.execute("PRAGMA page_size=\(Schema.dataPageSize)")
            let store = try DataStore(db: db)
            try db.transaction {
                try db.execute(Schema.data)
                try store.setMeta("format_version", Array(String(Schema.formatVersion).utf8))
                try store.setMeta("archive_id", archiveID)
            }
        }
        let tmpPath = keysPath + ".tmp"
        do {
            let db = try SQLiteDatabase(path: tmpPath, options: [.readWrite, .create])
            let ks = try Keystore(db: db)
            try db.transaction {
                try db.execute(Schema.keystore)
                try ks.setMeta("format_version", Array(String(Schema.formatVersion).utf8))
                try ks.setMeta("archive_id", archiveID)
                try ks.setMeta("bucket_scheme", Array(options.scheme.rawValue.utf8))
                try ks.setMeta("created_at", Array(String(now).utf8))
                try ks.setArchiveKey("directory", AEAD.wrap(directoryKey, under: masterKey,
                                                            ad: Envelope.associatedData(.directoryKey, archiveID: archiveID)))
                if let keyFile = credentials.keyFile {
                    try addKeyFileSlot(ks, archiveID: archiveID, masterKey: masterKey, keyFile: keyFile, now: now)
                }
                if let passphrase = credentials.passphrase {
                    try addPassphraseSlot(ks, archiveID: archiveID, masterKey: masterKey, passphrase: passphrase, profile: options.kdf, now: now)
                }
                try createRoleKeypairs(ks, archiveID: archiveID, masterKey: masterKey)
                try ks.setMeta("next_cno", Array("1".utf8))
                let manifest = Manifest(formatVersion: Schema.formatVersion, scheme: options.scheme, createdAt: now, nextChannelNumber: 1,
                                        tombstones: RowSetDigest(), pendingPurges: RowSetDigest(), auditSeq: 0,
                                        auditHead: [UInt8](repeating: 0, count: 32))
                try storeManifest(manifest, in: ks, archiveID: archiveID, integrityKey: IntegrityKey(masterKey: masterKey))
            }
        }
        guard rename(tmpPath, keysPath) == 0 else {
            throw LetheError(.failure, "cannot create \(keysPath): \(String(cString: strerror(errno)))")
        }
        fsyncDirectory(directory)
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent(Schema.lockFile).path, contents: nil,
                                           attributes: [.posixPermissions: 0o600])
    }

    static func addPassphraseSlot(_ ks: Keystore, archiveID: [UInt8], masterKey: SecretKey, passphrase: Secret, profile: KDFProfile, now: Int64) throws {
        let id = try ks.nextSlotID()
        let salt = Sodium.randomBytes(KDF.saltBytes)
        let kek = try KDF.argon2id(passphrase: passphrase, salt: salt, opsLimit: profile.opsLimit, memLimit: profile.memLimit)
        let wrapped = AEAD.wrap(masterKey, under: kek, ad: Envelope.associatedData(.slot, archiveID: archiveID, id))
        try ks.insertSlot(.init(id: id, kind: "passphrase", salt: salt, opsLimit: profile.opsLimit, memLimit: profile.memLimit,
                                wrapped: wrapped, createdAt: now))
    }

    static func addKeyFileSlot(_ ks: Keystore, archiveID: [UInt8], masterKey: SecretKey, keyFile: SecretKey, now: Int64) throws {
        let id = try ks.nextSlotID()
        let kek = keyFileKEK(keyFile, archiveID: archiveID)
        let wrapped = AEAD.wrap(masterKey, under: kek, ad: Envelope.associatedData(.slot, archiveID: archiveID, id))
        try ks.insertSlot(.init(id: id, kind: "keyfile", salt: [], opsLimit: 0, memLimit: 0, wrapped: wrapped, createdAt: now))
    }

    static func keyFileKEK(_ keyFile: SecretKey, archiveID: [UInt8]) -> SecretKey {
        var bytes = KDF.keyedHash(key: keyFile, context: "lethe1 keyfile kek", archiveID)
        defer { Sodium.wipe(&bytes) }
        return bytes.withUnsafeBytes { SecretKey.copying($0) }
    }

    // MARK: - Opening

    /// Opens and unlocks an archive. `command` is recorded in the lock for other processes to see.
    /// `roles` are the roles whose keys may run this command (docs/SECURITY.md "Role keys"):
    /// a role key of another role is refused (`roleRefused`, exit 12) before anything is
    /// locked, upgraded or written.
    public static func open(at directory: URL, credentials: Credentials, mode: Mode, command: String, waitSeconds: Double = 0,
                            roles: Set<Role> = []) throws -> Archive {
        try open(at: directory, credentials: credentials, unlocked: nil, mode: mode, command: command, waitSeconds: waitSeconds, roles: roles)
    }

    /// Lets go of this reader's lock and opens the archive again for writing with the master
    /// key it holds (no second unlock: no Argon2id, no prompt), waiting up to `waitSeconds` for
    /// the exclusive lock. For a job that reads for long and writes one short transaction at
    /// the end (a production's audit entry), so that it never holds an import up while it reads.
    /// The reader must not be used to read after this.
    public func reopenForWriting(command: String, waitSeconds: Double) throws -> Archive {
        // End this connection's reads first: a statement left unreset keeps SQLite's shared
        // lock on keys.db, and the writer's commit would wait for it.
        keystore.db.resetAll()
        data.db.resetAll()
        lock.release()
        let writer = try Archive.open(at: directory, credentials: Credentials(), unlocked: (masterKey, unlockedSlot), mode: .write,
                                      command: command, waitSeconds: waitSeconds)
        guard writer.archiveID == archiveID else {
            throw LetheError(.integrity, "\(directory.path) holds another archive than the one this command read",
                             hint: "nothing was recorded; run the command again")
        }
        return writer
    }

    private static func open(at directory: URL, credentials: Credentials, unlocked: (SecretKey, Int64)?, mode: Mode, command: String,
                             waitSeconds: Double, roles: Set<Role> = []) throws -> Archive {
        let (keysPath, dataPath) = try files(of: directory)
        guard unlocked != nil || credentials.isEmpty == false else {
            throw LetheError(.usage, "no secret given", hint: "set LETHE_PASSPHRASE, or pass --passphrase-file FILE or --key-file FILE")
        }

        // 1. Read the keystore without writing anything, and find the master key.
        let hotJournal = FileManager.default.fileExists(atPath: keysPath + "-journal")
        var keysDB = try SQLiteDatabase(path: keysPath, options: hotJournal ? [.readWrite] : [.readOnly])
        var keystore = try Keystore(db: keysDB)
        let (version, archiveID, metaScheme) = try readHeader(keystore, path: keysPath)
        var grant: RoleGrant? = nil
        if unlocked == nil, let roleKey = credentials.roleKey {
            // A role key opens its role's material only (never the master key), and only for
            // the commands its role allows; either refusal comes before any lock or write.
            let opened = try unlockRole(keystore, archiveID: archiveID, version: version, key: roleKey)
            grant = opened
            guard roles.contains(opened.role) else {
                let allowed = opened.role == .importer ? "`lethe import`" : "`lethe retention plan|apply`, `lethe policy check` and `lethe audit`"
                throw LetheError(.roleRefused, "this key's role does not allow that command: role key \(opened.id) is \(opened.role == .importer ? "an import" : "a retention") key, which may run only \(allowed)",
                                 hint: "run `\(command)` with the archive's full secret (passphrase or full key file); nothing was read or changed")
            }
            if opened.role == .retention && version < 6 {
                throw LetheError(.failure, "this archive is in format \(version): the retention role needs format 6's retention views, which the first command run with the full secret writes",
                                 hint: "run any command (e.g. `lethe verify`) with the full secret once; nothing was read or changed")
            }
            if try keystore.meta("pending_forget") != nil {
                throw LetheError(.failure, "a `lethe forget` is unfinished: the next command run with the full secret finishes it",
                                 hint: "run any command with the full secret, then import again; nothing was read or changed")
            }
        }
        var masterKey: SecretKey? = nil, slotID: Int64 = 0
        if grant == nil { (masterKey, slotID) = try unlocked ?? unlock(keystore, archiveID: archiveID, credentials: credentials) }
        // Work a reader finishes when it can have the archive to itself: a shred's ciphertext,
        // a forget, role-key imports to fold in. (A role key finishes none of them.)
        let hasPending = try grant == nil && (!keystore.pendingPurges().isEmpty || keystore.meta("pending_forget") != nil
                                             || (version >= 4 && deltasPending(keystore)))
        // End the read: a statement left unreset keeps a shared lock on keys.db, and a
        // process waiting for the archive lock below must not block the holder's commit.
        keysDB.resetAll()

        // 2. Lock, then open for real.
        let needsUpgrade = version < Schema.formatVersion
        let (lock, writable) = try takeLock(directory, mode: mode, command: command, waitSeconds: waitSeconds,
                                            hasPending: hasPending, needsUpgrade: needsUpgrade)
        if needsUpgrade && !writable {
            throw LetheError(.locked, "\(keysPath) is in format \(version); the first run of this lethe upgrades it to format \(Schema.formatVersion) and needs the archive to itself, but another lethe process is using it",
                             hint: "run the command again when the other process is done")
        }
        if writable {
            if !hotJournal {
                keysDB = try SQLiteDatabase(path: keysPath, options: [.readWrite])
                keystore = try Keystore(db: keysDB)
            }
            // A journal a killed process left: SQLite rolls a hot one back on the first read;
            // what is left of it (a committed transaction's old pages) is zeroed.
            _ = try keystore.meta("format_version")
            keysDB.resetAll()
            Keystore.scrubJournal(at: keysPath + "-journal")
        }
        let (data, dataVersion) = try openData(dataPath, keysPath: keysPath, keysVersion: version, archiveID: archiveID, needsUpgrade: needsUpgrade)

        if let grant {
            // A role key: no upgrade to run (role keys exist from format 4 on, the retention role
            // needs format 6), nothing of another run to finish; the manifest checked under IK
            // before anything is written or decided.
            guard dataVersion >= version else {
                throw LetheError(.failure, "\(dataPath) is not yet upgraded to format \(version): the next command run with the full secret finishes it",
                                 hint: "run any command with the full secret, then import again; nothing was changed")
            }
            let archive = try Archive(directory: directory, mode: mode, scheme: metaScheme, formatVersion: version, archiveID: archiveID,
                                  keystore: keystore, data: data, grant: grant, lock: lock)
            try archive.checkManifest(full: true)
            try archive.requireIntact()
            return archive
        }
        guard let masterKey else { throw LetheError(.failure, "internal: no key opened the archive") }

        // 3. Upgrade, check the manifest, finish an interrupted shred, fold role-key imports in.
        let archive = try Archive(directory: directory, mode: mode, scheme: metaScheme, formatVersion: version, archiveID: archiveID,
                                  keystore: keystore, data: data, masterKey: masterKey, lock: lock)
        archive.unlockedSlot = slotID
        if needsUpgrade { try archive.upgrade() }
        if dataVersion < archive.formatVersion { try archive.finishDataUpgrade(from: dataVersion) }
        try archive.checkManifest(full: writable)
        if mode == .write { try archive.requireIntact() }
        if writable && archive.integrityProblems.isEmpty {
            if let note = try archive.recoverForget() { archive.notes.append(note) }
            do {
                try archive.finishPendingPurges()
            } catch let e as LetheError where e.kind == .noSpace && mode == .read {
                // A reader offered to finish an interrupted shred but the disk is full: the keys
                // are already gone, so it reads on; the next run with room removes the ciphertext.
            }
            if archive.formatVersion >= 4, try deltasPending(keystore) {
                let r = try archive.compact()
                archive.compaction = r
                if !r.isEmpty {
                    archive.notes.append("folded in what role-key imports wrote: \(r.deltaSegments) delta segments into \(r.buckets) buckets (\(r.messagesAdded) messages added, \(r.messagesUpdated) updated), \(r.records) records")
                }
            }
        } else if archive.formatVersion >= 4, try deltasPending(keystore) {
            archive.notes.append("role-key imports are not folded in yet (another lethe process is using the archive): what they wrote is not shown by this run; run it again when the archive is free")
        }
        return archive
    }

    /// The paths of keys.db and data.db, once the folder is known to hold an archive.
    private static func files(of directory: URL) throws -> (keys: String, data: String) {
        let fm = FileManager.default
        let keysPath = directory.appendingPathComponent(Schema.keystoreFile).path
        let dataPath = directory.appendingPathComponent(Schema.dataFile).path
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw LetheError(.noArchive, "no archive at \(directory.path): the folder does not exist",
                             hint: "create one with `lethe init`, or point --archive / LETHE_ARCHIVE at it")
        }
        guard fm.fileExists(atPath: keysPath) else {
            throw LetheError(.noArchive, "no archive at \(directory.path): \(Schema.keystoreFile) is missing",
                             hint: "create one with `lethe init`, or point --archive / LETHE_ARCHIVE at it")
        }
        guard fm.fileExists(atPath: dataPath) else {
            throw LetheError(.integrity, "\(dataPath) is missing: the archive's bulk file is gone",
                             hint: "restore data.db from a backup; keys.db alone holds no messages")
        }
        return (keysPath, dataPath)
    }

    /// The archive lock for `mode`. A reader that finds an interrupted shred, or an archive of
    /// an older format, takes the lock exclusively when it can, to finish or upgrade; then it
    /// may write (`writable`).
    private static func takeLock(_ directory: URL, mode: Mode, command: String, waitSeconds: Double,
                                 hasPending: Bool, needsUpgrade: Bool) throws -> (ArchiveLock, writable: Bool) {
        if mode == .read && (hasPending || needsUpgrade) {
            let why = needsUpgrade ? " (upgrading the archive to format \(Schema.formatVersion))" : " (finishing a shred)"
            if let exclusive = try? ArchiveLock(directory: directory, mode: .exclusive, command: command + why, waitSeconds: 0) {
                return (exclusive, true)
            }
        }
        let lock = try ArchiveLock(directory: directory, mode: mode == .write ? .exclusive : .shared, command: command, waitSeconds: waitSeconds)
        return (lock, mode == .write)
    }

    /// Opens data.db and checks that it belongs with keys.db.
    private static func openData(_ dataPath: String, keysPath: String, keysVersion: Int64, archiveID: [UInt8],
                                 needsUpgrade: Bool) throws -> (DataStore, version: Int64) {
        let data = try DataStore(db: try SQLiteDatabase(path: dataPath, options: [.readWrite]))
        guard let dataVersion = try data.meta("format_version").flatMap({ Int64(String(decoding: $0, as: UTF8.self)) }) else {
            throw LetheError(.integrity, "\(dataPath) is not a lethe data file")
        }
        guard dataVersion <= Schema.formatVersion else {
            throw LetheError(.formatTooNew, "\(dataPath) was written by a newer lethe (format \(dataVersion); this lethe reads up to \(Schema.formatVersion))",
                             hint: "upgrade lethe")
        }
        guard dataVersion >= Schema.oldestFormatVersion, dataVersion <= keysVersion || needsUpgrade else {
            throw LetheError(.integrity, "\(dataPath) says format \(dataVersion), \(keysPath) says \(keysVersion): one of them was altered")
        }
        guard let dataArchiveID = try data.meta("archive_id"), dataArchiveID == archiveID else {
            throw LetheError(.integrity, "\(dataPath) belongs to another archive than \(keysPath)",
                             hint: "data.db and keys.db must come from the same archive")
        }
        return (data, dataVersion)
    }

    private static func readHeader(_ ks: Keystore, path: String) throws -> (version: Int64, id: [UInt8], scheme: BucketScheme) {
        let version: Int64?
        do {
            version = try ks.meta("format_version").flatMap { Int64(String(decoding: $0, as: UTF8.self)) }
        } catch {
            throw LetheError(.integrity, "\(path) is not a lethe keystore (\(error))")
        }
        guard let version else { throw LetheError(.integrity, "\(path) is not a lethe keystore: no format version") }
        guard version <= Schema.formatVersion else {
            throw LetheError(.formatTooNew, "\(path) was written by a newer lethe (format \(version); this lethe reads up to \(Schema.formatVersion))",
                             hint: "upgrade lethe; this binary will not touch the archive")
        }
        guard version >= Schema.oldestFormatVersion else {
            throw LetheError(.integrity, "\(path): format_version \(version) is not a version lethe ever wrote (altered or damaged)")
        }
        guard let id = try ks.meta("archive_id"), id.count == 16,
              let schemeName = try ks.meta("bucket_scheme"),
              let scheme = BucketScheme(rawValue: String(decoding: schemeName, as: UTF8.self))
        else { throw LetheError(.integrity, "\(path): archive header is damaged") }
        return (version, id, scheme)
    }

    private static func unlock(_ ks: Keystore, archiveID: [UInt8], credentials: Credentials) throws -> (SecretKey, Int64) {
        let slots = try ks.slots()
        if let keyFile = credentials.keyFile {
            let kek = keyFileKEK(keyFile, archiveID: archiveID)
            for slot in slots where slot.kind == "keyfile" || slot.kind == "recovery" {
                if let mk = AEAD.unwrap(slot.wrapped, under: kek, ad: Envelope.associatedData(.slot, archiveID: archiveID, slot.id)) {
                    return (mk, slot.id)
                }
            }
        }
        var refused: [String] = []
        if let passphrase = credentials.passphrase {
            for slot in slots where slot.kind == "passphrase" {
                guard slot.salt.count == KDF.saltBytes else { continue }
                // Checked before Argon2id runs: limits set to 2^32-1 would make unlock hang for days.
                guard KDF.acceptableOpsLimit.contains(slot.opsLimit), KDF.acceptableMemLimit.contains(slot.memLimit) else {
                    refused.append("slot \(slot.id) asks Argon2id for \(slot.opsLimit) passes over \(slot.memLimit >> 20) MiB, outside what lethe ever writes (passes \(KDF.acceptableOpsLimit), memory up to \(KDF.acceptableMemLimit.upperBound >> 20) MiB)")
                    continue
                }
                let kek = try KDF.argon2id(passphrase: passphrase, salt: slot.salt, opsLimit: slot.opsLimit, memLimit: slot.memLimit)
                if let mk = AEAD.unwrap(slot.wrapped, under: kek, ad: Envelope.associatedData(.slot, archiveID: archiveID, slot.id)) {
                    return (mk, slot.id)
                }
            }
        }
        if !refused.isEmpty {
            throw LetheError(.integrity, "keys.db: " + refused.joined(separator: "; ") + ": the slot was altered",
                             hint: "open the archive with another slot (a key file), or restore keys.db from a backup")
        }
        let what: String
        switch (credentials.passphrase != nil, credentials.keyFile != nil) {
        case (true, true): what = "neither the passphrase nor the key file opens"
        case (false, true): what = slots.contains { $0.kind == "keyfile" } ? "the key file does not open" : "the key file does not open (it has no key-file slot)"
        default: what = slots.contains { $0.kind == "passphrase" } ? "the passphrase does not open" : "the passphrase does not open (it has no passphrase slot)"
        }
        throw LetheError(.wrongSecret, "\(what) this archive",
                         hint: "check LETHE_PASSPHRASE / --passphrase-file / --key-file; no file of the archive was changed")
    }

    // MARK: - Keys

    func channelTag(_ slackID: String) -> [UInt8] { KDF.keyedHash(key: tagKey, context: "channel", Array(slackID.utf8)) }
    func userTag(_ slackID: String) -> [UInt8] { KDF.keyedHash(key: tagKey, context: "user", Array(slackID.utf8)) }

    /// How messages name a conversation: its Slack id once its record has been read, else
    /// its keystore row (the only thing known of a conversation whose key does not open).
    func slackID(cno: Int64) -> String { slackIDs[cno] ?? "(keys.db conversation row \(cno))" }

    /// The key of conversation `cno`, unwrapped once and cached.
    func channelKey(cno: Int64) throws -> SecretKey {
        if let k = channelKeyCache[cno] { return k }
        guard let row = try keystore.channelKey(cno: cno) else {
            throw LetheError(.integrity, "channel \(slackID(cno: cno)): its key is missing from keys.db")
        }
        // A conversation a role-key import made has its key sealed to the archive (format 4):
        // the master key's holder opens it with SK_import; the import role cannot.
        let ad = channelKeyAD(cno: cno, tag: row.tag)
        let opened = SealedKey.isSealed(row.wrapped) ? try openSealedKey(row.wrapped, ad: ad) : AEAD.unwrap(row.wrapped, under: try masterKey, ad: ad)
        guard let key = opened else {
            throw LetheError(.integrity, "channel \(slackID(cno: cno)): its wrapped key does not authenticate with its tag (keys.db altered: tags swapped, or the row damaged)")
        }
        channelKeyCache[cno] = key
        return key
    }

    func channelKeyCache(remove cno: Int64) { channelKeyCache[cno] = nil }

    func channelKeyAD(cno: Int64, tag: [UInt8]) -> [UInt8] {
        Envelope.channelKeyAD(archiveID: archiveID, cno: cno, tag: tag, formatVersion: formatVersion)
    }

    /// The conversation number for a Slack conversation id, making it and its key on first sight.
    func ensureChannel(slackID: String) throws -> (cno: Int64, created: Bool) {
        let tag = channelTag(slackID)
        if let row = try keystore.channel(tag: tag) { return (row.cno, false) }
        let cno = try keystore.nextChannelNumber()
        let key = SecretKey.random()
        // A role-key import seals the new key to the archive: it forgets it when it exits.
        let ad = channelKeyAD(cno: cno, tag: tag)
        try keystore.insertChannel(cno: cno, tag: tag, wrapped: role == nil ? AEAD.wrap(key, under: try masterKey, ad: ad) : try sealToArchive(key, ad: ad))
        manifest.nextChannelNumber = cno + 1
        channelKeyCache[cno] = key
        slackIDs[cno] = slackID
        return (cno, true)
    }

    /// The key of one bucket; nil when it has none (never written, or shredded).
    func bucketKey(_ ref: BucketRef) throws -> SecretKey? {
        guard let wrapped = try keystore.bucketKey(ref) else { return nil }
        return try unwrapBucketKey(wrapped, at: ref)
    }

    /// The key to read a bucket whose ciphertext is in data.db. nil only when a shred of it
    /// is pending (its ciphertext is about to go); a key missing otherwise is damage, not
    /// absence: keys.db older than data.db, or a deleted row. Reading on would hide messages.
    func readableBucketKey(_ ref: BucketRef) throws -> SecretKey? {
        if let key = try bucketKey(ref) { return key }
        let pending = try pendingPurges ?? Set(keystore.pendingPurges())
        pendingPurges = pending
        if pending.contains(.bucket(ref)) || pending.contains(.conversation(cno: ref.cno)) { return nil }
        throw LetheError(.integrity, "channel \(slackID(cno: ref.cno)), bucket \(scheme.label(of: ref.bucket)): ciphertext present but its key is missing",
                         hint: "keys.db may be older than data.db (restored from different backups?); run `lethe verify`")
    }

    func unwrapBucketKey(_ wrapped: [UInt8], at ref: BucketRef) throws -> SecretKey {
        let ck = try channelKey(cno: ref.cno)
        guard let key = AEAD.unwrap(wrapped, under: ck, ad: Envelope.associatedData(.bucketKey, archiveID: archiveID, ref.cno, ref.bucket)) else {
            throw LetheError(.integrity, "channel \(slackID(cno: ref.cno)), bucket \(scheme.label(of: ref.bucket)): its wrapped key does not authenticate")
        }
        return key
    }

    func createBucketKey(_ ref: BucketRef) throws -> SecretKey {
        let key = SecretKey.random()
        let ck = try channelKey(cno: ref.cno)
        try keystore.insertBucketKey(ref, wrapped: AEAD.wrap(key, under: ck, ad: Envelope.associatedData(.bucketKey, archiveID: archiveID, ref.cno, ref.bucket)))
        return key
    }

    // MARK: - Sealed records (zstd, then AEAD; the archive's own zstd context)

    func sealSegment(_ segment: Segment, at ref: BucketRef, key: SecretKey) -> [UInt8] {
        sealSegment(segment, at: ref, key: key, zstd: zstd)
    }

    /// The same with a given zstd context: one per thread when sealing on several.
    func sealSegment(_ segment: Segment, at ref: BucketRef, key: SecretKey, zstd: Zstd) -> [UInt8] {
        var plain = segment.encoded()
        defer { Sodium.wipe(&plain) }
        // Format 5: with the built-in dictionary (FORMAT.md §4a). An archive is upgraded at
        // open, before anything is written, so every segment written now is in format 5.
        var compressed = zstd.compress(plain, dictionary: ZstdDictionary.current)
        defer { Sodium.wipe(&compressed) }
        let ad = Envelope.associatedData(.segment, archiveID: archiveID, ref.cno, ref.bucket, Int64(segment.messages.count))
        return AEAD.seal(compressed, header: Envelope.Encoding.zstdDictionarySegment.rawValue, ad: ad, key: key)
    }

    /// Opens a segment row; throws an integrity error naming the conversation and bucket when it fails.
    func openSegment(_ row: DataStore.SegmentRow, key: SecretKey, label: String) throws -> Segment {
        let place = "channel \(label), bucket \(scheme.label(of: row.bucket))"
        let ad = Envelope.associatedData(.segment, archiveID: archiveID, row.cno, row.bucket, row.messages)
        do {
            return try SealedRecord.openSegment(row.body, ad: ad, key: key, messages: row.messages, zstd: zstd)
        } catch .notAuthentic {
            throw LetheError(.integrity, "\(place): ciphertext does not authenticate (tampered, truncated or moved)")
        } catch .badEncoding {
            throw LetheError(.integrity, "\(place): authenticated but not a valid segment (unknown encoding)")
        } catch .malformed {
            throw LetheError(.integrity, "\(place): authenticated but malformed segment")
        }
    }

    func sealRecord(_ plain: [UInt8], ad: [UInt8], key: SecretKey) -> [UInt8] {
        var compressed = zstd.compress(plain)
        defer { Sodium.wipe(&compressed) }
        return AEAD.seal(compressed, header: Envelope.Encoding.zstdJSON.rawValue, ad: ad, key: key)
    }

    func openRecord(_ body: [UInt8], ad: [UInt8], key: SecretKey, what: String) throws -> [UInt8] {
        do {
            return try SealedRecord.openRecord(body, ad: ad, key: key, zstd: zstd)
        } catch .notAuthentic {
            throw LetheError(.integrity, "\(what): ciphertext does not authenticate (tampered, truncated or moved)")
        } catch {
            throw LetheError(.integrity, "\(what): authenticated but malformed")
        }
    }

    func channelRecordAD(_ cno: Int64) -> [UInt8] { Envelope.associatedData(.channelMeta, archiveID: archiveID, cno) }
    func userRecordAD(_ uno: Int64) -> [UInt8] { Envelope.associatedData(.user, archiveID: archiveID, uno) }

    // MARK: - Maintenance

    /// Deletes the ciphertext of shredded buckets (keys already destroyed in keys.db),
    /// and rebuilds the search filters of their epochs from what remains, so no
    /// term of a shredded message stays in the index. Runs after every shred, and
    /// at open for writing to finish one that was interrupted.
    func finishPendingPurges() throws {
        let pending = try keystore.pendingPurges()
        guard !pending.isEmpty else { return }
        try data.db.transaction {
            var epochs = Set<FilterRef>()
            var whole = Set<Int64>()
            for p in pending {
                switch p {
                case .conversation(let cno):
                    whole.insert(cno)
                    for s in try data.segmentIndex(cno: cno) { try data.deleteSegment(s.ref) }
                    try data.deleteFilters(cno: cno)
                    try data.deleteChannel(cno: cno)
                case .bucket(let ref):
                    try data.deleteSegment(ref)
                    epochs.insert(FilterRef(cno: ref.cno, epoch: ref.epoch))
                }
            }
            // The retention role cannot rebuild filters (sealed under channel keys): the purge
            // notes stay, and the next full-key command that has the archive to itself rebuilds
            // them without the shredded buckets' terms, then clears the notes.
            guard role == nil else { return }
            for e in epochs.sorted() where !whole.contains(e.cno) { try rebuildFilter(e) }
        }
        try data.checkpointTruncate()
        guard role == nil else { return }
        try writeKeystore { try clearPendingPurges() }
    }

    /// Sizes of the archive's files, by name.
    public func fileSizes() -> [String: Int64] {
        var out: [String: Int64] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for n in names {
            if let attrs = try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(n).path),
               let size = attrs[.size] as? NSNumber {
                out[n] = size.int64Value
            }
        }
        return out
    }
}

func fsyncDirectory(_ url: URL) {
    let fd = open(url.path, O_RDONLY)
    if fd >= 0 {
        fsync(fd)
        close(fd)
    }
}
