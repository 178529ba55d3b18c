#!/usr/bin/env python3
"""Writes one small workspace in each of slackdump's three formats, from the layouts slackdump
documents (rusq/slackdump v4: source/dump.go, internal/chunk/chunk.go, and the migrations of
internal/chunk/backend/dbase/repository), plus expected.json: what a Slack export of it holds.

    python3 Tests/Fixtures/make-slackdump-fixtures.py OUTDIR [BULK]

BULK (for benchmarks, default 0): that many more messages in the DM, over many days.

OUTDIR/dump/       a dump: <id>.json per conversation (thread replies nested in their parent
                   under slackdump_thread_replies), a thread file <id>-<ts>.json, channels.json
                   (without the group DM: it is known only by its file), users.json,
                   workspace.json, a file at <id>/<FILE_ID>-<name>
OUTDIR/dump.zip    the same dump, zipped one folder down (dump/...)
OUTDIR/chunks/     a chunk archive: <id>.json.gz (JSON Lines of chunks; one more file for
                   #general, of a later run), channels.json.gz,
                   users.json.gz, workspace.json.gz, search.json.gz, __uploads/, __avatars/
OUTDIR/database/   slackdump.sqlite (WAL, the v4 schema's tables) and __uploads/
OUTDIR/database-wal/  the database with one more message only in its -wal (not checkpointed)

Each format repeats what slackdump repeats: a thread's parent in its reply pages, a broadcast
reply in the history too, and (chunks, database) an edited message fetched twice, the later
copy newer. expected.json is the workspace written once, independently of those copies.
The test suite runs this at test time (nothing binary is committed).
"""
import copy, gzip, json, os, shutil, sqlite3, sys, zipfile

out = sys.argv[1]
shutil.rmtree(out, ignore_errors=True)
os.makedirs(out)

users = [
    {"id": "U01ADA0001", "team_id": "T0LETHE001", "name": "ada", "real_name": "Ada L", "profile": {"display_name": "Ada", "real_name": "Ada L"}},
    {"id": "U01BOB0002", "team_id": "T0LETHE001", "name": "bob", "real_name": "Bob K", "profile": {"display_name": "Bob", "real_name": "Bob K"}},
    {"id": "U01CYD0003", "team_id": "T0LETHE001", "name": "cyd", "real_name": "Cyd M", "profile": {"display_name": "", "real_name": "Cyd M"}},
]
A, B, C = (u["id"] for u in users)


def channel(cid, name, **flags):
    c = {"id": cid, "created": 1700000000, "is_channel": False, "is_group": False, "is_im": False, "is_mpim": False,
         "is_private": False, "is_archived": False, "name": name, "name_normalized": name, "creator": A}
    c.update(flags)
    return c


GEN, PRIV, DM, MPIM = "C0GENERAL01", "C0PRIVATE01", "D0DIRECT001", "C0GROUPDM01"
channels = [
    channel(GEN, "general", is_channel=True, topic={"value": "all hands", "creator": A, "last_set": 0}),
    channel(PRIV, "plans", is_channel=True, is_private=True, is_group=True),
    channel(DM, "", is_im=True, is_private=True, user=B),
    channel(MPIM, "mpdm-ada--bob--cyd-1", is_mpim=True, is_private=True, is_group=True),
]
# The channel's own info (conversations.info) is fuller than its entry in the channel list.
general_info = dict(channels[0], purpose={"value": "company-wide", "creator": A, "last_set": 0}, num_members=3)


def msg(ts, user, text, **extra):
    m = {"type": "message", "user": user, "text": text, "ts": ts, "team": "T0LETHE001"}
    m.update(extra)
    return m


FILE = {"id": "F0NOTES0001", "name": "notes.txt", "title": "notes.txt", "mimetype": "text/plain", "filetype": "text",
        "size": 0, "mode": "hosted", "url_private": "https://files.slack.com/files-pri/T0LETHE001-F0NOTES0001/notes.txt"}
FILE_BYTES = b"quarterly zanzibar figures, line one\nline two\n"
FILE["size"] = len(FILE_BYTES)

T1 = "1704100100.000200"
T2 = "1704400000.000100"
parent = msg(T1, A, "thread parent about the budget", thread_ts=T1, reply_count=2, reply_users=[B, C], latest_reply="1704103000.000400")
reply1 = msg("1704100200.000300", B, "first reply marmalade", thread_ts=T1, parent_user_id=A)
broadcast = msg("1704103000.000400", C, "broadcast reply to all", thread_ts=T1, parent_user_id=A, subtype="thread_broadcast",
                root={"ts": T1, "user": A, "text": "thread parent about the budget"})
