#include <sqlite3.h>

/* SQLITE_STATIC / SQLITE_TRANSIENT are cast macros that Swift does not import. */
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }
static inline sqlite3_destructor_type csqlite_static(void) { return SQLITE_STATIC; }

/* The errno of the last failed write, read, sync or truncate on the journal or WAL file of
   "main", else on the database file itself; 0 when unknown. SQLite reports a write refused
   for RLIMIT_FSIZE (EFBIG) or a quota (EDQUOT) only as SQLITE_IOERR_*, and
   sqlite3_system_errno() returns whatever errno held when the error surfaced, which later
   system calls (the rollback) may have changed. The unix VFS keeps each file's own. */
static inline int csqlite_last_file_errno(sqlite3 *db) {
    int e = 0;
    sqlite3_file *journal = 0;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &journal) == SQLITE_OK
        && journal && journal->pMethods && journal->pMethods->xFileControl) {
        journal->pMethods->xFileControl(journal, SQLITE_FCNTL_LAST_ERRNO, &e);
        if (e != 0) return e;
    }
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_LAST_ERRNO, &e) == SQLITE_OK && e != 0) return e;
    return 0;
}

/* sqlite3_db_config is variadic, which Swift does not import. Defensive mode for a database
   Lethe only reads and did not write (slackdump's): no writes to the schema through PRAGMAs,
   no shadow-table writes, no dangerous functions in its views or triggers. */
static inline int csqlite_harden_foreign(sqlite3 *db) {
    int rc = sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)0);
    if (rc == SQLITE_OK) rc = sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)0);
    if (rc == SQLITE_OK) rc = sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, (int *)0);
    if (rc == SQLITE_OK) rc = sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, (int *)0);
    return rc;
}
