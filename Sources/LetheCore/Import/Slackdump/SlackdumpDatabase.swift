import CSQLite
import Foundation

/// slackdump's SQLite archive (`slackdump archive`, v3.1+: `slackdump.sqlite`, its files
/// beside it under `__uploads/<FILE_ID>/<name>`). Read-only and defensive: opened with
/// SQLITE_OPEN_READONLY and `query_only`, with triggers, views and the schema's functions
/// distrusted, and the tables checked before anything is read. Every record is a row of a
/// `CHUNK` (one API response); a record fetched again is in a later chunk, so the row of the
/// highest `CHUNK_ID` is the one kept. Messages are the rows of history (type 0) and thread
/// (type 1) chunks; channels the `CHANNEL` rows of channel-info chunks (5), else of channel
/// lists (4); users the `S_USER` rows.
final class SlackdumpDatabase: SlackdumpReader {
    let shape = SlackdumpShape.database
    let path: String
    let limits: ImportLimits
    private(set) var index = SlackdumpIndex()
    private let db: SQLiteDatabase
    private var bytesRead: Int64 = 0

    /// The columns read, per table (the file must have them, or it is not slackdump's).
    static let required: [String: [String]] = [
        "CHUNK": ["ID", "TYPE_ID", "CHANNEL_ID"],
        "MESSAGE": ["ID", "CHUNK_ID", "CHANNEL_ID", "TS", "DATA"],
        "CHANNEL": ["ID", "CHUNK_ID", "DATA"],
        "S_USER": ["ID", "CHUNK_ID", "DATA"],
    ]
    /// Tables of what is not archived, and why (listed with their row counts when not empty).
    /// (A file row of a message repeats the message's `files[]`, which is kept: not listed.)
    static let notArchived: [(table: String, rows: String, what: String)] = [
        ("SEARCH_MESSAGE", "", "search results (messages, copies of what a search found)"),
        ("SEARCH_FILE", "", "search results (files)"),
        ("WORKSPACE", "", "the workspace and account slackdump ran as (auth.test)"),
        ("CHANNEL_USER", "", "channel member lists (the conversations' objects are kept as slackdump listed them)"),
        ("FILE", " WHERE MESSAGE_ID IS NULL", "file records of no message (a channel's canvas)"),
    ]

    init(path: String, displayName: String, limits: ImportLimits) throws {
        self.path = path
        self.limits = limits
        do {
            db = try SQLiteDatabase(path: SlackdumpDatabase.uri(path), options: [.readOnly, .uri])
        } catch {
            throw LetheError(.badInput, "\(displayName): a SQLite file that cannot be opened read-only: \(error)")
        }
        guard csqlite_harden_foreign(db.handle) == SQLITE_OK else { throw LetheError(.failure, "\(displayName): SQLite refused the defensive settings") }
        do {
            try db.execute("PRAGMA query_only = 1")
            try checkSchema(displayName)
            try readChannels()
            try readUsers()
            try readDays()
            try listUnread(displayName)
        } catch let e as LetheError where e.kind == .failure {
            throw LetheError(.badInput, "\(displayName): \(e.message)")
        }
    }

    /// How the database is opened: as an immutable file (no lock, no `-shm` or `-wal` made beside
    /// it, nothing written to the user's folder) unless a `-wal` beside it holds records slackdump
    /// has not yet moved into the database; then as a read-only WAL reader, which needs its `-shm`.
    static func uri(_ path: String) -> String {
        var escaped = ""
        for c in path.unicodeScalars {
            switch c {
            case "%": escaped += "%25"
            case "?": escaped += "%3F"
            case "#": escaped += "%23"
            default: escaped.unicodeScalars.append(c)
            }
        }
        let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int ?? 0
        return "file:" + escaped + (wal > 0 ? "?mode=ro" : "?immutable=1")
    }

