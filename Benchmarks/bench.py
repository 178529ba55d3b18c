#!/usr/bin/env python3
"""Lethe's benchmark: every figure beside a plaintext baseline measured in the same run.

    python3 Benchmarks/bench.py            # 1,000,000 messages (make bench)
    python3 Benchmarks/bench.py --quick    # 50,000 messages, about a minute (make bench-quick)

Builds lethe (and lethe-gen) in release, generates an export (folder + zip) in a
scratch folder under /tmp, then measures import, size, search, retention and
export, each beside a baseline run on the same export: an SQLite + FTS5 load of
the plaintext (Benchmarks/baseline_fts5.py), zip and tar | zstd -3 for size,
grep -r for search. Machines are noisy: search figures are medians (and p95) of
repeated whole-process runs; import, retention and export run once (the note
says so). Ratios are lethe / baseline (below 1 means Lethe is smaller or faster
for times and sizes; for rates, above 1 means Lethe is faster).

Exits non-zero when any command fails; never asserts on timings.
Python 3 standard library only. See Benchmarks/README.md.
"""
import argparse
import collections
import datetime
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BASELINE = os.path.join(HERE, "baseline_fts5.py")
TIME_V = "/usr/bin/time"

SIZES = {
    "full": dict(messages=1_000_000, channels=200, users=1000, days=730, runs=11, thin_messages=200_000, thin_days=730),
    "quick": dict(messages=50_000, channels=40, users=100, days=365, runs=7, thin_messages=30_000, thin_days=120),
}


class BenchError(Exception):
    pass


# What a run can measure besides the folder import and the FTS5 load, which every run makes.
SECTIONS = ("import-zip", "size", "tar-zstd", "compression", "search", "grep", "serve", "export", "retention",
            "forget", "role-keys")
NEEDS = {"tar-zstd": "size", "grep": "search", "serve": "search", "export": "import-zip"}


def parse_sections(text):
    """The set of sections a --sections value names ("all": every one)."""
    names = set(SECTIONS) if text.strip() == "all" else {n.strip() for n in text.split(",") if n.strip()}
    unknown = names - set(SECTIONS)
    if unknown:
        raise BenchError("unknown section(s) %s; known: %s" % (", ".join(sorted(unknown)), ",".join(SECTIONS)))
    for n, dep in NEEDS.items():
        if n in names and dep not in names:
            raise BenchError("section %s needs section %s" % (n, dep))
    return names


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- running things

class Run:
    """One finished child process: wall seconds, peak RSS (KiB, or None), output."""

    def __init__(self, argv, seconds, rss_kb, stdout, stderr, rc):
        self.argv, self.seconds, self.rss_kb = argv, seconds, rss_kb
        self.stdout, self.stderr, self.rc = stdout, stderr, rc

    def json(self):
        text = self.stdout.strip()
        try:
            return json.loads(text)
        except ValueError:
            # JSON lines: the last object wins
            for line in reversed(text.splitlines()):
                line = line.strip()
                if line.startswith("{"):
                    return json.loads(line)
            raise BenchError("%s printed no JSON: %r" % (self.argv[0], text[:200]))


def run(argv, measure_rss=False, ok_codes=(0,), env=None, cwd=None):
    """Run argv to completion; raise BenchError when its exit code is not in ok_codes."""
    rss_file = None
    full = list(argv)
    use_time = measure_rss and os.access(TIME_V, os.X_OK)
    if use_time:
        fd, rss_file = tempfile.mkstemp(prefix="bench-time-")
        os.close(fd)
        full = [TIME_V, "-v", "-o", rss_file] + full
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    seconds = time.perf_counter() - t0
    rss_kb = None
    if use_time:
        with open(rss_file) as f:
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())
        os.remove(rss_file)
        rss_kb = int(m.group(1)) if m else None
    elif measure_rss:
        # ru_maxrss of children is a high-water mark over all of them: it only
        # tells this child's peak when the child beat every earlier one.
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rss_kb = after if after > before else None
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode not in ok_codes:
        raise BenchError("command failed (exit %d): %s\n%s%s" % (
            p.returncode, " ".join(argv), out[-2000:], err[-2000:]))
    return Run(argv, seconds, rss_kb, out, err, p.returncode)


def repeat(argv, n, ok_codes=(0,)):
    """Run argv n times (after one untimed warm-up); return the list of Runs."""
    run(argv, ok_codes=ok_codes)
    return [run(argv, ok_codes=ok_codes) for _ in range(n)]


def median(xs):
    return statistics.median(xs) if xs else None


def p95(xs):
    if not xs:
        return None
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(0.95 * len(s) + 0.5)) - 1))  # nearest rank
    return s[k]


def dir_bytes(path):
    total = 0
    for base, _, files in os.walk(path):
        for f in files:
            fp = os.path.join(base, f)
            if not os.path.islink(fp):
                total += os.path.getsize(fp)
    return total


def git(*args):
    try:
        return subprocess.run(["git", "-C", ROOT] + list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, check=True).stdout.decode().strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def machine():
    info = {"nproc": os.cpu_count(), "cpu": platform.processor() or platform.machine(), "ram_gib": None}
    try:
        info["nproc"] = int(subprocess.run(["nproc"], stdout=subprocess.PIPE, check=True).stdout)
    except (OSError, ValueError, subprocess.CalledProcessError):
        pass
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
            if m:
                info["cpu"] = m.group(1).strip()
        with open("/proc/meminfo") as f:
            m = re.search(r"^MemTotal:\s*(\d+) kB", f.read(), re.M)
            if m:
                info["ram_gib"] = round(int(m.group(1)) / 1024 / 1024, 1)
    except OSError:
        pass
    info["kernel"] = platform.release()
    return info


# ---------------------------------------------------------------- building and generating

def build(products):
    bin_dir = run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT).stdout.strip()
    for product in products:
        log("building %s (release)" % product)
        # As `make build` does: the Swift runtime linked in (a faster start, one file to install).
        run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", product], cwd=ROOT)
    return bin_dir


