#!/usr/bin/env python3
"""Importers of other platforms (issue 19): the same messages as a Slack export, as a Mattermost
bulk export (`import.jsonl`) and as DiscordChatExporter JSON (one file per channel), each
imported into a fresh archive, in turn, median of --runs runs. The Slack export is lethe-gen's
(its public and private channels, their messages that have an author: the baseline); the other
two are written from it here (a second implementation of each mapping: for Mattermost a channel
line per channel, a user line per user, each thread's replies nested in its root post; for
Discord a file per channel, each message with its author, a reply referencing its thread's
root). Read the ratios, not the seconds (the machine is noisy). Never asserts on timings.

    python3 Benchmarks/bench_platforms.py --messages 200000 --runs 3
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def to_mattermost(slack, out):
    """Writes out/import.jsonl from the Slack export folder `slack` (public and private
    channels); returns how many posts and replies it holds."""
    users = json.load(open(os.path.join(slack, "users.json")))
    names = {u["id"]: u.get("name") or u["id"] for u in users}
    lines = [{"type": "version", "version": 1},
             {"type": "team", "team": {"name": "bench", "display_name": "Bench", "type": "O"}}]
    channels = []
    for meta, kind in (("channels.json", "O"), ("groups.json", "P")):
        path = os.path.join(slack, meta)
        if os.path.exists(path):
            channels += [(c, kind) for c in json.load(open(path))]
    for c, kind in channels:
        lines.append({"type": "channel", "channel": {"team": "bench", "name": c["name"], "display_name": c["name"], "type": kind,
                                                    "header": "", "purpose": (c.get("purpose") or {}).get("value", "")}})
    for u in users:
        lines.append({"type": "user", "user": {"username": names[u["id"]], "email": names[u["id"]] + "@example.org",
                                              "teams": [{"name": "bench", "channels": [{"name": c["name"]} for c, _ in channels]}]}})
    count = 0
    for c, _ in channels:
        folder = os.path.join(slack, c["name"])
        messages = []
        for day in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            if day.endswith(".json"):
                messages += json.load(open(os.path.join(folder, day)))
        roots, replies = [], {}
        for m in messages:
            if not isinstance(m, dict) or "ts" not in m or not m.get("user"):
                continue
            post = {"user": names.get(m["user"], m["user"]), "type": "", "message": m.get("text", ""),
                    "create_at": int(m["ts"].split(".")[0]) * 1000 + int((m["ts"].split(".") + ["0"])[1][:3].ljust(3, "0"))}
            if m.get("thread_ts") and m["thread_ts"] != m["ts"]:
                replies.setdefault(m["thread_ts"], []).append(post)
            else:
                roots.append((m["ts"], post))
        for ts, post in roots:
            post = dict(post, team="bench", channel=c["name"], replies=replies.pop(ts, []))
            count += 1 + len(post["replies"])
            lines.append({"type": "post", "post": post})
    os.makedirs(out)
    with open(os.path.join(out, "import.jsonl"), "w") as f:
        for line in lines:
            f.write(json.dumps(line, separators=(",", ":")) + "\n")
    return count


def to_discord(slack, out):
    """Writes out/<channel> [<id>].json (DiscordChatExporter's layout) from the Slack export
    folder `slack`; returns how many messages they hold."""
    import datetime
    users = {u["id"]: u for u in json.load(open(os.path.join(slack, "users.json")))}
    os.makedirs(out)
    count = 0
    channels = []
    for meta, kind in (("channels.json", "GuildTextChat"), ("groups.json", "GuildPrivateThread")):
        path = os.path.join(slack, meta)
        if os.path.exists(path):
            channels += [(c, kind) for c in json.load(open(path))]
    for k, (c, kind) in enumerate(channels):
        folder = os.path.join(slack, c["name"])
        messages = []
        for day in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            if day.endswith(".json"):
                messages += json.load(open(os.path.join(folder, day)))
        ids = {}
        out_messages = []
        for m in sorted(messages, key=lambda m: (int(m["ts"].split(".")[0]), m["ts"])):
            sec, _, frac = m["ts"].partition(".")
            ms = int(sec) * 1000 + int(frac[:3].ljust(3, "0"))
            snowflake = str(((ms - 1420070400000) << 22) + len(out_messages))
            ids[m["ts"]] = snowflake
            stamp = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).isoformat(timespec="milliseconds")
            u = users.get(m["user"], {})
            d = {"id": snowflake, "type": "Default", "timestamp": stamp, "timestampEdited": None, "callEndedTimestamp": None,
                 "isPinned": False, "content": m.get("text", ""),
                 "author": {"id": m["user"], "name": u.get("name", m["user"]), "discriminator": "0000",
                            "nickname": (u.get("profile") or {}).get("display_name"), "color": None, "isBot": False},
                 "attachments": [], "embeds": [], "stickers": [], "reactions": [], "mentions": []}
            if m.get("thread_ts") and m["thread_ts"] != m["ts"] and m["thread_ts"] in ids:
                d["type"] = "Reply"
                d["reference"] = {"messageId": ids[m["thread_ts"]], "channelId": str(5000 + k), "guildId": "1"}
            out_messages.append(d)
        count += len(out_messages)
        doc = {"guild": {"id": "1", "name": "bench"}, "channel": {"id": str(5000 + k), "type": kind, "categoryId": "2",
               "category": "Text", "name": c["name"], "topic": None}, "dateRange": {"after": None, "before": None},
               "messages": out_messages, "messageCount": len(out_messages)}
        with open(os.path.join(out, "bench - Text - %s [%d].json" % (c["name"], 5000 + k)), "w") as f:
            json.dump(doc, f, indent=2)
    return count


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=200000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build/release"), help="folder holding lethe and lethe-gen")
    args = ap.parse_args()
    lethe_bin, gen = os.path.join(args.bin, "lethe"), os.path.join(args.bin, "lethe-gen")
    for b in (lethe_bin, gen):
        if not os.access(b, os.X_OK):
            sys.exit(f"no {b}: swift build -c release --product lethe; swift build -c release --product lethe-gen")
    work = tempfile.mkdtemp(prefix="bench-mattermost-")
    env = dict(os.environ, LETHE_PASSPHRASE="bench-passphrase-not-secret")
    gen_out = os.path.join(work, "gen")
    subprocess.run([gen, "--messages", str(args.messages), "--channels", str(max(10, args.messages // 1000)),
                    "--users", str(max(20, args.messages // 200)), "--days", "146", "--seed", "1", "--out", gen_out],
                   check=True, stdout=subprocess.DEVNULL)
    # The baseline: the Slack export's users and channels only (the conversations both hold), and
    # their messages that have an author.
    slack = os.path.join(work, "slack")
    os.makedirs(slack)
    for meta in ("users.json", "channels.json", "groups.json"):
        if os.path.exists(os.path.join(gen_out, meta)):
            shutil.copy(os.path.join(gen_out, meta), slack)
            if meta != "users.json":
                for c in json.load(open(os.path.join(gen_out, meta))):
                    src = os.path.join(gen_out, c["name"])
                    if not os.path.isdir(src):
                        continue
                    os.makedirs(os.path.join(slack, c["name"]))
                    for day in os.listdir(src):
                        if not day.endswith(".json"):
                            continue
                        # The messages a Mattermost post can be: those with an author (not bots' and
                        # integrations' messages without a user), so both imports hold the same messages.
                        kept = [m for m in json.load(open(os.path.join(src, day))) if isinstance(m, dict) and m.get("user") and "ts" in m]
                        with open(os.path.join(slack, c["name"], day), "w") as f:
                            json.dump(kept, f, separators=(",", ":"))
    mm = os.path.join(work, "mattermost")
    posts = to_mattermost(slack, mm)
    dc = os.path.join(work, "discord")
    discord_messages = to_discord(slack, dc)

    def imported(source):
        a = os.path.join(work, "a")
        shutil.rmtree(a, ignore_errors=True)
        subprocess.run([lethe_bin, "init", "--archive", a], env=env, check=True, stdout=subprocess.DEVNULL)
        rss = os.path.join(work, "rss")
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss, lethe_bin, "import", "--archive", a, "--json", source],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        seconds = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit(f"lethe import {source}: exit {p.returncode}\n{p.stderr.decode()[-2000:]}")
        return seconds, json.loads(p.stdout)["messages_added"], int(open(rss).read().split()[-1]) / 1024

    times = {"slack": [], "mattermost": [], "discord": []}
    peaks = {"slack": [], "mattermost": [], "discord": []}
    counts = {}
    for _ in range(args.runs):
        for name, source in (("slack", slack), ("mattermost", mm), ("discord", dc)):
            s, n, mib = imported(source)
            times[name].append(s)
            peaks[name].append(mib)
            counts[name] = n
    if counts["mattermost"] != posts:
        sys.exit(f"the Mattermost import added {counts['mattermost']} messages, the file holds {posts}")
    if counts["discord"] != discord_messages:
        sys.exit(f"the Discord import added {counts['discord']} messages, the files hold {discord_messages}")
    print(f"import, median of {args.runs} runs (each run imports both in turn), lethe-gen --messages {args.messages}")
    size = os.path.getsize(os.path.join(mm, "import.jsonl")) / 2**20
    dsize = sum(os.path.getsize(os.path.join(dc, f)) for f in os.listdir(dc)) / 2**20
    print(f"import.jsonl: {size:,.0f} MiB; Discord files: {dsize:,.0f} MiB")
    print(f"{'source':<40}{'messages':>10}{'seconds':>9}{'msg/s':>10}{'vs Slack':>10}{'peak RSS':>12}")
    base = counts["slack"] / statistics.median(times["slack"])
    for name, label in (("slack", "Slack export (baseline)"), ("mattermost", "Mattermost bulk export (import.jsonl)"),
                        ("discord", "DiscordChatExporter JSON")):
        m = statistics.median(times[name])
        rate = counts[name] / m
        print(f"{label:<40}{counts[name]:>10,}{m:>9.2f}{rate:>10,.0f}{rate / base:>9.2f}×{statistics.median(peaks[name]):>8.1f} MiB")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
