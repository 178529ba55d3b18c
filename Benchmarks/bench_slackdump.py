#!/usr/bin/env python3
"""slackdump import benchmark: the same workspace in slackdump's three formats, each imported
into a fresh archive, beside the baseline measured in the same run — the Slack export that
`lethe export` writes of it, imported the same way. Median of --runs runs; read the ratios
(the machine is noisy). The workspace is Tests/Fixtures/make-slackdump-fixtures.py's, with
--messages more messages in one conversation.

    python3 Benchmarks/bench_slackdump.py --messages 100000 --runs 3
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--lethe", default=os.path.join(ROOT, ".build/release/lethe"))
    args = ap.parse_args()
    if not os.access(args.lethe, os.X_OK):
        sys.exit(f"no lethe at {args.lethe}: swift build -c release --product lethe")
    work = tempfile.mkdtemp(prefix="bench-slackdump-")
    env = dict(os.environ, LETHE_PASSPHRASE="bench-passphrase-not-secret")
    fx = os.path.join(work, "fx")
    subprocess.run([sys.executable, os.path.join(ROOT, "Tests/Fixtures/make-slackdump-fixtures.py"), fx, str(args.messages)], check=True)

    def lethe(*argv):
        p = subprocess.run([args.lethe, *argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0:
            sys.exit(f"lethe {' '.join(argv)}: exit {p.returncode}\n{p.stderr.decode()[-2000:]}")
        return p.stdout.decode()

    # The baseline: the Slack export of the same archive.
    ref = os.path.join(work, "ref")
    lethe("init", "--archive", ref)
    lethe("import", "--archive", ref, os.path.join(fx, "database"))
    lethe("export", "--archive", ref, "--out", os.path.join(fx, "slack-export"))
    sources = ["slack-export", "database", "chunks", "dump"]
    times = {s: [] for s in sources}
    for _ in range(args.runs):
        for s in sources:
            a = os.path.join(work, "a")
            shutil.rmtree(a, ignore_errors=True)
            lethe("init", "--archive", a)
            t0 = time.perf_counter()
            lethe("import", "--archive", a, os.path.join(fx, s))
            times[s].append(time.perf_counter() - t0)
    base = statistics.median(times["slack-export"])
    n = args.messages + 11
    print(f"import of {n:,} messages, median of {args.runs} runs (each run imports the four in turn)")
    print(f"{'source':<34}{'seconds':>9}{'msg/s':>10}{'vs export':>11}")
    labels = {"slack-export": "Slack export (baseline)", "database": "slackdump.sqlite", "chunks": "chunk archive (*.json.gz)", "dump": "dump (<id>.json)"}
    for s in sources:
        m = statistics.median(times[s])
        print(f"{labels[s]:<34}{m:>9.2f}{n / m:>10,.0f}{m / base:>10.2f}×")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