def generate_lethe_gen(gen_bin, a, out, zip_path, truth_path):
    # lethe-gen's --zip (ZIPFoundation) rewrites the central directory after every entry, so its
    # time grows with the square of the day files: past ~200,000 of them (bench_scale's 5M) the zip
    # is made with Info-ZIP's zip at the same deflate level (6) instead (zip_with="info-zip").
    info_zip = getattr(a, "zip_with", "lethe-gen") == "info-zip"
    run([gen_bin, "--messages", str(a.messages), "--channels", str(a.channels), "--users", str(a.users),
         "--days", str(a.days), "--seed", str(a.seed), "--out", out, "--truth", truth_path]
        + (["--zip", zip_path] if zip_path and not info_zip else []))
    if zip_path and info_zip:
        run(["zip", "-q", "-r", "-X", "-6", os.path.abspath(zip_path), "."], cwd=out)
    with open(truth_path) as f:
        return json.load(f)


PY_WORDS = ("the we should ship release deploy review meeting tomorrow today budget draft roadmap customer "
            "incident fix bug test build pipeline latency dashboard metrics query index migration schema "
            "database backup restore policy retention archive search export import design feedback launch "
            "plan quarter report numbers looks good thanks please check again later lunch sync notes").split()
PY_MARKERS = [("zebracorn", 1), ("quokkafish", 10), ("narwhalbyte", 100)]


def generate_python(a, out, zip_path, truth_path):
    """A small, plain Slack export (public channels only), for when lethe-gen is not built."""
    import random
    rnd = random.Random(a.seed)
    end = datetime.date(2026, 10, 31)
    first = end - datetime.timedelta(days=a.days - 1)
    os.makedirs(out)
    users = [{"id": "U%08d" % i, "name": "user%d" % i, "real_name": "User %d" % i, "deleted": False}
             for i in range(a.users)]
    chans = [{"id": "C%08d" % i, "name": "chan-%d" % i if i else "general", "created": 1500000000,
              "is_archived": False, "is_general": i == 0, "members": [u["id"] for u in users]}
             for i in range(a.channels)]
    with open(os.path.join(out, "users.json"), "w") as f:
        json.dump(users, f, indent=1)
    with open(os.path.join(out, "channels.json"), "w") as f:
        json.dump(chans, f, indent=1)
    for name in ("groups.json", "dms.json", "mpims.json"):
        with open(os.path.join(out, name), "w") as f:
            f.write("[]")
    weights = [1.0 / (i + 1) for i in range(a.channels)]
    markers_at = {}
    for word, count in PY_MARKERS:
        for k in range(min(count, a.messages)):
            markers_at.setdefault((k * 7919 + len(word)) % max(1, a.messages), []).append(word)
    per_file = collections.defaultdict(list)
    start = datetime.datetime(first.year, first.month, first.day, tzinfo=datetime.timezone.utc).timestamp()
    span = a.days * 86400
    conv_counts = [0] * a.channels
    truth_markers = {w: [] for w, _ in PY_MARKERS}
    for i in range(a.messages):
        c = rnd.choices(range(a.channels), weights)[0]
        t = start + (i + rnd.random()) * span / max(1, a.messages)
        ts = "%.6f" % t
        words = [rnd.choice(PY_WORDS) for _ in range(rnd.randint(3, 14))]
        for w in markers_at.get(i, []):
            words.insert(rnd.randint(0, len(words)), w)
            truth_markers[w].append({"channel": chans[c]["id"], "ts": ts})
        day = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).date().isoformat()
        per_file[(c, day)].append({"type": "message", "user": rnd.choice(users)["id"], "ts": ts,
                                   "text": " ".join(words)})
        conv_counts[c] += 1
    for (c, day), msgs in per_file.items():
        d = os.path.join(out, chans[c]["name"])
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, day + ".json"), "w") as f:
            json.dump(msgs, f, indent=4)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as z:
        for base, _, files in os.walk(out):
            for fn in sorted(files):
                fp = os.path.join(base, fn)
                z.write(fp, os.path.relpath(fp, out))
    truth = {"schema": "bench-python/1", "first_day": first.isoformat(), "last_day": end.isoformat(),
             "messages": a.messages, "day_file_count": len(per_file),
             "conversations": [{"id": ch["id"], "name": ch["name"], "kind": "public", "folder": ch["name"],
                                "messages": conv_counts[i]} for i, ch in enumerate(chans)],
             "markers": truth_markers}
    with open(truth_path, "w") as f:
        json.dump(truth, f)
    return truth


# ---------------------------------------------------------------- choosing queries

WORD_RE = re.compile(r"[a-z]{4,}")


def day_files(export, folder):
    d = os.path.join(export, folder)
    if not os.path.isdir(d):
        return []
    return [os.path.join(d, n) for n in sorted(os.listdir(d)) if re.match(r"^\d{4}-\d\d-\d\d\.json$", n)]


