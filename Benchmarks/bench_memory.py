#!/usr/bin/env python3
"""Peak RSS of every long lethe command, each beside a baseline measured in the same run.

    python3 Benchmarks/bench_memory.py --messages 200000          # generate, build, measure
    python3 Benchmarks/bench_memory.py --export DIR --zip FILE --thin-zip FILE --lethe BIN \\
        --baseline-lethe OLD_BIN --no-build                        # an export at hand, two binaries

Issue 18, goal 2: peak RSS <= 200 MB for import (folder and zip), export, verify, search and
retention, whatever the export's size. For each command this prints the peak RSS of the
lethe binary under test beside the same command run by a baseline binary (`--baseline-lethe`,
say a release build of the commit before), in the same run on the same export; import also
gets the plaintext SQLite + FTS5 loader (Benchmarks/baseline_fts5.py) and `unzip -p`.

Peak RSS is GNU time's "Maximum resident set size"; the process is also sampled every 50 ms
through /proc/PID/smaps_rollup to split it into anonymous memory (heap: what the process
holds) and file-backed pages (mapped binary, SQLite's mapped file), which the kernel can drop.
Exits non-zero when a command fails; never on a figure. Python 3 standard library only.
"""
import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (its helpers: machine(), git(), build(), BASELINE)

TIME_V = "/usr/bin/time"


class Peak:
    def __init__(self, seconds, cpu, maxrss_kb, anon_kb, file_kb, stdout):
        self.seconds, self.cpu, self.maxrss_kb, self.anon_kb, self.file_kb, self.stdout = seconds, cpu, maxrss_kb, anon_kb, file_kb, stdout


def rollup(pid):
    d = {}
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                p = line.split()
                if len(p) >= 3 and p[2] == "kB":
                    d[p[0].rstrip(":")] = int(p[1])
    except OSError:
        pass
    return d


def measure(argv, env=None, stdout_path=None):
    """Run argv under GNU time -v, sampling its smaps_rollup; raise on a non-zero exit."""
    fd, tfile = tempfile.mkstemp(prefix="bench-memory-time-")
    os.close(fd)
    out = open(stdout_path, "wb") if stdout_path else subprocess.PIPE
    t0 = time.perf_counter()
    p = subprocess.Popen([TIME_V, "-v", "-o", tfile] + argv, stdout=out, stderr=subprocess.PIPE, env=env)
    child, anon, filed = None, 0, 0
    while p.poll() is None:
        if child is None:
            try:
                with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
                    child = int(f.read().split()[0])
            except (OSError, IndexError, ValueError):
                pass
        if child:
            d = rollup(child)
            if d:
                anon = max(anon, d.get("Anonymous", 0))
                filed = max(filed, d.get("Rss", 0) - d.get("Anonymous", 0))
        time.sleep(0.05)
    seconds = time.perf_counter() - t0
    so = b"" if stdout_path else p.stdout.read()
    err = p.stderr.read().decode("utf-8", "replace")
    if stdout_path:
        out.close()
    with open(tfile) as f:
        tv = f.read()
    os.remove(tfile)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", tv)
    # CPU seconds (user + system): steadier than wall time on a shared machine.
    cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", tv))
    if p.returncode != 0:
        raise bench.BenchError("command failed (exit %d): %s\n%s" % (p.returncode, " ".join(argv), err[-2000:]))
    return Peak(seconds, cpu, int(m.group(1)) if m else None, anon, filed, so.decode("utf-8", "replace"))


def mib(kb):
    return "—" if kb is None else "%.1f MiB" % (kb / 1024)


def day_span(export):
    days = set()
    for entry in os.scandir(export):
        if entry.is_dir():
            for f in os.scandir(entry.path):
                if re.fullmatch(r"\d{4}-\d{2}-\d{2}\.json", f.name):
                    days.add(f.name[:10])
    first, last = min(days), max(days)
    return datetime.date.fromisoformat(first), datetime.date.fromisoformat(last)