    private func checkSchema(_ displayName: String) throws {
        var columns: [String: Set<String>] = [:]
        let tables = try SQLiteDatabase.Uncached(db, "SELECT name FROM sqlite_master WHERE type = 'table'").statement
        var names: [String] = []
        while try tables.step() { names.append(tables.text(0)) }
        for name in names where SlackdumpDatabase.required[name] != nil {
            let info = try SQLiteDatabase.Uncached(db, "SELECT name FROM pragma_table_info(?)").statement
            try info.bind([.text(name)])
            while try info.step() { columns[name, default: []].insert(info.text(0)) }
        }
        for (table, needed) in SlackdumpDatabase.required.sorted(by: { $0.key < $1.key }) {
            let missing = needed.filter { !(columns[table]?.contains($0) ?? false) }
            guard missing.isEmpty else {
                throw LetheError(.badInput, "\(displayName): a SQLite database, but not slackdump's (table \(table) \(columns[table] == nil ? "is missing" : "lacks " + missing.joined(separator: ", ")))",
                                 hint: "Lethe reads slackdump's archive database (slackdump 3.1 or later), Slack exports, and slackdump's dump and chunk formats")
            }
        }
    }

    /// A row's JSON: an object, or why it is not one.
    private enum Record {
        case object(JSONValue)
        case unusable(String)
    }

    /// The JSON object in column `col`, its size charged against the import's total limit while
    /// the database is indexed (each row is read once then, and once more when it is imported).
    private func record(_ stmt: SQLiteStatement, _ col: Int32, charge: Bool = true) throws -> Record {
        let size = Int(sqlite3_column_bytes(stmt.stmt, col))
        guard size <= limits.maxFileBytes else { return .unusable("\(size) bytes of JSON, over the per-file limit") }
        if charge {
            bytesRead += Int64(size)
            guard bytesRead <= limits.maxTotalBytes else { throw LetheError(.badInput, "\(lastPathComponent(path)): more than \(limits.maxTotalBytes) bytes of records (the import's total limit)") }
        }
        guard let value = try? JSONValue.parse(stmt.blob(col), limits: limits), value.objectValue != nil else { return .unusable("not a JSON object") }
        return .object(value)
    }

    /// A channel's or user's row: the object, or nil with a warning.
    private func listed(_ stmt: SQLiteStatement, what: String) throws -> (raw: [UInt8], value: JSONValue)? {
        switch try record(stmt, 1) {
        case .object(let value): return (value.encoded(), value)
        case .unusable(let why):
            index.warnings.append(ImportWarning(file: lastPathComponent(path), reason: "\(what): \(why), skipped"))
            return nil
        }
    }

    private func readChannels() throws {
        // Per id, the newest row of the best kind: channel info (5) over a channel list's entry (4).
        try latest("""
            SELECT ch.ID, ch.DATA FROM CHANNEL ch JOIN CHUNK c ON c.ID = ch.CHUNK_ID
            ORDER BY ch.ID, (c.TYPE_ID = 5), ch.CHUNK_ID
            """, what: "channel") { index.list(channel: $1, rawJSON: $0) }
    }

    private func readUsers() throws {
        try latest("SELECT ID, DATA FROM S_USER ORDER BY ID, CHUNK_ID", what: "user") { index.list(user: $1, rawJSON: $0) }
    }

    /// The last usable row of each id, of a query of (id, DATA) ordered by id then preference.
    private func latest(_ sql: String, what: String, _ keep: ([UInt8], JSONValue) -> Void) throws {
        let stmt = try SQLiteDatabase.Uncached(db, sql).statement
        var last: (id: String, raw: [UInt8], value: JSONValue)?
        while try stmt.step() {
            let id = stmt.text(0)
            if let l = last, l.id != id {
                keep(l.raw, l.value)
                last = nil
            }
            if let (raw, value) = try listed(stmt, what: "\(what) \(id)") { last = (id, raw, value) }
        }
        if let l = last { keep(l.raw, l.value) }
    }