draft = msg("1704200100.000600", B, "edited later: draft wording")
final = msg("1704200100.000600", B, "edited later: final wording", edited={"user": B, "ts": "1704200500.000000"})
history = {
    GEN: [msg("1704100000.000100", A, "hello general, first message"), parent, broadcast,
          msg("1704200000.000500", B, "next day with a file", files=[FILE]), final],
    PRIV: [msg(T2, C, "private plans quokka", thread_ts=T2, reply_count=1, reply_users=[A], latest_reply="1704400100.000200")],
    DM: [msg("1704300000.000100", A, "direct hello"), msg("1704300060.000200", B, "direct answer \u00e9\u00e8 \u2603")],
    MPIM: [msg("1704500000.000100", C, "group dm note")],
}
bulk = int(sys.argv[2]) if len(sys.argv) > 2 else 0
words = ("budget launch review deploy incident customer roadmap meeting notes draft figures release "
         "question answer thanks tomorrow today design test metrics plan hiring").split()
for i in range(bulk):
    text = " ".join(words[(i * 7 + k * 13) % len(words)] for k in range(6 + i % 9)) + f" #{i}"
    history[DM].append(msg(f"{1704700000 + i * 37}.{i % 1000000:06d}", A if i % 2 else B, text))
threads = {GEN: {T1: [reply1, broadcast]}, PRIV: {T2: [msg("1704400100.000200", A, "thread-only reply wombat", thread_ts=T2, parent_user_id=C)]}}

# What a Slack export of it holds: every message once, replies beside their parents.
expected_messages = {}
for cid, ms in history.items():
    seen = {m["ts"]: m for m in ms}
    for replies in threads.get(cid, {}).values():
        for r in replies:
            seen[r["ts"]] = r
    expected_messages[cid] = sorted(seen.values(), key=lambda m: m["ts"])
folders = {GEN: "general", PRIV: "plans", DM: DM, MPIM: "mpdm-ada--bob--cyd-1"}
workspace = {"url": "https://lethe-test.slack.com/", "team": "Lethe Test", "user": "ada", "team_id": "T0LETHE001", "user_id": A}