def choose_queries(export, truth):
    """The fixed query set, derived deterministically from the export and its truth file."""
    convs = [c for c in truth.get("conversations", []) if c.get("name") and c.get("kind") in ("public", "private")]
    if not convs:
        raise BenchError("the export has no named channel to search in")
    busiest = max(convs, key=lambda c: (c.get("messages", 0), c["name"]))
    files = day_files(export, busiest.get("folder") or busiest["name"])
    # sample every k-th day file of the busiest channel: word, bigram and author counts
    sample = files[:: max(1, len(files) // 150)]
    words, bigrams, authors = collections.Counter(), collections.Counter(), collections.Counter()
    for fp in sample:
        with open(fp, "rb") as f:
            for m in json.load(f):
                text = (m.get("text") or "") if isinstance(m, dict) else ""
                toks = text.split()
                for w in toks:
                    if WORD_RE.fullmatch(w):
                        words[w] += 1
                for x, y in zip(toks, toks[1:]):
                    if WORD_RE.fullmatch(x) and WORD_RE.fullmatch(y) and x != y:
                        bigrams[(x, y)] += 1
                if m.get("user") and not m.get("subtype"):
                    authors[m["user"]] += 1
    if not words or not authors:
        raise BenchError("could not sample words from %s" % busiest["name"])
    common = max(words.items(), key=lambda kv: (kv[1], kv[0]))[0]
    phrase = max(bigrams.items(), key=lambda kv: (kv[1], kv[0]))[0] if bigrams else (common, common)
    author_id = max(authors.items(), key=lambda kv: (kv[1], kv[0]))[0]
    with open(os.path.join(export, "users.json"), "rb") as f:
        names = {u.get("id"): u.get("name") for u in json.load(f)}
    author = names.get(author_id) or author_id
    markers = {w: len(hits) for w, hits in (truth.get("markers") or {}).items()
               if hits and re.fullmatch(r"[a-z]+", w)}
    if markers:
        rare = min(markers.items(), key=lambda kv: (kv[1], kv[0]))[0]
        rare_note = "marker word, %d message(s) per truth file" % markers[rare]
    else:
        rare = min(words.items(), key=lambda kv: (kv[1], kv[0]))[0]
        rare_note = "rarest sampled word (no truth markers)"
    first = datetime.date.fromisoformat(truth["first_day"])
    last = datetime.date.fromisoformat(truth["last_day"])
    after = first + (last - first) / 2
    return [
        {"name": "common", "query": common, "grep": common, "note": "most frequent sampled word"},
        {"name": "rare", "query": rare, "grep": rare, "note": rare_note},
        {"name": "phrase", "query": '"%s %s"' % phrase, "grep": "%s %s" % phrase, "note": "frequent bigram"},
        {"name": "modifiers", "query": "%s in:#%s after:%s from:@%s" % (common, busiest["name"], after.isoformat(), author),
         "grep": common, "note": "grep: word only"},
    ]

def serve_bench(lethe, arch_dir, key, export, truth, query, cli_search_ms, runs, T):
    """lethe serve: server time (its Server-Timing header) of a channel page and of a search,
    beside the CLI doing the same work in the same run."""
    import urllib.request
    import urllib.parse
    p = subprocess.run([lethe, "serve", "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        print("serve: not available in this build")
        return {"available": False}
    convs = [c for c in truth.get("conversations", []) if c.get("name") and c.get("kind") in ("public", "private")]
    busiest = max(convs, key=lambda c: (c.get("messages", 0), c["name"]))
    files = day_files(export, busiest.get("folder") or busiest["name"])
    sizes = []
    for fp in files:
        with open(fp, "rb") as f:
            sizes.append((len(json.load(f)), os.path.basename(fp)[:10]))
    day_msgs, day = max(sizes)
    server = subprocess.Popen([lethe, "serve", "--archive", arch_dir, "--key-file", key, "--port", "0", "--json",
                               "--idle-lock", "off"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        started = json.loads(server.stdout.readline())
        url = started["url"]
        base = url.split("/?")[0]
        first = urllib.request.urlopen(url)
        cookie = first.headers["Set-Cookie"].split(";")[0]
        first.read()

        def timed(path):
            server_ms, wall_ms = [], []
            for i in range(runs + 1):
                t0 = time.perf_counter()
                r = urllib.request.urlopen(urllib.request.Request(base + path, headers={"Cookie": cookie}))
                body = r.read()
                wall = (time.perf_counter() - t0) * 1000
                dur = float(re.search(r"dur=([0-9.]+)", r.headers.get("Server-Timing", "dur=0")).group(1))
                if i > 0:  # the first is a warm-up
                    server_ms.append(dur)
                    wall_ms.append(wall)
            return server_ms, wall_ms, body

        page_path = "/c/%s?day=%s" % (urllib.parse.quote(busiest["id"]), day)
        page_srv, page_wall, body = timed(page_path)
        shown = body.count(b'<li class="msg')
        search_path = "/search?q=%s&limit=50" % urllib.parse.quote(query["query"])
        search_srv, search_wall, sbody = timed(search_path)
        hits = sbody.count(b'<li class="hit"')
    finally:
        server.terminate()
        server.wait()
    # Baseline for the page: the CLI decrypting the same day of the same channel (whole process).
    cli_day = repeat([lethe, "search", "in:#%s on:%s" % (busiest["name"], day), "--archive", arch_dir, "--key-file", key,
                      "--limit", "100000", "--json"], runs)
    cli_day_ms = [r.seconds * 1000 for r in cli_day]
    T.section("serve (lethe serve on loopback, %d requests each after a warm-up; server time from Server-Timing, median ms)" % runs)
    T.add("serve: channel page", fmt(median(page_srv), " ms"), fmt(median(cli_day_ms), " ms"), ratio(median(page_srv), median(cli_day_ms)),
          "#%s %s, %d msgs shown; baseline: lethe search 'in:#%s on:%s' (whole process)" % (busiest["name"], day, shown, busiest["name"], day))
    T.add("serve: channel page, round trip", fmt(median(page_wall), " ms"), fmt(median(page_srv), " ms"),
          ratio(median(page_wall), median(page_srv)), "baseline: its server time")
    T.add("serve: search %s" % query["name"], fmt(median(search_srv), " ms"), fmt(median(cli_search_ms), " ms"),
          ratio(median(search_srv), median(cli_search_ms)), "%s, %d hits; baseline: lethe search (whole process)" % (query["query"], hits))
    return {"available": True, "channel": busiest["id"], "day": day, "day_messages": day_msgs, "shown": shown,
            "page_server_ms": page_srv, "page_wall_ms": page_wall, "cli_day_ms": cli_day_ms,
            "search": query["query"], "hits": hits, "search_server_ms": search_srv, "search_wall_ms": search_wall,
            "cli_search_ms": cli_search_ms}


# ---------------------------------------------------------------- the benchmark

class Table:
    def __init__(self):
        self.rows = []

    def add(self, metric, lethe, baseline, ratio, note=""):
        self.rows.append((metric, lethe, baseline, ratio, note))

    def section(self, title):
        self.rows.append((title,))

    def render(self):
        head = ("metric", "lethe", "baseline", "ratio", "note")
        full = [r for r in self.rows if len(r) == 5]
        w = [max(len(head[i]), *(len(r[i]) for r in full)) if full else len(head[i]) for i in range(4)]
        line = lambda r: "%-*s | %*s | %*s | %*s | %s" % (w[0], r[0], w[1], r[1], w[2], r[2], w[3], r[3], r[4])
        out = [line(head), "-" * (sum(w) + 13 + 30)]
        for r in self.rows:
            out.append("[%s]" % r[0] if len(r) == 1 else line(r).rstrip())
        return "\n".join(out)


def fmt(x, unit="", digits=None):
    if x is None:
        return "n/a"
    if digits is None:
        digits = 0 if abs(x) >= 100 else (1 if abs(x) >= 10 else 2)
    return "{:,.{d}f}{u}".format(x, d=digits, u=unit)


def fmt_bytes(n):
    if n is None:
        return "n/a"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return "%.1f %s" % (n / size, unit)
    return "%d B" % n


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    r = a / b
    return "%.2fx" % r if r < 100 else "%.0fx" % r


def lethe_search_available(lethe):
    p = subprocess.run([lethe, "search", "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # an unknown subcommand may print the top-level help and still exit 0: look for its own usage line
    return p.returncode == 0 and re.search(r"USAGE: lethe search\b", p.stdout.decode("utf-8", "replace")) is not None


def count_results(out):
    text = out.strip()
    if not text:
        return 0
    try:
        obj = json.loads(text)
        if isinstance(obj, list):
            return len(obj)
        if isinstance(obj, dict):
            for key in ("results", "messages", "hits"):
                if isinstance(obj.get(key), list):
                    return len(obj[key])
                if isinstance(obj.get(key), int):
                    return obj[key]
        return 1
    except ValueError:
        return sum(1 for line in text.splitlines() if line.strip().startswith("{"))


def main(argv):
    ap = argparse.ArgumentParser(description="Lethe benchmark: figures beside plaintext baselines.")
    ap.add_argument("--quick", action="store_true", help="50,000 messages, 7 runs per query (CI smoke test)")
    ap.add_argument("--messages", type=int)
    ap.add_argument("--channels", type=int)
    ap.add_argument("--users", type=int)
    ap.add_argument("--days", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, help="whole-process runs per search query")
    ap.add_argument("--thin-messages", type=int, help="messages of the thin workspace (lethe-gen --profile thin: "
                    "300 conversations, most of them quiet) measured for size")
    ap.add_argument("--thin-days", type=int, help="days of the thin workspace")
    ap.add_argument("--generator", choices=("auto", "lethe-gen", "python"), default="auto",
                    help="auto: lethe-gen when the package has it, else a small Python generator")
    ap.add_argument("--no-build", action="store_true", help="use the binaries already built")
    ap.add_argument("--lethe", metavar="BIN", help="benchmark this lethe binary (e.g. another branch's build) "
                    "instead of the one built here")
    ap.add_argument("--workdir", help="scratch folder, empty or new, kept afterwards "
                    "(default: a new one under /tmp, removed at the end)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    ap.add_argument("--json", metavar="FILE", help="also write every figure to FILE as JSON")
    ap.add_argument("--sections", default="all", help="comma-separated sections to run besides the folder import "
                    "and the FTS5 load (always run): %s (default: all). Without import-zip and size no zip is written"
                    % ",".join(SECTIONS))
    a = ap.parse_args(argv)
    a.sections = parse_sections(a.sections)
    preset = SIZES["quick" if a.quick else "full"]
    for k, v in preset.items():
        if getattr(a, k) is None:
            setattr(a, k, v)

    t_start = time.perf_counter()
    have_gen_src = os.path.isdir(os.path.join(ROOT, "Sources", "lethe-gen"))
    generator = a.generator
    if generator == "auto":
        generator = "lethe-gen" if have_gen_src else "python"
    if generator == "lethe-gen" and not have_gen_src:
        raise BenchError("--generator lethe-gen, but Sources/lethe-gen is not in this checkout")
    products = ["lethe"] + (["lethe-gen", "lethe-dict"] if generator == "lethe-gen" else [])
    if a.no_build:
        bin_dir = run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT).stdout.strip()
    else:
        bin_dir = build(products)
    lethe = os.path.abspath(a.lethe) if a.lethe else os.path.join(bin_dir, "lethe")
    if not os.access(lethe, os.X_OK):
        raise BenchError("no lethe binary at %s" % lethe)
    if generator == "lethe-gen" and not os.access(os.path.join(bin_dir, "lethe-gen"), os.X_OK):
        raise BenchError("no lethe-gen binary in %s" % bin_dir)

    work = a.workdir or tempfile.mkdtemp(prefix="lethe-bench-", dir="/tmp")
    os.makedirs(work, exist_ok=True)
    if os.listdir(work):
        raise BenchError("scratch folder %s is not empty" % work)
    try:
        results = bench(a, generator, bin_dir, lethe, work)
    finally:
        if not a.keep and not a.workdir:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log("scratch kept in %s" % work)
    results["total_seconds"] = time.perf_counter() - t_start
    results["built"] = not a.no_build
    print("\ntotal wall time %.1f s (%s)" % (results["total_seconds"],
                                          "no build" if a.no_build else "build included"))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=2, ensure_ascii=False)
            f.write("\n")
        print("figures written to %s" % a.json)
    return 0


def tar_zstd3(parent, name):
    """Bytes of `tar -cf - -C parent name | zstd -3` (None without the CLIs)."""
    if not (shutil.which("zstd") and shutil.which("tar")):
        return None
    tar = subprocess.Popen(["tar", "-cf", "-", "-C", parent, name], stdout=subprocess.PIPE)
    zp = subprocess.Popen(["zstd", "-3", "-q", "-c", "-T1"], stdin=tar.stdout, stdout=subprocess.PIPE)
    tar.stdout.close()
    n = 0
    while True:
        chunk = zp.stdout.read(1 << 20)
        if not chunk:
            break
        n += len(chunk)
    if zp.wait() != 0 or tar.wait() != 0:
        raise BenchError("tar | zstd -3 failed")
    return n


def compression(a, generator, bin_dir, lethe, work, export, key, R, T):
    """Segments compressed alone with the built-in dictionary beside the same segments without it
    (format 4's encoding), measured by lethe-dict in this run; and a thin workspace's archive beside
    its zip and tar | zstd -3."""
    dict_bin = os.path.join(bin_dir, "lethe-dict")
    gen_bin = os.path.join(bin_dir, "lethe-gen")
    if generator != "lethe-gen" or not os.access(dict_bin, os.X_OK):
        log("SKIP compression rows: they need lethe-gen and lethe-dict (--generator lethe-gen)")
        return
    thin = os.path.join(work, "thin")
    thin_zip = os.path.join(work, "thin.zip")
    log("generating the thin workspace (%s messages, 300 conversations, %d days)" % (format(a.thin_messages, ","), a.thin_days))
    run([gen_bin, "--profile", "thin", "--messages", str(a.thin_messages), "--days", str(a.thin_days),
         "--seed", str(a.seed + 1000), "--out", thin, "--zip", thin_zip])
    sets = [("benchmark export", export), ("thin workspace", thin)]
    corpus = os.path.join(ROOT, "..", "shared", "corpus", "slack")
    if os.path.isdir(corpus):
        sets += [("corpus " + n, os.path.join(corpus, n)) for n in sorted(os.listdir(corpus))
                 if os.path.isdir(os.path.join(corpus, n))]
    else:
        log("SKIP corpus compression rows: %s not found" % corpus)
    T.section("segment compression (each segment alone, as stored; baseline: zstd -3 without a dictionary, "
              "format 4's encoding)")
    R["compression"] = {}
    for label, path in sets:
        m = json.loads(run([dict_bin, "measure", path]).stdout.strip().splitlines()[-1])
        R["compression"][label] = m
        per = m["messages"] / m["samples"] if m["samples"] else 0
        T.add("%s: dictionary, level 3" % label, fmt_bytes(m["dict3_bytes"]), fmt_bytes(m["zstd3_bytes"]),
              ratio(m["dict3_bytes"], m["zstd3_bytes"]), "%s segments, %.1f msgs each; %s plain" %
              (format(m["samples"], ","), per, fmt_bytes(m["plain_bytes"])))
        T.add("%s: dictionary, level 9" % label, fmt_bytes(m["dict9_bytes"]), fmt_bytes(m["zstd3_bytes"]),
              ratio(m["dict9_bytes"], m["zstd3_bytes"]), "slower to compress; not used")
        T.add("%s: one zstd -3 stream" % label, fmt_bytes(m["stream_zstd3_bytes"]), fmt_bytes(m["zstd3_bytes"]),
              ratio(m["stream_zstd3_bytes"], m["zstd3_bytes"]), "all segments as one frame: the bound shredding forbids")
    arch = os.path.join(work, "archive-thin")
    run([lethe, "init", "--archive", arch, "--key-file", key, "--json"])
    log("lethe import (thin workspace zip)")
    imp = run([lethe, "import", "--archive", arch, "--key-file", key, "--json", thin_zip], measure_rss=True)
    arch_bytes = dir_bytes(arch)
    zip_bytes = os.path.getsize(thin_zip)
    zst = tar_zstd3(work, "thin")
    R["size_thin"] = {"archive_bytes": arch_bytes, "zip_bytes": zip_bytes, "tar_zstd3_bytes": zst,
                      "import_seconds": imp.seconds, "import_rss_kb": imp.rss_kb, "messages": a.thin_messages}
    T.section("size, thin workspace (%s messages, 300 conversations, %d days; imported from its zip)" %
              (format(a.thin_messages, ","), a.thin_days))
    T.add("thin: size vs zip of export", fmt_bytes(arch_bytes), fmt_bytes(zip_bytes), ratio(arch_bytes, zip_bytes),
          "goal <= 0.8")
    T.add("thin: size vs tar | zstd -3", fmt_bytes(arch_bytes), fmt_bytes(zst), ratio(arch_bytes, zst),
          "zstd CLI" if zst is not None else "zstd CLI not installed")
    T.add("thin: import peak RSS", fmt(imp.rss_kb and imp.rss_kb / 1024, " MiB"), "", "", R["rss_method"])


def bench(a, generator, bin_dir, lethe, work):
    R = {"machine": machine(), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
         "commit": git("rev-parse", "HEAD"), "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
         "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
         "sizes": {"messages": a.messages, "channels": a.channels, "users": a.users, "days": a.days,
                   "seed": a.seed, "runs": a.runs, "generator": generator},
         "rss_method": "/usr/bin/time -v" if os.access(TIME_V, os.X_OK) else "getrusage(RUSAGE_CHILDREN)"}
    T = Table()
    export = os.path.join(work, "export")
    sec = getattr(a, "sections", None) or set(SECTIONS)
    want_zip = "import-zip" in sec or "size" in sec
    zip_path = os.path.join(work, "export.zip") if want_zip else None
    truth_path = os.path.join(work, "truth.json")

    # -- generate
    log("generating %s messages with %s" % (format(a.messages, ","), generator))
    t0 = time.perf_counter()
    if generator == "lethe-gen":
        truth = generate_lethe_gen(os.path.join(bin_dir, "lethe-gen"), a, export, zip_path, truth_path)
    else:
        truth = generate_python(a, export, zip_path, truth_path)
    R["generate_seconds"] = time.perf_counter() - t0
    raw = dir_bytes(export)
    n_msgs = truth.get("messages", a.messages)
    R["export"] = {"messages": n_msgs, "raw_bytes": raw, "zip_bytes": os.path.getsize(zip_path) if zip_path else None,
                   "day_files": truth.get("day_file_count"), "first_day": truth["first_day"],
                   "last_day": truth["last_day"]}

    # -- import
    key = os.path.join(work, "bench.key")
    arch_dir = os.path.join(work, "archive-folder")
    arch_zip = os.path.join(work, "archive-zip")
    run([lethe, "init", "--archive", arch_dir, "--key-file", key, "--json"])
    log("lethe import (folder)")
    imp = run([lethe, "import", "--archive", arch_dir, "--key-file", key, "--json", export], measure_rss=True)
    imp_j = imp.json()
    imports = [("folder", imp, imp_j, "single run")]
    if "import-zip" in sec:
        run([lethe, "init", "--archive", arch_zip, "--key-file", key, "--json"])
        log("lethe import (zip)")
        impz = run([lethe, "import", "--archive", arch_zip, "--key-file", key, "--json", zip_path], measure_rss=True)
        impz_j = impz.json()
        imports.append(("zip", impz, impz_j, "single run; baseline loads the folder"))
    log("baseline load (python + sqlite FTS5)")
    db = os.path.join(work, "baseline.db")
    bl = run([sys.executable, BASELINE, "load", export, db], measure_rss=True)
    bl_j = bl.json()
    R["import"] = {"lethe_" + name: {"seconds": r.seconds, "rss_kb": r.rss_kb, "report": j}
                   for name, r, j, _ in imports}
    R["import"]["baseline"] = {"seconds": bl.seconds, "rss_kb": bl.rss_kb, "report": bl_j}
    for name, r, j, _ in imports:
        added = j.get("messages_added")
        if added != bl_j["messages"]:
            log("note: lethe import (%s) added %s messages, the baseline loaded %s" % (name, added, bl_j["messages"]))
    T.section("import (one run each; wall time of the whole process)")
    mb = raw / 1e6
    for label, r, j, base_note in imports:
        added = j.get("messages_added", 0)
        T.add("import %s: seconds" % label, fmt(r.seconds, " s"), fmt(bl.seconds, " s"), ratio(r.seconds, bl.seconds),
              "%s; %s msgs added" % (base_note, format(added, ",")))
        T.add("import %s: messages/s" % label, fmt(added / r.seconds), fmt(bl_j["messages"] / bl.seconds),
              ratio(added / r.seconds, bl_j["messages"] / bl.seconds), ">1: lethe faster")
        T.add("import %s: MB/s of export" % label, fmt(mb / r.seconds), fmt(mb / bl.seconds),
              ratio(mb / r.seconds, mb / bl.seconds), "export %s raw" % fmt_bytes(raw))
        T.add("import %s: peak RSS" % label, fmt(r.rss_kb and r.rss_kb / 1024, " MiB"),
              fmt(bl.rss_kb and bl.rss_kb / 1024, " MiB"), ratio(r.rss_kb, bl.rss_kb), R["rss_method"])

    # -- size
    if "size" in sec:
        arch_bytes = dir_bytes(arch_dir)
        zst = tar_zstd3(work, "export") if "tar-zstd" in sec else None
        zip_bytes = os.path.getsize(zip_path)
        db_bytes = sum(os.path.getsize(db + ext) for ext in ("", "-wal") if os.path.exists(db + ext))
        R["size"] = {"archive_bytes": arch_bytes, "archive_zip_import_bytes": dir_bytes(arch_zip) if "import-zip" in sec else None,
                     "raw_bytes": raw, "archive_files": {n: os.path.getsize(os.path.join(arch_dir, n))
                                                         for n in sorted(os.listdir(arch_dir))
                                                         if os.path.isfile(os.path.join(arch_dir, n))},
                     "zip_bytes": zip_bytes, "tar_zstd3_bytes": zst, "baseline_db_bytes": db_bytes}
        T.section("size (archive folder after importing the export folder)")
        T.add("size vs raw export", fmt_bytes(arch_bytes), fmt_bytes(raw), ratio(arch_bytes, raw), "<1: lethe smaller")
        T.add("size vs zip of export", fmt_bytes(arch_bytes), fmt_bytes(zip_bytes), ratio(arch_bytes, zip_bytes),
              "deflate zip from the generator")
        if "tar-zstd" in sec:
            T.add("size vs tar | zstd -3", fmt_bytes(arch_bytes), fmt_bytes(zst), ratio(arch_bytes, zst),
                  "zstd CLI" if zst is not None else "zstd CLI not installed")
        T.add("size vs FTS5 baseline db", fmt_bytes(arch_bytes), fmt_bytes(db_bytes), ratio(arch_bytes, db_bytes),
              "plaintext + FTS5 index")

    # -- compression: the built-in dictionary (FORMAT.md §4a) on the same segments, and a thin workspace
    if "compression" in sec:
        compression(a, generator, bin_dir, lethe, work, export, key, R, T)

    # -- search
    if "search" in sec:
        queries = choose_queries(export, truth)
        has_search = lethe_search_available(lethe)
        R["search"] = {"available": has_search, "runs": a.runs, "queries": []}
        T.section("search (%d whole-process runs each after a warm-up; median, p95 in ms)" % a.runs)
        startup = [r.seconds * 1000 for r in repeat([lethe, "--help"], a.runs)]
        py_start = [r.seconds * 1000 for r in repeat([sys.executable, "-c", "import sqlite3, json"], a.runs)]
        R["search"]["startup_ms"] = {"lethe_help": startup, "python_import_sqlite": py_start}
        T.add("startup: lethe --help", fmt(median(startup), " ms"), fmt(median(py_start), " ms"),
              ratio(median(startup), median(py_start)), "baseline: python3 -c 'import sqlite3, json'")
        if not has_search:
            print("search: not available in this build")
        grep_note = "grep -r -l -w"
        for q in queries:
            entry = {"name": q["name"], "query": q["query"], "grep_word": q["grep"]}
            bl_runs = repeat([sys.executable, BASELINE, "search", db, q["query"], "--limit", "50"], a.runs)
            bl_ms = [r.seconds * 1000 for r in bl_runs]
            bl_in = [r.json()["ms"] for r in bl_runs]
            bl_n = bl_runs[-1].json()["results"]
            entry["baseline"] = {"process_ms": bl_ms, "in_process_ms": bl_in, "results": bl_n}
            if "grep" in sec:
                g_argv = ["grep", "-r", "-l", "-w"] + (["-F"] if " " in q["grep"] else []) + [q["grep"], export]
                g_runs = repeat(g_argv, a.runs, ok_codes=(0, 1))
                g_ms = [r.seconds * 1000 for r in g_runs]
                g_files = len(g_runs[-1].stdout.splitlines())
                entry["grep"] = {"ms": g_ms, "files": g_files}
            label = "search %s" % q["name"]
            if has_search:
                l_runs = repeat([lethe, "search", q["query"], "--archive", arch_dir, "--key-file", key,
                                 "--limit", "50", "--json"], a.runs)
                l_ms = [r.seconds * 1000 for r in l_runs]
                l_n = count_results(l_runs[-1].stdout)
                entry["lethe"] = {"process_ms": l_ms, "results": l_n}
                T.add(label + ": median", fmt(median(l_ms), " ms"), fmt(median(bl_ms), " ms"),
                      ratio(median(l_ms), median(bl_ms)), "%s | lethe %d / fts5 %d results" % (q["query"], l_n, bl_n))
                T.add(label + ": p95", fmt(p95(l_ms), " ms"), fmt(p95(bl_ms), " ms"), ratio(p95(l_ms), p95(bl_ms)),
                      "whole process, both")
                T.add(label + ": vs fts5 in-process", fmt(median(l_ms), " ms"), fmt(median(bl_in), " ms"),
                      ratio(median(l_ms), median(bl_in)), "baseline: query time it prints")
                if "grep" in sec:
                    T.add(label + ": vs grep", fmt(median(l_ms), " ms"), fmt(median(g_ms), " ms"),
                          ratio(median(l_ms), median(g_ms)), "%s %s, %d files" % (grep_note, q["grep"], g_files))
            else:
                entry["lethe"] = None
                T.add(label + ": median", "n/a", fmt(median(bl_ms), " ms"), "n/a",
                      "%s | fts5 %d results; lethe search not in this build" % (q["query"], bl_n))
                T.add(label + ": p95", "n/a", fmt(p95(bl_ms), " ms"), "n/a", "whole process")
                T.add(label + ": fts5 in-process", "n/a", fmt(median(bl_in), " ms"), "n/a", "query time it prints")
                if "grep" in sec:
                    T.add(label + ": grep", "n/a", fmt(median(g_ms), " ms"), "n/a",
                          "%s %s, %d files%s" % (grep_note, q["grep"], g_files,
                                                 "; word only" if q["name"] == "modifiers" else ""))
            R["search"]["queries"].append(entry)

    # -- serve (before retention changes the archive)
    if "serve" in sec:
        serve_q = next(q for q in queries if q["name"] == "common")
        serve_cli = next((e["lethe"]["process_ms"] for e in R["search"]["queries"] if e["name"] == "common" and e.get("lethe")), [])
        log("lethe serve")
        R["serve"] = serve_bench(lethe, arch_dir, key, export, truth, serve_q, serve_cli, a.runs, T)

    # -- export (the archive imported from the zip: a full archive, untouched by retention)
    if "export" in sec:
        log("lethe export")
        out_l = os.path.join(work, "restored-lethe")
        ex = run([lethe, "export", "--archive", arch_zip, "--key-file", key, "--out", out_l, "--json"], measure_rss=True)
        ex_j = ex.json()
        out_b = os.path.join(work, "restored-baseline")
        exb = run([sys.executable, BASELINE, "export", db, out_b], measure_rss=True)
        exb_j = exb.json()
        l_rate, b_rate = ex_j.get("messages", 0) / ex.seconds, exb_j["messages"] / exb.seconds
        R["export_cmd"] = {"lethe": {"seconds": ex.seconds, "rss_kb": ex.rss_kb, "report": ex_j},
                           "baseline": {"seconds": exb.seconds, "rss_kb": exb.rss_kb, "report": exb_j}}
        T.section("export (one run each; decrypt back to day files)")
        T.add("export: messages/s", fmt(l_rate), fmt(b_rate), ratio(l_rate, b_rate),
              "single run; baseline: day files from the FTS5 db")
        T.add("export: peak RSS", fmt(ex.rss_kb and ex.rss_kb / 1024, " MiB"), fmt(exb.rss_kb and exb.rss_kb / 1024, " MiB"),
              ratio(ex.rss_kb, exb.rss_kb), R["rss_method"])
        shutil.rmtree(out_l, ignore_errors=True)
        shutil.rmtree(out_b, ignore_errors=True)

    # -- retention: shred the oldest third of the days
    if "retention" in sec:
        first = datetime.date.fromisoformat(truth["first_day"])
        last = datetime.date.fromisoformat(truth["last_day"])
        span = (last - first).days + 1
        keep = max(1, span - span // 3)
        now = last + datetime.timedelta(days=1)
        policy = os.path.join(work, "policy.yml")
        with open(policy, "w") as f:
            f.write("# written by Benchmarks/bench.py: shred about the oldest third of %d days\n"
                    "version: 1\n\ndefault:\n  keep: %dd\n" % (span, keep))
        common = ["--archive", arch_dir, "--key-file", key, "--policy", policy, "--now", now.isoformat() + "T00:00:00Z",
                  "--json"]
        before = run([lethe, "stats", "--archive", arch_dir, "--key-file", key, "--json"]).json()
        log("lethe retention plan / apply (keep %dd, now %s)" % (keep, now))
        plan = run([lethe, "retention", "plan"] + common)
        plan_j = plan.json()
        apply_ = run([lethe, "retention", "apply"] + common, measure_rss=True)
        apply_j = apply_.json().get("result", {})  # apply --json prints {"plan": …, "result": …}
        shred_msgs = apply_j.get("messages", plan_j.get("messages"))
        shred_buckets = apply_j.get("buckets", plan_j.get("buckets"))
        R["retention"] = {"keep_days": keep, "span_days": span, "now": now.isoformat(),
                          "before": {"buckets": before.get("buckets"), "messages": before.get("messages")},
                          "plan": {"seconds": plan.seconds, "buckets": plan_j.get("buckets"), "messages": plan_j.get("messages")},
                          "apply": {"seconds": apply_.seconds, "rss_kb": apply_.rss_kb, "buckets": shred_buckets,
                                    "messages": shred_msgs}}
        stats = run([lethe, "stats", "--archive", arch_dir, "--key-file", key, "--json"]).json()
        R["retention"]["after"] = {"messages": stats.get("messages"), "shredded_buckets": stats.get("shredded_buckets"),
                                   "total_bytes": stats.get("total_bytes")}
        share = (shred_msgs or 0) / max(1, n_msgs)
        T.section("retention (keep %dd of %d days, --now %s; ratio to the folder import)" % (keep, span, now))
        T.add("retention plan", fmt(plan.seconds, " s"), fmt(imp.seconds, " s"), ratio(plan.seconds, imp.seconds),
              "single run; %s buckets, %s msgs" % (format(plan_j.get("buckets") or 0, ","), format(plan_j.get("messages") or 0, ",")))
        T.add("retention apply", fmt(apply_.seconds, " s"), fmt(imp.seconds, " s"), ratio(apply_.seconds, imp.seconds),
              "single run; shredded %s buckets (%.0f%%), %.0f%% of msgs" % (
                  format(shred_buckets or 0, ","), 100 * (shred_buckets or 0) / max(1, before.get("buckets") or 0),
                  share * 100))
        T.add("retention apply: buckets/s", fmt((shred_buckets or 0) / apply_.seconds), "", "",
              "peak RSS %s" % fmt(apply_.rss_kb and apply_.rss_kb / 1024, " MiB"))

    # -- forget: the most prolific author among a sample of messages, erased for good
    if "forget" in sec:
        sample = run([lethe, "search", "--archive", arch_dir, "--key-file", key, "--json", "--limit", "2000", "a"], ok_codes=(0, 8))
        authors = {}
        for line in sample.stdout.splitlines():
            try:
                uid = json.loads(line).get("user_id")
            except ValueError:
                continue
            if uid:
                authors[uid] = authors.get(uid, 0) + 1
        if authors:
            who = max(authors, key=authors.get)
            log("lethe forget --user %s" % who)
            fg = run([lethe, "forget", "--archive", arch_dir, "--key-file", key, "--user", who, "--no-policy",
                      "--reason", "benchmark", "--yes", "--json"], measure_rss=True, ok_codes=(0, 64))
            fj = fg.json() if fg.rc == 0 else {}  # 64: a lethe without forget (--lethe of an older build)
        if authors and fj:
            R["forget"] = {"user": who, "seconds": fg.seconds, "rss_kb": fg.rss_kb, "messages": fj.get("messages"),
                           "buckets_rewritten": fj.get("buckets_rewritten")}
            T.section("forget (one prolific author; ratio to the folder import)")
            T.add("forget --user", fmt(fg.seconds, " s"), fmt(imp.seconds, " s"), ratio(fg.seconds, imp.seconds),
                  "single run; %s msgs forgotten, %s buckets rewritten under new keys; peak RSS %s" % (
                      format(fj.get("messages") or 0, ","), format(fj.get("buckets_rewritten") or 0, ","),
                      fmt(fg.rss_kb and fg.rss_kb / 1024, " MiB")))

    # -- role keys (issue #12): the export imported with an import role key into a fresh archive
    #    (every bucket a delta segment, every key sealed), then the first full-key search (which
    #    folds the deltas in first) and the same search once they are folded in.
    if "role-keys" in sec:
        arch_role = os.path.join(work, "archive-role")
        role_key = os.path.join(work, "import.key")
        run([lethe, "init", "--archive", arch_role, "--key-file", key, "--json"])
        issued = run([lethe, "key", "issue", "--archive", arch_role, "--key-file", key, "--role", "import", "--out", role_key],
                     ok_codes=(0, 64))  # 64: a lethe without role keys (--lethe of an older build)
        if issued.rc == 0:
            log("lethe import --key-file import.key (folder)")
            rimp = run([lethe, "import", "--archive", arch_role, "--key-file", role_key, "--json", export], measure_rss=True)
            rj = rimp.json()
            q = choose_queries(export, truth)[0]["query"]
            log("first full-key search after the role-key import (folds it in)")
            first = run([lethe, "search", "--archive", arch_role, "--key-file", key, "--json", "--limit", "50", q], ok_codes=(0, 8))
            folded = [r.seconds * 1000 for r in repeat([lethe, "search", "--archive", arch_role, "--key-file", key, "--json",
                                                        "--limit", "50", q], a.runs, ok_codes=(0, 8))]
            plain = [r.seconds * 1000 for r in repeat([lethe, "search", "--archive", arch_dir, "--key-file", key, "--json",
                                                       "--limit", "50", q], a.runs, ok_codes=(0, 8))]
            R["role_keys"] = {"import_seconds": rimp.seconds, "import_rss_kb": rimp.rss_kb, "report": rj,
                              "first_search_ms": first.seconds * 1000, "search_after_fold_ms": folded,
                              "search_full_import_ms": plain, "query": q}
            T.section("role keys (import role key into a fresh archive; ratio to the full-key folder import)")
            T.add("import with import.key: seconds", fmt(rimp.seconds, " s"), fmt(imp.seconds, " s"), ratio(rimp.seconds, imp.seconds),
                  "single run; %s msgs in delta segments; peak RSS %s" % (format(rj.get("messages_deferred") or 0, ","),
                                                                          fmt(rimp.rss_kb and rimp.rss_kb / 1024, " MiB")))
            T.add("first full-key search after it (folds in)", fmt(first.seconds * 1000, " ms"), fmt(median(folded), " ms"),
                  ratio(first.seconds * 1000, median(folded)), "baseline: the same search once folded in (median); query %r" % q)
            T.add("search once folded in vs after a full import", fmt(median(folded), " ms"), fmt(median(plain), " ms"),
                  ratio(median(folded), median(plain)), "medians; the same query")

    # -- print
    m = R["machine"]
    print()
    print("Lethe benchmark  %s" % R["date"])
    print("machine: %s cores (nproc), %s, %s GiB RAM, Linux %s" % (m["nproc"], m["cpu"], m["ram_gib"], m["kernel"]))
    print("commit:  %s (%s)%s" % ((R["commit"] or "?")[:12], R["branch"], " + uncommitted changes" if R["dirty"] else ""))
    print("export:  %s messages, %s channels, %s users, %s days (%s .. %s), seed %s, generator %s; "
          "%s raw, %s day files, zip %s" % (
              format(n_msgs, ","), a.channels, a.users, a.days, truth["first_day"], truth["last_day"], a.seed,
              generator, fmt_bytes(raw), format(R["export"]["day_files"] or 0, ","), fmt_bytes(zip_bytes)))
    print("baselines: python3 + sqlite3 FTS5 (Benchmarks/baseline_fts5.py), zip, tar | zstd -3, grep -r; "
          "ratio = lethe / baseline")
    print()
    print(T.render())
    return R


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchError as e:
        print("bench: FAILED: %s" % e, file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
