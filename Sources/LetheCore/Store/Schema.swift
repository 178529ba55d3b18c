/// The two SQLite files of an archive and their schemas (format version 2; version 1 had the same tables).
///
/// `keys.db` (the keystore) holds everything that must follow the retention
/// schedule: key slots, wrapped channel and bucket keys, tombstones and the audit
/// chain. It is small and uses a rollback journal with `synchronous=FULL`.
/// `data.db` (the bulk) holds only ciphertext and the counts listed in
/// docs/SECURITY.md; it can be backed up freely. It uses WAL.
enum Schema {
    static let formatVersion: Int64 = 9
    /// The oldest format this binary opens (and upgrades, see `Archive.upgrade`).
    static let oldestFormatVersion: Int64 = 1
    static let keystoreFile = "keys.db"
    static let dataFile = "data.db"
    static let lockFile = "lock"
    /// data.db's page size, set at creation (measured: 4 KiB pages left 18 % of the file in overflow slack).
    static let dataPageSize = 16384

    static let keystore = """
        CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);
        CREATE TABLE slots(
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('passphrase', 'keyfile', 'recovery')),
            salt BLOB,
            ops_limit INTEGER,
            mem_limit INTEGER,
            wrapped BLOB NOT NULL,
            created_at INTEGER NOT NULL);
        CREATE TABLE archive_keys(name TEXT PRIMARY KEY, wrapped BLOB NOT NULL);
        CREATE TABLE channel_keys(
            cno INTEGER PRIMARY KEY,
            tag BLOB NOT NULL UNIQUE,
            wrapped BLOB NOT NULL);
        CREATE TABLE bucket_keys(
            cno INTEGER NOT NULL,
            bucket INTEGER NOT NULL,
            wrapped BLOB NOT NULL,
            PRIMARY KEY (cno, bucket)) WITHOUT ROWID;
        CREATE TABLE tombstones(
            tag BLOB NOT NULL,
            bucket INTEGER NOT NULL,
            shredded_at INTEGER NOT NULL,
            rule TEXT NOT NULL,
            PRIMARY KEY (tag, bucket)) WITHOUT ROWID;
        CREATE TABLE pending_purge(
            cno INTEGER NOT NULL,
            bucket INTEGER NOT NULL,
            PRIMARY KEY (cno, bucket)) WITHOUT ROWID;
        CREATE TABLE audit(
            seq INTEGER PRIMARY KEY,
            entry TEXT NOT NULL,
            hash BLOB NOT NULL);
        """ + keystoreV3 + keystoreV4 + keystoreV6

    /// Tables format 3 added (`lethe forget`): per-message tombstones, and the new keys of
    /// buckets being rewritten. Created by `init`, and by the upgrade from format 2.
    static let keystoreV3 = """
        CREATE TABLE forgotten(
            ctag BLOB NOT NULL,
            mtag BLOB NOT NULL,
            PRIMARY KEY (ctag, mtag)) WITHOUT ROWID;
        CREATE TABLE rewrite_keys(
            cno INTEGER NOT NULL,
            bucket INTEGER NOT NULL,
            wrapped BLOB NOT NULL,
            PRIMARY KEY (cno, bucket)) WITHOUT ROWID;
        """

    /// What format 4 added (least-privilege role keys, docs/FORMAT.md §2b): one row per
    /// issued role key; `wrapped` is the role's material under the role key's KEK, emptied
    /// when the key is revoked. Created by `init`, and by the upgrade from format 3.
    static let keystoreV4 = """
        CREATE TABLE role_keys(
            id INTEGER PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('import', 'retention')),
            created_at INTEGER NOT NULL,
            revoked_at INTEGER,
            wrapped BLOB NOT NULL);
        CREATE TABLE delta_keys(
            cno INTEGER NOT NULL,
            bucket INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            sealed BLOB NOT NULL,
            PRIMARY KEY (cno, bucket, seq)) WITHOUT ROWID;
        """

    /// What format 6 added (the retention role, docs/FORMAT.md §2d): per conversation a base
    /// view (seq 0) and role-key imports' delta views, each sealed to PK_retention; the
    /// manifest's digest covers every row (MACs under IK). In keys.db, not data.db: a shred deletes a
    /// bucket's entry with its keys, under the retention schedule keys.db follows.
    static let keystoreV6 = """
        CREATE TABLE retention_views(
            cno INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            sealed BLOB NOT NULL,
            PRIMARY KEY (cno, seq)) WITHOUT ROWID;
        """

    /// data.db tables format 4 added: what role-key imports write (delta segments, sealed
    /// records) and the keyed digests that let them skip what the archive already holds.
    /// Created by `init`, and by the data step of the upgrade from format 3 (IF NOT EXISTS:
    /// that step is repeated until it is done).
    static let dataV4 = """
        CREATE TABLE IF NOT EXISTS deltas(
            cno INTEGER NOT NULL,
            bucket INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            messages INTEGER NOT NULL,
            body BLOB NOT NULL,
            PRIMARY KEY (cno, bucket, seq));
        CREATE TABLE IF NOT EXISTS record_deltas(
            seq INTEGER PRIMARY KEY,
            kind INTEGER NOT NULL,
            cno INTEGER NOT NULL,
            body BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS digests(
            cno INTEGER NOT NULL,
            bucket INTEGER NOT NULL,
            digest BLOB NOT NULL,
            PRIMARY KEY (cno, bucket, digest)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS record_digests(digest BLOB PRIMARY KEY) WITHOUT ROWID;
        """

    /// data.db tables format 7 added (attachments, docs/FORMAT.md §4b): per bucket its sealed
    /// attachment index, and the sealed chunks of its blobs. Created by `init`, and by the data
    /// step of the upgrade from format 6.
    static let dataV7 = """
        CREATE TABLE IF NOT EXISTS attachments(
            cno INTEGER NOT NULL,
            bucket INTEGER NOT NULL,
            blobs INTEGER NOT NULL,
            body BLOB NOT NULL,
            PRIMARY KEY (cno, bucket));
        CREATE TABLE IF NOT EXISTS attachment_chunks(
            cno INTEGER NOT NULL,
            bucket INTEGER NOT NULL,
            blob INTEGER NOT NULL,
            n INTEGER NOT NULL,
            body BLOB NOT NULL,
            PRIMARY KEY (cno, bucket, blob, n));
        """

    static let data = """
        CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);
        CREATE TABLE channels(cno INTEGER PRIMARY KEY, record BLOB NOT NULL);
        CREATE TABLE users(uno INTEGER PRIMARY KEY, tag BLOB NOT NULL UNIQUE, record BLOB NOT NULL);
        CREATE TABLE segments(
            cno INTEGER NOT NULL,
            bucket INTEGER NOT NULL,
            messages INTEGER NOT NULL,
            body BLOB NOT NULL,
            PRIMARY KEY (cno, bucket));
        CREATE TABLE filters(
            epoch INTEGER NOT NULL,
            cno INTEGER NOT NULL,
            body BLOB NOT NULL,
            PRIMARY KEY (epoch, cno));
        """ + dataV4 + dataV7

    /// Pragmas set on every connection. `secure_delete` is set explicitly: distro defaults differ.
    /// keys.db's journal is PERSIST, not DELETE: the keystore zeroes it after each commit before removing it
    /// (`Keystore.scrubJournal`), so no freed block keeps a page with a destroyed wrapped key.
    static let keystorePragmas = "PRAGMA secure_delete=ON; PRAGMA journal_mode=PERSIST; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;"
    static let dataPragmas = "PRAGMA secure_delete=ON; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-16000;"
}
