#!/usr/bin/env python3
"""Mattermost import benchmark (issue 19): the same messages as a Slack export and as a
Mattermost bulk export (`import.jsonl`), each imported into a fresh archive, in turn, median of
--runs runs. The Slack export is lethe-gen's (its public and private channels: the baseline);
the bulk export is written from it here (a second implementation of the mapping: a channel
line per channel, a user line per user, each thread's replies nested in its root post). Read
the ratio, not the seconds (the machine is noisy). Never asserts on timings.

    python3 Benchmarks/bench_mattermost.py --messages 200000 --runs 3
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

    times = {"slack": [], "mattermost": []}
    peaks = {"slack": [], "mattermost": []}
    counts = {}
    for _ in range(args.runs):
        for name, source in (("slack", slack), ("mattermost", mm)):
            s, n, mib = imported(source)
            times[name].append(s)
            peaks[name].append(mib)
            counts[name] = n
    if counts["mattermost"] != posts:
        sys.exit(f"the Mattermost import added {counts['mattermost']} messages, the file holds {posts}")
    print(f"import, median of {args.runs} runs (each run imports both in turn), lethe-gen --messages {args.messages}")
    size = os.path.getsize(os.path.join(mm, "import.jsonl")) / 2**20
    print(f"import.jsonl: {size:,.0f} MiB")
    print(f"{'source':<40}{'messages':>10}{'seconds':>9}{'msg/s':>10}{'vs Slack':>10}{'peak RSS':>12}")
    base = counts["slack"] / statistics.median(times["slack"])
    for name, label in (("slack", "Slack export (baseline)"), ("mattermost", "Mattermost bulk export (import.jsonl)")):
        m = statistics.median(times[name])
        rate = counts[name] / m
        print(f"{label:<40}{counts[name]:>10,}{m:>9.2f}{rate:>10,.0f}{rate / base:>9.2f}×{statistics.median(peaks[name]):>8.1f} MiB")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