    /// Every message row, parsed once: the days of each conversation, and what is not a message.
    private func readDays() throws {
        let sql = """
            SELECT m.CHANNEL_ID, m.DATA FROM MESSAGE m JOIN CHUNK c ON c.ID = m.CHUNK_ID WHERE c.TYPE_ID IN (0, 1)
            """
        let stmt = try SQLiteDatabase.Uncached(db, sql).statement
        var unnamed = 0
        while try stmt.step() {
            let id = stmt.text(0)
            guard SlackdumpIndex.isSlackID(id) else {
                unnamed += 1
                continue
            }
            switch try record(stmt, 1) {
            case .object(let value): index.count([value], in: id)
            case .unusable: index.invalid[id, default: 0] += 1
            }
        }
        if unnamed > 0 { index.skip("message(s) of a conversation whose id is not a Slack id", unnamed) }
    }

    private func listUnread(_ displayName: String) throws {
        for (table, rows, what) in SlackdumpDatabase.notArchived {
            guard try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", .text(table)) == 1,
                  let n = try? db.scalarInt("SELECT count(*) FROM \(table)\(rows)"), n > 0 else { continue }
            index.unread.append(UnreadFile(path: "\(displayName) (table \(table), \(n) row\(n == 1 ? "" : "s"))", reason: "\(what): not archived"))
        }
        if let n = try db.scalarInt("SELECT count(*) FROM CHUNK WHERE TYPE_ID IN (8, 9)"), n > 0 {
            index.unread.append(UnreadFile(path: "\(displayName) (\(n) chunks of starred items and bookmarks)", reason: "starred items and bookmarks: not archived"))
        }
    }

    func messages(of channelID: String) throws -> [JSONValue] {
        let sql = """
            SELECT m.ID, m.DATA FROM MESSAGE m JOIN CHUNK c ON c.ID = m.CHUNK_ID
            WHERE m.CHANNEL_ID = ? AND c.TYPE_ID IN (0, 1) ORDER BY m.ID, m.CHUNK_ID
            """
        let stmt = try SQLiteDatabase.Uncached(db, sql).statement
        try stmt.bind([.text(channelID)])
        var out: [JSONValue] = []
        while try stmt.step() {
            // What is not a message was counted when the database was indexed.
            if case .object(let value) = try record(stmt, 1, charge: false) { out.append(value) }
        }
        return out
    }
}

/// An export source seen from its parent folder: `__uploads/…` beside slackdump's database
/// are read as they are named in the archive's folder.
final class PrefixedSource: ExportSource, @unchecked Sendable {
    let inner: any ExportSource
    let prefix: String
    let entries: [String]
    var displayName: String { inner.displayName }
    var listingWarnings: [ImportWarning] { inner.listingWarnings.map { ImportWarning(file: prefix + $0.file, reason: $0.reason, isNote: $0.isNote) } }

    init(_ inner: any ExportSource, prefix: String) {
        self.inner = inner
        self.prefix = prefix
        entries = inner.entries.map { prefix + $0 }
    }

    private func strip(_ path: String) throws -> String {
        guard path.hasPrefix(prefix) else { throw LetheError(.badInput, "\(displayName): no \(path)") }
        return String(path.dropFirst(prefix.count))
    }

    func read(_ path: String, maxBytes: Int) throws -> [UInt8] { try inner.read(strip(path), maxBytes: maxBytes) }
    func head(_ path: String, count: Int) -> [UInt8]? { (try? strip(path)).flatMap { inner.head($0, count: count) } }
    func stream(_ path: String, maxBytes: Int64, _ consumer: ([UInt8]) throws -> Void) throws { try inner.stream(strip(path), maxBytes: maxBytes, consumer) }
    func statedSize(_ path: String) -> Int64? { (try? strip(path)).flatMap { inner.statedSize($0) } }
}
