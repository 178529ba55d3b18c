#!/usr/bin/env python3
"""Checks a lethe-gen export against its truth file and Slack's invariants.

  python3 Benchmarks/check_export.py EXPORT_DIR TRUTH.json

Checks: valid JSON with `/` escaped, every ts in its Pacific day file, sorted and unique
per conversation, thread parents' replies present and consistent, broadcast `root`
equal to the parent, and counts per day file, (channel, UTC day), UTC day, conversation
and marker word equal to the truth. Holds the whole export in memory (~8 GB for 1M messages).
"""
import json, os, re, sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo
PT = ZoneInfo("America/Los_Angeles")
root, truth_path = sys.argv[1], sys.argv[2]
truth = json.load(open(truth_path))
conv = {}
for kind, fn in [("public", "channels.json"), ("private", "groups.json"), ("dm", "dms.json"), ("mpim", "mpims.json")]:
    for c in json.load(open(os.path.join(root, fn))):
        conv[c["id"] if kind == "dm" else c["name"]] = (c["id"], kind)
users = {u["id"] for u in json.load(open(os.path.join(root, "users.json")))}
msgs = {}  # (cid, ts) -> msg
files = {}
buckets = {}
utc_days = {}
errors = []
for folder in sorted(os.listdir(root)):
    p = os.path.join(root, folder)
    if not os.path.isdir(p): continue
    cid, kind = conv[folder]
    for f in sorted(os.listdir(p)):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}\.json", f): continue
        raw = open(os.path.join(p, f), "rb").read()
        if b'/' in raw.replace(b'\\/', b''): errors.append(f"unescaped / in {folder}/{f}")
        arr = json.loads(raw)
        files[f"{folder}/{f}"] = len(arr)
        prev = None
        for m in arr:
            ts = m["ts"]
            assert re.fullmatch(r"\d{10}\.\d{6}", ts), ts
            sec = int(ts.split(".")[0])
            if datetime.fromtimestamp(sec, PT).strftime("%Y-%m-%d") != f[:-5]:
                errors.append(f"pacific day mismatch {folder}/{f} {ts}")
            if prev is not None and ts <= prev: errors.append(f"order {folder}/{f} {ts}")
            prev = ts
            if (cid, ts) in msgs: errors.append(f"duplicate ts {cid} {ts}")
            msgs[(cid, ts)] = m
            u = datetime.fromtimestamp(sec, timezone.utc).strftime("%Y-%m-%d")
            buckets[(cid, u)] = buckets.get((cid, u), 0) + 1
            utc_days[u] = utc_days.get(u, 0) + 1
# threads
for (cid, ts), m in msgs.items():
    if m.get("thread_ts") == ts:
        reps = m.get("replies", [])
        if m["reply_count"] != len(reps): errors.append(f"reply_count {cid} {ts}")
        for r in reps:
            rm = msgs.get((cid, r["ts"]))
            if rm is None: errors.append(f"missing reply {cid} {r['ts']}")
            elif rm.get("thread_ts") != ts or rm.get("user") != r["user"]: errors.append(f"bad reply {cid} {r['ts']}")
        if reps and m["latest_reply"] != reps[-1]["ts"]: errors.append("latest_reply")
    elif "thread_ts" in m:
        pm = msgs.get((cid, m["thread_ts"]))
        if pm is None: errors.append(f"orphan reply {cid} {ts}")
        elif ts not in [r["ts"] for r in pm["replies"]]: errors.append(f"reply not listed {cid} {ts}")
        if m.get("subtype") == "thread_broadcast":
            if m["root"] != pm: errors.append(f"root differs {cid} {ts}")
# truth
if truth["messages"] != len(msgs): errors.append(f"total {truth['messages']} != {len(msgs)}")
tf = {d["path"]: d["messages"] for d in truth["day_files"]}
if tf != files: errors.append("day_files differ")
tb = {(b["channel"], b["utc_day"]): b["messages"] for b in truth["buckets"]}
if tb != buckets: errors.append(f"buckets differ {len(tb)} {len(buckets)}")
if truth["utc_days"] != utc_days: errors.append("utc_days differ")
for c in truth["conversations"]:
    n = sum(1 for (cid, _) in msgs if cid == c["id"])
    if n != c["messages"]: errors.append(f"conv count {c['id']}")
for word, hits in truth["markers"].items():
    found = sorted((cid, ts) for (cid, ts), m in msgs.items() if word in m.get("text", ""))
    want = sorted((h["channel"], h["ts"]) for h in hits)
    if found != want: errors.append(f"marker {word}: truth {len(want)} found {len(found)}")
missing = {m.get("user") for m in msgs.values() if m.get("user")} - users
print(json.dumps({"messages": len(msgs), "files": len(files), "errors": len(errors), "users_missing_from_users_json": sorted(missing)[:5]}))
for e in errors[:20]: print(e)
sys.exit(1 if errors else 0)