def lethe_rows(lethe, work, tag, export, zip_path, thin_zip, policy, now, common_word, phrase):
    """Every command's Peak for one binary, by name, in a fresh archive of its own."""
    rows = {}
    env = dict(os.environ)
    env.pop("LETHE_ARCHIVE", None)

    def archive(name):
        a = os.path.join(work, "%s-%s" % (tag, name))
        shutil.rmtree(a, ignore_errors=True)
        key = a + ".key"
        if os.path.exists(key):
            os.remove(key)
        bench.run([lethe, "init", "--archive", a, "--key-file", key])
        return a, key

    a, k = archive("zip")
    bench.log("%s: import zip" % tag)
    rows["import zip"] = measure([lethe, "import", "--archive", a, "--key-file", k, "--json", zip_path], env)
    if thin_zip:
        t, tk = archive("thin")
        bench.log("%s: import thin zip" % tag)
        rows["import thin zip"] = measure([lethe, "import", "--archive", t, "--key-file", tk, "--json", thin_zip], env)
        shutil.rmtree(t, ignore_errors=True)
    shutil.rmtree(a, ignore_errors=True)
    a, k = archive("folder")
    bench.log("%s: import folder" % tag)
    rows["import folder"] = measure([lethe, "import", "--archive", a, "--key-file", k, "--json", export], env)
    base = ["--archive", a, "--key-file", k]
    bench.log("%s: verify, export, search, retention" % tag)
    rows["verify"] = measure([lethe, "verify"] + base, env)
    out = os.path.join(work, "%s-export" % tag)
    shutil.rmtree(out, ignore_errors=True)
    rows["export"] = measure([lethe, "export"] + base + ["--out", out], env)
    shutil.rmtree(out, ignore_errors=True)
    rows["search common word"] = measure([lethe, "search"] + base + [common_word, "--limit", "50"], env)
    rows["search phrase"] = measure([lethe, "search"] + base + ['"%s"' % phrase, "--limit", "50"], env)
    ret = base + ["--policy", policy, "--now", now + "T00:00:00Z", "--json"]
    rows["retention plan"] = measure([lethe, "retention", "plan"] + ret, env)
    rows["retention apply"] = measure([lethe, "retention", "apply"] + ret, env)
    shutil.rmtree(a, ignore_errors=True)
    return rows


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=200_000, help="generate an export of this many messages (lethe-gen)")
    ap.add_argument("--channels", type=int, default=200)
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--export", help="an export folder at hand (then --zip is its zip)")
    ap.add_argument("--zip", help="the zip of --export")
    ap.add_argument("--thin-zip", help="also import this zip (say, lethe-gen --profile thin); generated when generating")
    ap.add_argument("--lethe", help="the lethe binary under test (default: this checkout's release build)")
    ap.add_argument("--baseline-lethe", help="a second lethe binary run on the same export (say, the commit before)")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--workdir", help="scratch folder (kept); default a new one under /tmp, removed")
    ap.add_argument("--common-word", default="should")
    ap.add_argument("--phrase", default="ship should")
    a = ap.parse_args(argv)
    if not os.access(TIME_V, os.X_OK):
        raise bench.BenchError("%s (GNU time) is needed for peak RSS" % TIME_V)

    work = a.workdir or tempfile.mkdtemp(prefix="lethe-bench-memory-")
    os.makedirs(work, exist_ok=True)
    try:
        lethe = a.lethe
        if not lethe or (not a.export and not a.no_build):
            bin_dir = bench.build(["lethe", "lethe-gen"]) if not a.no_build else \
                bench.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=bench.ROOT).stdout.strip()
            lethe = lethe or os.path.join(bin_dir, "lethe")
        export, zip_path, thin_zip = a.export, a.zip, a.thin_zip
        if not export:
            gen = os.path.join(os.path.dirname(lethe), "lethe-gen")
            export, zip_path = os.path.join(work, "export"), os.path.join(work, "export.zip")
            bench.log("generating %d messages" % a.messages)
            bench.run([gen, "--messages", str(a.messages), "--channels", str(a.channels), "--users", str(a.users),
                       "--days", str(a.days), "--seed", str(a.seed), "--out", export, "--zip", zip_path])
            if not thin_zip:
                thin_zip = os.path.join(work, "thin.zip")
                bench.run([gen, "--profile", "thin", "--messages", str(a.messages), "--seed", str(a.seed + 1000),
                           "--out", os.path.join(work, "thin"), "--zip", thin_zip])
        first, last = day_span(export)
        span = (last - first).days + 1
        keep = max(1, span - span // 3)
        now = (last + datetime.timedelta(days=1)).isoformat()
        policy = os.path.join(work, "policy.yml")
        with open(policy, "w") as f:
            f.write("# written by Benchmarks/bench_memory.py: shred about the oldest third\nversion: 1\n\n"
                    "default:\n  keep: %dd\n" % keep)

        rows = lethe_rows(lethe, work, "new", export, zip_path, thin_zip, policy, now, a.common_word, a.phrase)
        base = None
        if a.baseline_lethe:
            base = lethe_rows(a.baseline_lethe, work, "base", export, zip_path, thin_zip, policy, now, a.common_word, a.phrase)
        bench.log("baselines: baseline_fts5.py load, unzip -p")
        db = os.path.join(work, "fts5.db")
        if os.path.exists(db):
            os.remove(db)
        fts5 = measure([sys.executable, bench.BASELINE, "load", export, db])
        os.remove(db)
        unzip = measure(["unzip", "-p", zip_path], stdout_path=os.devnull) if shutil.which("unzip") else None

        m = bench.machine()
        raw = bench.dir_bytes(export)
        print("Lethe peak RSS  %s" % datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
        print("machine: %s cores, %s, %s GiB RAM; commit %s" % (m["nproc"], m["cpu"], m["ram_gib"], bench.git("rev-parse", "--short=12", "HEAD")))
        print("export: %s (%.2f GB raw), zip %.1f MB%s" % (export, raw / 1e9, os.path.getsize(zip_path) / 1e6,
              ", thin zip %.1f MB" % (os.path.getsize(thin_zip) / 1e6) if thin_zip else ""))
        print("lethe: %s%s" % (lethe, "; baseline lethe: %s" % a.baseline_lethe if base else ""))
        print()
        hdr = "%-20s | %11s | %11s | %11s | %11s | %8s | %s" % ("command", "peak RSS", "anon", "file-backed", "baseline", "ratio", "wall s, cpu s (baseline)")
        print(hdr)
        print("-" * len(hdr))
        for name, r in rows.items():
            b = base[name] if base else None
            ratio = "%.2fx" % (r.maxrss_kb / b.maxrss_kb) if b and b.maxrss_kb else ""
            print("%-20s | %11s | %11s | %11s | %11s | %8s | %.1f s, %.1f s%s" % (
                name, mib(r.maxrss_kb), mib(r.anon_kb), mib(r.file_kb), mib(b.maxrss_kb) if b else "", ratio,
                r.seconds, r.cpu, " (%.1f s, %.1f s)" % (b.seconds, b.cpu) if b else ""))
        imp = rows["import folder"]
        print("%-20s | %11s | %11s | %11s | %11s | %8s | %.1f s" % (
            "fts5 load (folder)", mib(fts5.maxrss_kb), mib(fts5.anon_kb), mib(fts5.file_kb), "", "", fts5.seconds))
        if unzip:
            print("%-20s | %11s | %11s | %11s | %11s | %8s | %.1f s" % (
                "unzip -p (zip)", mib(unzip.maxrss_kb), mib(unzip.anon_kb), mib(unzip.file_kb), "", "", unzip.seconds))
        worst = max(r.maxrss_kb for r in rows.values())
        print()
        print("largest peak RSS of lethe: %s (import folder %s = %.2fx the fts5 loader's %s)" % (
            mib(worst), mib(imp.maxrss_kb), imp.maxrss_kb / fts5.maxrss_kb, mib(fts5.maxrss_kb)))
        print("single runs on a shared machine: seconds are noisy; peak RSS moves by a few MiB between runs")
    finally:
        if not a.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except bench.BenchError as e:
        print("bench_memory: %s" % e, file=sys.stderr)
        sys.exit(1)
