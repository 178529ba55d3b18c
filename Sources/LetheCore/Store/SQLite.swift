import CSQLite
import Foundation

/// A thin wrapper over one sqlite3 connection. Not thread-safe: one per thread.
///
/// Errors carry the SQLite message and the statement's first words, never bound
/// values (which may be ciphertext or wrapped keys).
final class SQLiteDatabase {
    let handle: OpaquePointer
    let path: String
    private var cache: [String: SQLiteStatement] = [:]
    /// Runs after every COMMIT or ROLLBACK this connection makes (the keystore scrubs its journal).
    var afterTransaction: (() -> Void)?

    struct OpenOptions: OptionSet {
        let rawValue: Int32
        static let readOnly = OpenOptions(rawValue: SQLITE_OPEN_READONLY)
        static let readWrite = OpenOptions(rawValue: SQLITE_OPEN_READWRITE)
        static let create = OpenOptions(rawValue: SQLITE_OPEN_CREATE)
        /// `path` is a `file:` URI (its query may say `immutable=1`).
        static let uri = OpenOptions(rawValue: SQLITE_OPEN_URI)
    }

    init(path: String, options: OpenOptions) throws {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, options.rawValue | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw LetheError(.failure, "cannot open \(path): \(msg)")
        }
        handle = db
        self.path = path
        sqlite3_busy_timeout(db, 10_000)
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    func error(_ rc: Int32, _ sql: String, osErrno: Int32 = 0) -> LetheError {
        let words = sql.split(separator: " ").prefix(4).joined(separator: " ")
        let msg = String(cString: sqlite3_errmsg(handle))
        // SQLite reports ENOSPC as SQLITE_FULL, but a write refused by RLIMIT_FSIZE (EFBIG) or a
        // quota (EDQUOT) as SQLITE_IOERR_*: the errno the failed file operation saw tells them apart.
        let noSpace: Set<Int32> = [ENOSPC, EDQUOT, EFBIG]
        let sysErrno = [osErrno, csqlite_last_file_errno(handle), sqlite3_system_errno(handle)].first { noSpace.contains($0) } ?? 0
        if (rc & 0xff) == SQLITE_FULL || ((rc & 0xff) == SQLITE_IOERR && sysErrno != 0) {
            let what = sysErrno == EFBIG ? "the file size limit is reached" : sysErrno == EDQUOT ? "the disk quota is full" : "the disk is full"
            let reason = sysErrno != 0 ? String(cString: strerror(sysErrno)) : String(cString: sqlite3_errstr(rc))
            return LetheError(.noSpace, "\(what): cannot write \(path) (\(reason))",
                              hint: sysErrno == EFBIG ? "raise the file size limit (ulimit -f) and run the command again"
                                  : "free space on the disk holding the archive and run the command again")
        }
        let kind: LetheError.Kind = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ? .locked : .failure
        return LetheError(kind, "database \(lastPathComponent(path)): \(msg) (code \(rc), in \(words) …)")
    }

    /// Writes the open transaction's dirty pages to disk (the WAL, or the database behind a
    /// rollback journal) without committing, so a full disk shows up before anything commits.
    func flushCache() throws {
        errno = 0
        let rc = sqlite3_db_cacheflush(handle)
        // sqlite3_db_cacheflush records no error message or errno of its own: take the OS's.
        let osErrno = errno
        guard rc == SQLITE_OK else { throw error(rc, "cache flush", osErrno: osErrno) }
    }

    /// Resets every cached statement, releasing the read locks that unfinished SELECTs hold.
    func resetAll() {
        for s in cache.values { sqlite3_reset(s.stmt) }
    }

    func execute(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if let err { sqlite3_free(err) }
        guard rc == SQLITE_OK else { throw error(rc, sql) }
    }

    /// A prepared statement, cached by its SQL text.
    func statement(_ sql: String) throws -> SQLiteStatement {
        if let s = cache[sql] {
            s.reset()
            return s
        }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, sql) }
        let s = SQLiteStatement(db: self, stmt: stmt, sql: sql)
        cache[sql] = s
        return s
    }

    /// Runs `body` in one transaction: commits on return, rolls back on throw.
    func transaction<R>(_ body: () throws -> R) throws -> R {
        try execute("BEGIN IMMEDIATE")
        do {
            let r = try body()
            try commit()
            return r
        } catch {
            rollback()
            throw error
        }
    }

    func scalarInt(_ sql: String, _ args: SQLiteValue...) throws -> Int64? {
        let s = try statement(sql)
        try s.bind(args)
        return try s.step() ? s.int(0) : nil
    }

    var changes: Int { Int(sqlite3_changes(handle)) }

    /// Commits the open transaction, then runs `afterTransaction`.
    func commit() throws {
        try execute("COMMIT")
        afterTransaction?()
    }

    /// Rolls the open transaction back (if any), then runs `afterTransaction`.
    func rollback() {
        try? execute("ROLLBACK")
        afterTransaction?()
    }
}

enum SQLiteValue {
    case int(Int64)
    case blob([UInt8])
    case text(String)
    case null
}

final class SQLiteStatement {
    unowned let db: SQLiteDatabase
    let stmt: OpaquePointer
    let sql: String

    init(db: SQLiteDatabase, stmt: OpaquePointer, sql: String) {
        self.db = db
        self.stmt = stmt
        self.sql = sql
    }

    deinit { sqlite3_finalize(stmt) }

    func reset() {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    func bind(_ values: [SQLiteValue]) throws {
        for (i, v) in values.enumerated() {
            let idx = Int32(i + 1)
            let rc: Int32
            switch v {
            case .int(let x): rc = sqlite3_bind_int64(stmt, idx, x)
            case .text(let s): rc = sqlite3_bind_text(stmt, idx, s, -1, csqlite_transient())
            case .null: rc = sqlite3_bind_null(stmt, idx)
            case .blob(let b):
                rc = b.withUnsafeBytes { sqlite3_bind_blob64(stmt, idx, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), UInt64(b.count), csqlite_transient()) }
            }
            guard rc == SQLITE_OK else { throw db.error(rc, sql) }
        }
    }

    /// Steps once: true when a row is available, false when done.
    @discardableResult
    func step() throws -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw db.error(rc, sql)
    }

    /// Binds, runs to completion, resets.
    func run(_ values: SQLiteValue...) throws {
        reset()
        try bind(values)
        try step()
        sqlite3_reset(stmt)
    }

    func query(_ values: SQLiteValue...) throws -> SQLiteStatement {
        reset()
        try bind(values)
        return self
    }

    func int(_ col: Int32) -> Int64 { sqlite3_column_int64(stmt, col) }

    func isNull(_ col: Int32) -> Bool { sqlite3_column_type(stmt, col) == SQLITE_NULL }

    func text(_ col: Int32) -> String {
        guard let p = sqlite3_column_text(stmt, col) else { return "" }
        return String(cString: p)
    }

    func blob(_ col: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(stmt, col))
        guard n > 0, let p = sqlite3_column_blob(stmt, col) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: p, count: n))
    }
}

func lastPathComponent(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}

extension SQLiteDatabase {
    /// A statement outside the cache, for loops that run other statements inside.
    final class Uncached {
        let statement: SQLiteStatement

        init(_ db: SQLiteDatabase, _ sql: String) throws {
            var stmt: OpaquePointer?
            let rc = sqlite3_prepare_v2(db.handle, sql, -1, &stmt, nil)
            guard rc == SQLITE_OK, let stmt else { throw db.error(rc, sql) }
            statement = SQLiteStatement(db: db, stmt: stmt, sql: sql)
        }
    }
}