def write(path, data, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(data)


# --- dump -------------------------------------------------------------------------------
dump = os.path.join(out, "dump")
for cid, ms in history.items():
    body = []
    for m in ms:
        m = copy.deepcopy(m)
        if cid == GEN and m["ts"] == T1:
            # The parent's replies nested, the parent itself repeated first (slackdump does so).
            m["slackdump_thread_replies"] = [copy.deepcopy(parent)] + threads[GEN][T1]
        body.append(m)
    conv = {"channel_id": cid, "name": folders[cid] if cid != DM else "", "messages": body}
    write(os.path.join(dump, cid + ".json"), json.dumps(conv, separators=(",", ":"), ensure_ascii=False))
# A thread dumped on its own: its parent first, then its replies.
write(os.path.join(dump, f"{PRIV}-{T2}.json"),
      json.dumps({"channel_id": PRIV, "thread_ts": T2, "messages": history[PRIV][:1] + threads[PRIV][T2]}))
write(os.path.join(dump, "channels.json"), json.dumps([c for c in channels if c["id"] != MPIM], indent=2))
write(os.path.join(dump, "users.json"), json.dumps(users, indent=2))
write(os.path.join(dump, "workspace.json"), json.dumps(workspace))
write(os.path.join(dump, GEN, "F0NOTES0001-notes.txt"), FILE_BYTES, "wb")
with zipfile.ZipFile(os.path.join(out, "dump.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    for root, _, names in sorted(os.walk(dump)):
        for n in sorted(names):
            p = os.path.join(root, n)
            z.write(p, os.path.join("dump", os.path.relpath(p, dump)))

# --- chunks -----------------------------------------------------------------------------
chunks = os.path.join(out, "chunks")
clock = [1737844844000000000]


def chunk(t, **fields):
    clock[0] += 1000
    c = {"t": t, "ts": clock[0]}
    c.update(fields)
    return json.dumps(c, separators=(",", ":"), ensure_ascii=False)


def gz(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for line in lines:
            f.write(line + "\n")


for cid, ms in history.items():
    lines = [chunk(5, id=cid, ci=general_info if cid == GEN else next(c for c in channels if c["id"] == cid)),
             chunk(7, id=cid, n=3, cu=[A, B, C])]
    if cid == GEN:
        # Two pages of history, the edited message in both; the second page is newer and is in
        # a file of a later run whose name sorts first: the chunks' own time decides, not the file order.
        first, second = ms[:3] + [draft], ms[3:]
        lines.append(chunk(0, id=cid, n=len(first), m=first))
        gz(os.path.join(chunks, cid + "-resumed.json.gz"), [chunk(0, id=cid, n=len(second), m=second, l=True)])
    else:
        # Pages of at most 100 messages, as the API returns them.
        for k in range(0, max(len(ms), 1), 100):
            page = ms[k:k + 100]
            lines.append(chunk(0, id=cid, n=len(page), m=page, l=k + 100 >= len(ms)))
    for tts, replies in threads.get(cid, {}).items():
        p = next(m for m in ms if m["ts"] == tts)
        # Reply pages repeat the parent as their first message.
        lines.append(chunk(1, id=cid, r=tts, p=p, m=[p] + replies, n=len(replies) + 1, l=True))
    gz(os.path.join(chunks, cid + ".json.gz"), lines)
gz(os.path.join(chunks, "channels.json.gz"), [chunk(4, ch=channels[:2]), chunk(4, ch=channels[2:])])
gz(os.path.join(chunks, "users.json.gz"), [chunk(3, u=users[:2]), chunk(3, u=users[2:])])
gz(os.path.join(chunks, "workspace.json.gz"), [chunk(6, w=workspace)])
gz(os.path.join(chunks, "search.json.gz"), [chunk(10, sq="budget", sm=[{"ts": T1, "text": "thread parent about the budget"}])])
write(os.path.join(chunks, "__uploads", "F0NOTES0001", "notes.txt"), FILE_BYTES, "wb")
write(os.path.join(chunks, "__avatars", A, "avatar.png"), b"\x89PNG\r\n\x1a\n", "wb")

# --- database ---------------------------------------------------------------------------
dbdir = os.path.join(out, "database")
os.makedirs(dbdir)
db = sqlite3.connect(os.path.join(dbdir, "slackdump.sqlite"))
db.execute("PRAGMA journal_mode=WAL")
db.executescript("""
CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')));
CREATE TABLE SESSION (ID INTEGER PRIMARY KEY, CREATED_AT TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, UPDATED_AT TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PAR_SESSION_ID INTEGER, FROM_TS TIMESTAMP, TO_TS TIMESTAMP, FINISHED SMALLINT NOT NULL DEFAULT FALSE, FILES_ENABLED SMALLINT NOT NULL DEFAULT FALSE,
    AVATARS_ENABLED SMALLINT NOT NULL DEFAULT FALSE, MODE TEXT NOT NULL, ARGS TEXT);
CREATE TABLE CHUNK (ID INTEGER PRIMARY KEY, CREATED_AT TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, UNIX_TS INTEGER NOT NULL, SESSION_ID INTEGER NOT NULL,
    TYPE_ID SMALLINT NOT NULL, NUM_REC INTEGER NOT NULL DEFAULT 0, FINAL SMALLINT NOT NULL DEFAULT FALSE, CHANNEL_ID TEXT, SEARCH_QUERY TEXT, THREAD_ONLY BOOLEAN,
    FOREIGN KEY (SESSION_ID) REFERENCES SESSION (ID) ON DELETE RESTRICT);
CREATE TABLE MESSAGE (ID INTEGER NOT NULL, CHUNK_ID INTEGER NOT NULL, LOAD_DTTM TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, CHANNEL_ID TEXT NOT NULL,
    TS TEXT NOT NULL, PARENT_ID INTEGER, THREAD_TS TEXT, LATEST_REPLY TEXT, IS_PARENT SMALLINT NOT NULL DEFAULT FALSE, IDX INTEGER NOT NULL,
    NUM_FILES INTEGER NOT NULL DEFAULT 0, TXT TEXT, DATA BLOB NOT NULL, PRIMARY KEY (ID, CHUNK_ID), FOREIGN KEY (CHUNK_ID) REFERENCES CHUNK (ID) ON DELETE CASCADE);
CREATE INDEX MESSAGE_I1 ON MESSAGE (CHANNEL_ID, CHUNK_ID, IS_PARENT);
CREATE TABLE CHANNEL (ID TEXT NOT NULL, CHUNK_ID INTEGER NOT NULL, LOAD_DTTM TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, NAME TEXT, IDX INTEGER NOT NULL,
    DATA BLOB NOT NULL, PRIMARY KEY (ID, CHUNK_ID));
CREATE TABLE FILE (ID TEXT NOT NULL, CHUNK_ID INTEGER NOT NULL, LOAD_DTTM TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, CHANNEL_ID TEXT NOT NULL,
    MESSAGE_ID INTEGER, THREAD_ID INTEGER, IDX INTEGER NOT NULL, MODE TEXT NOT NULL, FILENAME TEXT, URL TEXT, DATA BLOB NOT NULL, SIZE INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (ID, CHUNK_ID));
CREATE TABLE WORKSPACE (ID INTEGER PRIMARY KEY, CHUNK_ID INTEGER NOT NULL, LOAD_DTTM TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, TEAM TEXT NOT NULL,
    USERNAME TEXT, TEAM_ID TEXT NOT NULL, USER_ID TEXT NOT NULL, ENTERPRISE_ID TEXT, URL TEXT NOT NULL, DATA BLOB NOT NULL);
CREATE TABLE S_USER (ID TEXT NOT NULL, CHUNK_ID INTEGER NOT NULL, LOAD_DTTM TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, IDX INTEGER NOT NULL,
    USERNAME TEXT NOT NULL, DATA BLOB NOT NULL, PRIMARY KEY (ID, CHUNK_ID));
CREATE TABLE CHANNEL_USER (CHANNEL_ID TEXT NOT NULL, USER_ID TEXT NOT NULL, CHUNK_ID INTEGER NOT NULL, LOAD_DTTM TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    IDX INTEGER NOT NULL, PRIMARY KEY (CHANNEL_ID, USER_ID, CHUNK_ID));
CREATE TABLE SEARCH_MESSAGE (ID INTEGER PRIMARY KEY, CHUNK_ID INTEGER NOT NULL, LOAD_DTTM TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, CHANNEL_ID TEXT NOT NULL,
    CHANNEL_NAME TEXT, TS TEXT NOT NULL, TXT TEXT, IDX INTEGER NOT NULL, DATA BLOB NOT NULL);
CREATE TABLE SEARCH_FILE (ID INTEGER PRIMARY KEY, CHUNK_ID INTEGER NOT NULL, LOAD_DTTM TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, FILE_ID TEXT NOT NULL,
    IDX INTEGER NOT NULL, DATA BLOB NOT NULL);
""")
for i, v in enumerate([0, 20250207082949, 20250211104536, 20250301091541, 20250421063932, 20250422204803, 20250628031633, 20250809050908]):
    db.execute("INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)", (v,))
db.execute("INSERT INTO SESSION (ID, MODE, FINISHED) VALUES (1, 'archive', 1)")
next_chunk = [0]


def new_chunk(type_id, cid=None, final=True):
    next_chunk[0] += 1
    db.execute("INSERT INTO CHUNK (ID, UNIX_TS, SESSION_ID, TYPE_ID, CHANNEL_ID, FINAL) VALUES (?, ?, 1, ?, ?, ?)",
               (next_chunk[0], 1737844844 + next_chunk[0], type_id, cid, final))
    return next_chunk[0]


def tsint(ts):
    s, f = ts.split(".")
    return int(s) * 1000000 + int(f)


def put_messages(chunk_id, cid, ms):
    for idx, m in enumerate(ms):
        db.execute("INSERT INTO MESSAGE (ID, CHUNK_ID, CHANNEL_ID, TS, PARENT_ID, THREAD_TS, IS_PARENT, IDX, NUM_FILES, TXT, DATA) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                   (tsint(m["ts"]), chunk_id, cid, m["ts"], tsint(m["thread_ts"]) if "thread_ts" in m else None, m.get("thread_ts"),
                    m.get("thread_ts") == m["ts"], idx, len(m.get("files", [])), m["text"], json.dumps(m, ensure_ascii=False).encode()))


listing = new_chunk(4)
for idx, c in enumerate(channels):
    db.execute("INSERT INTO CHANNEL (ID, CHUNK_ID, NAME, IDX, DATA) VALUES (?,?,?,?,?)", (c["id"], listing, c["name"], idx, json.dumps(c).encode()))
for cid, ms in history.items():
    info = new_chunk(5, cid)
    c = general_info if cid == GEN else next(c for c in channels if c["id"] == cid)
    db.execute("INSERT INTO CHANNEL (ID, CHUNK_ID, NAME, IDX, DATA) VALUES (?,?,?,0,?)", (cid, info, c["name"], json.dumps(c).encode()))
    members = new_chunk(7, cid)
    for idx, u in enumerate(users):
        db.execute("INSERT INTO CHANNEL_USER (CHANNEL_ID, USER_ID, CHUNK_ID, IDX) VALUES (?,?,?,?)", (cid, u["id"], members, idx))
    if cid == GEN:
        put_messages(new_chunk(0, cid, final=False), cid, ms[:3] + [draft])
        put_messages(new_chunk(0, cid), cid, ms[3:])
    else:
        put_messages(new_chunk(0, cid), cid, ms)
    for tts, replies in threads.get(cid, {}).items():
        p = next(m for m in ms if m["ts"] == tts)
        put_messages(new_chunk(1, cid), cid, [p] + replies)
files = new_chunk(2, GEN)
db.execute("INSERT INTO FILE (ID, CHUNK_ID, CHANNEL_ID, MESSAGE_ID, IDX, MODE, FILENAME, URL, DATA, SIZE) VALUES (?,?,?,?,0,'hosted',?,?,?,?)",
           (FILE["id"], files, GEN, tsint("1704200000.000500"), FILE["name"], FILE["url_private"], json.dumps(FILE).encode(), FILE["size"]))
# A channel canvas: a file record of no message (slackdump lists the channel's canvas so).
canvas = {"id": "F0CANVAS001", "name": "general canvas", "mimetype": "application/vnd.slack-docs", "filetype": "quip", "mode": "quip"}
db.execute("INSERT INTO FILE (ID, CHUNK_ID, CHANNEL_ID, MESSAGE_ID, IDX, MODE, FILENAME, URL, DATA) VALUES (?,?,?,NULL,1,'quip',?,?,?)",
           (canvas["id"], files, GEN, canvas["name"], "https://lethe-test.slack.com/docs/T0LETHE001/F0CANVAS001", json.dumps(canvas).encode()))
uchunk = new_chunk(3)
for idx, u in enumerate(users):
    db.execute("INSERT INTO S_USER (ID, CHUNK_ID, IDX, USERNAME, DATA) VALUES (?,?,?,?,?)", (u["id"], uchunk, idx, u["name"], json.dumps(u).encode()))
wchunk = new_chunk(6)
db.execute("INSERT INTO WORKSPACE (CHUNK_ID, TEAM, USERNAME, TEAM_ID, USER_ID, URL, DATA) VALUES (?,?,?,?,?,?,?)",
           (wchunk, workspace["team"], "ada", workspace["team_id"], A, workspace["url"], json.dumps(workspace).encode()))
schunk = new_chunk(10)
db.execute("INSERT INTO SEARCH_MESSAGE (CHUNK_ID, CHANNEL_ID, CHANNEL_NAME, TS, TXT, IDX, DATA) VALUES (?,?,?,?,?,0,?)",
           (schunk, GEN, "general", T1, parent["text"], json.dumps(parent).encode()))
db.commit()
db.close()
write(os.path.join(dbdir, "__uploads", "F0NOTES0001", "notes.txt"), FILE_BYTES, "wb")

# database-wal/: the same database while slackdump is still writing: one more message is
# committed only to slackdump.sqlite-wal (not yet checkpointed into the database file).
waldir = os.path.join(out, "database-wal")
os.makedirs(waldir)
scratch = os.path.join(out, "scratch.sqlite")
shutil.copy(os.path.join(dbdir, "slackdump.sqlite"), scratch)
db = sqlite3.connect(scratch)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA wal_autocheckpoint=0")
late = msg("1704600000.000100", A, "only in the write-ahead log")
put_messages(new_chunk(0, GEN), GEN, [late])
db.commit()
shutil.copy(scratch, os.path.join(waldir, "slackdump.sqlite"))
shutil.copy(scratch + "-wal", os.path.join(waldir, "slackdump.sqlite-wal"))
db.close()
for f in (scratch, scratch + "-wal", scratch + "-shm"):
    if os.path.exists(f):
        os.remove(f)

inferred_mpim = {"id": MPIM, "name": folders[MPIM], "lethe_inferred": True}
expected = {
    "messages": expected_messages,
    "folders": folders,
    "users": users,
    # Per format, the conversation objects a Slack export of it lists.
    "channels": {
        "dump": [channels[0], channels[1], channels[2], inferred_mpim],
        "chunks": [general_info] + channels[1:],
        "database": [general_info] + channels[1:],
    },
    "kinds": {GEN: "public", PRIV: "private", DM: "dm", MPIM: "group_dm"},
    "file": {"id": FILE["id"], "text": FILE_BYTES.decode()},
    "unread": {
        "dump": ["workspace.json"],
        "dump.zip": ["dump/workspace.json"],
        "chunks": ["__avatars/" + A + "/avatar.png", "search.json.gz", "workspace.json.gz"],
        "database": ["slackdump.sqlite (table CHANNEL_USER, 12 rows)", "slackdump.sqlite (table FILE, 1 row)",
                     "slackdump.sqlite (table SEARCH_MESSAGE, 1 row)", "slackdump.sqlite (table WORKSPACE, 1 row)"],
    },
}
write(os.path.join(out, "expected.json"), json.dumps(expected, indent=1, ensure_ascii=False))
