#!/usr/bin/env python3
"""Plaintext baseline for Lethe's benchmark: a Slack export in SQLite with FTS5.

No encryption, no compression: the simplest honest way to make an export
searchable, against which Lethe's figures are read.

    baseline_fts5.py load EXPORT_DIR DB           -> {"messages": N, "seconds": S, ...}
    baseline_fts5.py search DB QUERY [--limit 50] -> {"results": N, "ms": M, ...}
    baseline_fts5.py export DB OUT_DIR            -> {"messages": N, "seconds": S, ...}

`load` keeps every message's JSON (re-serialised, compact) so `export` can write
day files back, and indexes `text` with FTS5 (unicode61, diacritics removed).
It runs as one transaction with WAL and synchronous=NORMAL, the settings Lethe
uses, so the comparison is about the work and not about fsync.

`search` understands the part of Lethe's query language the benchmark uses:
bare words (all must match), "a phrase", in:#channel, from:@user (the `name`
handle in users.json, or a user id), after:YYYY-MM-DD and before:YYYY-MM-DD
(exclusive, UTC days). Results are newest first. `ms` is the time of the
query inside the process (connect + query + fetch), not the process start.

Python 3 standard library only.
"""
import argparse
import calendar
import json
import os
import shlex
import sqlite3
import sys
import time

CONVERSATION_FILES = [
    ("channels.json", "public"),
    ("groups.json", "private"),
    ("dms.json", "dm"),
    ("mpims.json", "group_dm"),
]

SCHEMA = """
CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT, json TEXT);
CREATE TABLE channels(id TEXT PRIMARY KEY, name TEXT, folder TEXT, kind TEXT, json TEXT);
CREATE TABLE messages(
    rowid INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    ts TEXT NOT NULL,
    ts_num REAL NOT NULL,
    user TEXT,
    day_file TEXT NOT NULL,
    text TEXT,
    json TEXT NOT NULL,
    UNIQUE(channel, ts)
);
CREATE VIRTUAL TABLE messages_fts USING fts5(
    text, content='messages', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'
);
"""


def read_json(path):
    with open(path, "rb") as f:
        return json.load(f)


def cmd_load(export_dir, db_path):
    t0 = time.perf_counter()
    if os.path.exists(db_path):
        os.remove(db_path)
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    db.execute("BEGIN")
    users = 0
    upath = os.path.join(export_dir, "users.json")
    if os.path.exists(upath):
        for u in read_json(upath):
            db.execute("INSERT OR REPLACE INTO users VALUES(?,?,?)",
                       (u.get("id"), u.get("name"), json.dumps(u, ensure_ascii=False, separators=(",", ":"))))
            users += 1
    folders = []
    for fname, kind in CONVERSATION_FILES:
        p = os.path.join(export_dir, fname)
        if not os.path.exists(p):
            continue
        for c in read_json(p):
            cid = c.get("id")
            name = c.get("name")
            folder = name if name else cid
            db.execute("INSERT OR REPLACE INTO channels VALUES(?,?,?,?,?)",
                       (cid, name, folder, kind, json.dumps(c, ensure_ascii=False, separators=(",", ":"))))
            folders.append((cid, folder))
    messages = 0
    day_files = 0
    insert = ("INSERT OR REPLACE INTO messages(channel, ts, ts_num, user, day_file, text, json) "
              "VALUES(?,?,?,?,?,?,?)")
    for cid, folder in folders:
        d = os.path.join(export_dir, folder)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if not name.endswith(".json") or len(name) != 15:  # YYYY-MM-DD.json only
                continue
            day_files += 1
            rows = []
            for m in read_json(os.path.join(d, name)):
                if not isinstance(m, dict) or "ts" not in m:
                    continue
                ts = str(m["ts"])
                rows.append((cid, ts, float(ts), m.get("user"), name[:10], m.get("text"),
                             json.dumps(m, ensure_ascii=False, separators=(",", ":"))))
            db.executemany(insert, rows)
            messages += len(rows)
    db.execute("INSERT INTO messages_fts(messages_fts) VALUES('rebuild')")
    db.execute("CREATE INDEX messages_channel_ts ON messages(channel, ts_num)")
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    seconds = time.perf_counter() - t0
    return {"messages": messages, "day_files": day_files, "users": users, "channels": len(folders),
            "seconds": seconds, "db_bytes": os.path.getsize(db_path)}


