#!/usr/bin/env python3
"""Plaintext baseline for Lethe's benchmarks: a Slack export loaded into SQLite + FTS5.

  python3 Benchmarks/baseline_fts5.py load EXPORT_DIR DB
      -> {"messages": n, "seconds": s, "messages_per_s": r, "db_bytes": b}
  python3 Benchmarks/baseline_fts5.py search DB 'word' [--limit 50]
      -> {"results": n, "ms": t}

No encryption, no compression: one table (channel, ts, user, text, raw JSON), an
external-content FTS5 index on text, one transaction, WAL, synchronous=NORMAL.
Stdlib only.
"""
import json
import os
import re
import sqlite3
import sys
import time

DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
META = [("channels.json", "name"), ("groups.json", "name"), ("dms.json", "id"), ("mpims.json", "name")]


def folder_to_channel(root):
    """Folder name -> conversation id, from the export's metadata files."""
    mapping = {}
    for fn, key in META:
        path = os.path.join(root, fn)
        if os.path.exists(path):
            with open(path, "rb") as f:
                for c in json.load(f):
                    mapping[c[key]] = c["id"]
    return mapping


def iter_messages(root):
    mapping = folder_to_channel(root)
    for folder in sorted(os.listdir(root)):
        path = os.path.join(root, folder)
        if not os.path.isdir(path):
            continue
        channel = mapping.get(folder, folder)
        for name in sorted(os.listdir(path)):
            if not DAY_FILE.match(name):
                continue  # canvases and other non-day files
            with open(os.path.join(path, name), "rb") as f:
                for m in json.load(f):
                    yield (channel, m["ts"], m.get("user") or m.get("bot_id"), m.get("text") or "",
                           json.dumps(m, ensure_ascii=False, separators=(",", ":")))


def db_bytes(db):
    return sum(os.path.getsize(p) for p in (db, db + "-wal", db + "-shm") if os.path.exists(p))


def load(root, db):
    for p in (db, db + "-wal", db + "-shm"):
        if os.path.exists(p):
            os.remove(p)
    start = time.perf_counter()
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("CREATE TABLE messages(id INTEGER PRIMARY KEY, channel TEXT NOT NULL, ts TEXT NOT NULL,"
                " user TEXT, text TEXT NOT NULL, raw TEXT NOT NULL, UNIQUE(channel, ts))")
    con.execute("CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='id')")
    con.execute("BEGIN")
    con.executemany("INSERT OR IGNORE INTO messages(channel, ts, user, text, raw) VALUES (?, ?, ?, ?, ?)",
                    iter_messages(root))
    con.execute("INSERT INTO messages_fts(rowid, text) SELECT id, text FROM messages")
    con.execute("COMMIT")
    n = con.execute("SELECT count(*) FROM messages").fetchone()[0]
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    seconds = time.perf_counter() - start
    print(json.dumps({"messages": n, "seconds": round(seconds, 3),
                      "messages_per_s": round(n / seconds, 1) if seconds > 0 else None,
                      "db_bytes": db_bytes(db)}))


def search(db, word, limit):
    con = sqlite3.connect(db)
    start = time.perf_counter()
    rows = con.execute("SELECT m.channel, m.ts, m.text FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
                       " WHERE messages_fts MATCH ? ORDER BY m.ts DESC LIMIT ?",
                       ('"' + word.replace('"', '""') + '"', limit)).fetchall()
    ms = (time.perf_counter() - start) * 1000
    con.close()
    print(json.dumps({"results": len(rows), "ms": round(ms, 3)}))


def main(argv):
    if len(argv) == 4 and argv[1] == "load":
        load(argv[2], argv[3])
    elif len(argv) in (4, 6) and argv[1] == "search":
        limit = 50
        if len(argv) == 6:
            if argv[4] != "--limit":
                sys.exit(__doc__)
            limit = int(argv[5])
        search(argv[2], argv[3], limit)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