def day_epoch(s):
    y, m, d = (int(x) for x in s.split("-"))
    return calendar.timegm((y, m, d, 0, 0, 0))


def fts_quote(term):
    return '"' + term.replace('"', '""') + '"'


def parse_query(query):
    """Split a Lethe-style query into an FTS5 expression and SQL filters."""
    terms, where, args = [], [], []
    for tok in shlex.split(query):
        low = tok.lower()
        if low.startswith("in:"):
            name = tok[3:].lstrip("#")
            where.append("m.channel IN (SELECT id FROM channels WHERE name = ? OR id = ?)")
            args += [name, name]
        elif low.startswith("from:"):
            name = tok[5:].lstrip("@")
            where.append("m.user IN (SELECT id FROM users WHERE name = ? OR id = ?)")
            args += [name, name]
        elif low.startswith("after:"):
            where.append("m.ts_num >= ?")
            args.append(day_epoch(tok[6:]) + 86400)
        elif low.startswith("before:"):
            where.append("m.ts_num < ?")
            args.append(day_epoch(tok[7:]))
        else:
            terms.append(fts_quote(tok))  # a quoted phrase arrives here as one token
    return " AND ".join(terms), where, args


def cmd_search(db_path, query, limit):
    t0 = time.perf_counter()
    db = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    match, where, args = parse_query(query)
    if match:
        sql = ("SELECT m.channel, m.ts, m.user, m.text FROM messages_fts f "
               "JOIN messages m ON m.rowid = f.rowid WHERE messages_fts MATCH ?")
        params = [match]
    else:
        sql = "SELECT m.channel, m.ts, m.user, m.text FROM messages m WHERE 1"
        params = []
    for w in where:
        sql += " AND " + w
    sql += " ORDER BY m.ts_num DESC LIMIT ?"
    rows = db.execute(sql, params + args + [limit]).fetchall()
    db.close()
    ms = (time.perf_counter() - t0) * 1000
    return {"query": query, "results": len(rows), "ms": ms,
            "first": [{"channel": r[0], "ts": r[1]} for r in rows[:3]]}


def cmd_export(db_path, out_dir):
    t0 = time.perf_counter()
    db = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    os.makedirs(out_dir, exist_ok=False)
    with open(os.path.join(out_dir, "users.json"), "w", encoding="utf-8") as f:
        json.dump([json.loads(j) for (j,) in db.execute("SELECT json FROM users")], f, ensure_ascii=False)
    folders = dict(db.execute("SELECT id, folder FROM channels"))
    messages = 0
    current, batch = None, []

    def flush():
        if current is None:
            return
        d = os.path.join(out_dir, folders.get(current[0], current[0]))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, current[1] + ".json"), "w", encoding="utf-8") as f:
            f.write("[" + ",".join(batch) + "]")

    for channel, day, js in db.execute("SELECT channel, day_file, json FROM messages ORDER BY channel, day_file, ts_num"):
        if (channel, day) != current:
            flush()
            current, batch = (channel, day), []
        batch.append(js)
        messages += 1
    flush()
    db.close()
    return {"messages": messages, "seconds": time.perf_counter() - t0}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("load", help="load an unpacked export folder into a new DB")
    p.add_argument("export_dir")
    p.add_argument("db")
    p = sub.add_parser("search", help="run one query, print the count and in-process ms")
    p.add_argument("db")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=50)
    p = sub.add_parser("export", help="write the DB back as day files")
    p.add_argument("db")
    p.add_argument("out_dir")
    a = ap.parse_args(argv)
    if a.cmd == "load":
        if not os.path.isdir(a.export_dir):
            sys.exit("baseline_fts5: not a folder: %s" % a.export_dir)
        out = cmd_load(a.export_dir, a.db)
    elif a.cmd == "search":
        if not os.path.exists(a.db):
            sys.exit("baseline_fts5: no such database: %s" % a.db)
        out = cmd_search(a.db, a.query, a.limit)
    else:
        out = cmd_export(a.db, a.out_dir)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
