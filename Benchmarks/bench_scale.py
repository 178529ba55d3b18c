#!/usr/bin/env python3
"""Lethe's scaling curve (issue 18, goal 5): bench.py's import, size and search at several sizes.

    python3 Benchmarks/bench_scale.py                      # 100k, 1M, 5M messages (make bench-scale)
    python3 Benchmarks/bench_scale.py --sizes 10000,30000  # a quick try

For each size it generates an export with lethe-gen and runs bench.py's own measurements
(bench.bench with --sections size,search: the folder import beside the FTS5 load, the archive
beside the raw export, the zip and the FTS5 database, and the four search queries beside the
FTS5 search process), each figure beside its baseline from the same run. The slow sections
the curve does not need (zip import, grep over the whole export, serve, export, retention,
forget, role keys, compression) are skipped. After each size it rewrites the JSON, the
markdown table and the PNG plot, so an interrupted run keeps the sizes it finished.

Workspace shape: by default channels and users grow with the messages (200 channels and
1,000 users per million messages, at least 10 and 20) over a fixed 730 days, so the 1M row
is `make bench`'s export and every size has the same density (messages per channel-day and
per user-day): a bigger company, not the same company talking more. --shape fixed keeps
200 channels and 1,000 users at every size instead (density grows with the size).

Needs matplotlib for the plot (pip install matplotlib); without it the table and JSON are
still written. Never asserts on timings.
"""
import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile
import textwrap
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (bench.py beside this file)

ROOT = bench.ROOT
PER_MILLION = dict(channels=200, users=1000)
DAYS = 730
QUERY_KINDS = ("common", "rare", "phrase", "modifiers")


def shape(messages, kind):
    if kind == "fixed":
        return dict(channels=PER_MILLION["channels"], users=PER_MILLION["users"], days=DAYS)
    f = messages / 1_000_000
    return dict(channels=max(10, round(PER_MILLION["channels"] * f)), users=max(20, round(PER_MILLION["users"] * f)),
                days=DAYS)


def row_of(R):
    """The figures of one size, from bench.bench's results."""
    imp = R["import"]
    folder, base = imp["lethe_folder"], imp["baseline"]
    size = R["size"]
    row = {"messages": R["export"]["messages"], "channels": R["sizes"]["channels"], "users": R["sizes"]["users"],
           "days": R["sizes"]["days"], "day_files": R["export"]["day_files"], "raw_bytes": size["raw_bytes"],
           "import_s": folder["seconds"], "import_base_s": base["seconds"],
           "rss_mib": folder["rss_kb"] and folder["rss_kb"] / 1024,
           "rss_base_mib": base["rss_kb"] and base["rss_kb"] / 1024,
           "archive_bytes": size["archive_bytes"], "zip_bytes": size["zip_bytes"],
           "fts5_bytes": size["baseline_db_bytes"], "archive_files": size.get("archive_files", {}),
           "search": {}}
    for q in R["search"]["queries"]:
        l = q.get("lethe") or {}
        row["search"][q["name"]] = {
            "query": q["query"], "lethe_ms": bench.median(l.get("process_ms") or []),
            "fts5_ms": bench.median(q["baseline"]["process_ms"]),
            "fts5_in_ms": bench.median(q["baseline"]["in_process_ms"]),
            "lethe_results": l.get("results"), "fts5_results": q["baseline"]["results"]}
    row["startup_ms"] = bench.median(R["search"]["startup_ms"]["lethe_help"])
    return row


def growth(rows, get):
    """'x A.AA per x B' between consecutive sizes: the figure's ratio against the messages' ratio."""
    parts = []
    for r0, r1 in zip(rows, rows[1:]):
        v0, v1 = get(r0), get(r1)
        if v0 and v1:
            parts.append("×%.2f for ×%g msgs" % (v1 / v0, r1["messages"] / r0["messages"]))
    return "; ".join(parts) or "n/a"


def table(rows, meta):
    f, fb, ra = bench.fmt, bench.fmt_bytes, bench.ratio
    out = ["Scaling run %s, commit %s%s, %s; shape %s; %d whole-process runs per query (median)." % (
        meta["date"], (meta["commit"] or "?")[:12], " + uncommitted changes" if meta["dirty"] else "",
        meta["machine_line"], meta["shape"], meta["runs"])]
    if meta.get("resumed_from"):
        r = meta["resumed_from"]
        out[0] += " Sizes %s from the earlier run %s, commit %s." % (
            ", ".join(format(n, ",") for n in r["measured"]), r["date"], (r["commit"] or "?")[:12])
    out.append("")
    head = ["figure"] + ["%s msgs" % format(r["messages"], ",") for r in rows] + ["growth (figure ratio per size ratio)"]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))

    def line(name, cell, get=None):
        out.append("| " + " | ".join([name] + [cell(r) for r in rows] + [growth(rows, get) if get else ""]) + " |")

    line("channels / users / days", lambda r: "%d / %d / %d" % (r["channels"], r["users"], r["days"]))
    line("raw export (day files)", lambda r: "%s (%s)" % (fb(r["raw_bytes"]), format(r["day_files"] or 0, ",")),
         lambda r: r["raw_bytes"])
    line("import s: lethe / FTS5 load", lambda r: "%s / %s (%s)" % (
        f(r["import_s"], " s"), f(r["import_base_s"], " s"), ra(r["import_s"], r["import_base_s"])), lambda r: r["import_s"])
    line("  FTS5 load s", lambda r: f(r["import_base_s"], " s"), lambda r: r["import_base_s"])
    line("import peak RSS: lethe / FTS5 load", lambda r: "%s / %s (%s)" % (
        f(r["rss_mib"], " MiB"), f(r["rss_base_mib"], " MiB"), ra(r["rss_mib"], r["rss_base_mib"])), lambda r: r["rss_mib"])
    line("  FTS5 load RSS", lambda r: f(r["rss_base_mib"], " MiB"), lambda r: r["rss_base_mib"])
    line("archive: lethe / zip", lambda r: "%s / %s (%s)" % (
        fb(r["archive_bytes"]), fb(r["zip_bytes"]), ra(r["archive_bytes"], r["zip_bytes"])), lambda r: r["archive_bytes"])
    line("  FTS5 db (ratio lethe / it)", lambda r: "%s (%s)" % (fb(r["fts5_bytes"]), ra(r["archive_bytes"], r["fts5_bytes"])),
         lambda r: r["fts5_bytes"])
    line("  keys.db / data.db", lambda r: "%s / %s" % (fb(r["archive_files"].get("keys.db")), fb(r["archive_files"].get("data.db"))),
         lambda r: r["archive_files"].get("keys.db"))
    for k in QUERY_KINDS:
        line("search %s p50: lethe / FTS5" % k, lambda r, k=k: "%s / %s (%s)" % (
            f(r["search"][k]["lethe_ms"], " ms"), f(r["search"][k]["fts5_ms"], " ms"),
            ra(r["search"][k]["lethe_ms"], r["search"][k]["fts5_ms"])), lambda r, k=k: r["search"][k]["lethe_ms"])
        line("  FTS5 %s p50 (in-process)" % k, lambda r, k=k: "%s (%s)" % (
            f(r["search"][k]["fts5_ms"], " ms"), f(r["search"][k]["fts5_in_ms"], " ms")),
            lambda r, k=k: r["search"][k]["fts5_ms"])
    line("startup: lethe --help p50", lambda r: f(r["startup_ms"], " ms"), lambda r: r["startup_ms"])
    out.append("")
    out.append("Queries: " + "; ".join("%s `%s`" % (k, rows[-1]["search"][k]["query"]) for k in QUERY_KINDS)
               + " (at the largest size; results lethe / FTS5: "
               + ", ".join("%s %s/%s" % (k, rows[-1]["search"][k]["lethe_results"], rows[-1]["search"][k]["fts5_results"])
                           for k in QUERY_KINDS) + ").")
    return "\n".join(out) + "\n"


def plot(rows, path, meta):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        bench.log("matplotlib not installed (pip install matplotlib): no plot written")
        return False
    x = [r["messages"] for r in rows]
    panels = [("import (s)", [("lethe import", [r["import_s"] for r in rows]),
                              ("FTS5 load", [r["import_base_s"] for r in rows])]),
              ("size (MB)", [("lethe archive", [r["archive_bytes"] / 1e6 for r in rows]),
                             ("zip", [(r["zip_bytes"] or 0) / 1e6 for r in rows]),
                             ("FTS5 db", [r["fts5_bytes"] / 1e6 for r in rows]),
                             ("raw export", [r["raw_bytes"] / 1e6 for r in rows])]),
              ("import peak RSS (MiB)", [("lethe import", [r["rss_mib"] for r in rows]),
                                         ("FTS5 load", [r["rss_base_mib"] for r in rows])])]
    for k in QUERY_KINDS:
        panels.append(("search %s, p50 (ms)" % k, [("lethe", [r["search"][k]["lethe_ms"] for r in rows]),
                                                   ("FTS5 process", [r["search"][k]["fts5_ms"] for r in rows]),
                                                   ("FTS5 in-process", [r["search"][k]["fts5_in_ms"] for r in rows])]))
    fig, axes = plt.subplots(2, 4, figsize=(16, 7.5))
    axes = axes.flatten()
    for ax, (title, series) in zip(axes, panels):
        for label, ys in series:
            pts = [(a, b) for a, b in zip(x, ys) if b]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("messages")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    axes[-1].axis("off")
    axes[-1].text(0, 0.5, "Lethe scaling (issue 18, goal 5)\ncommit %s\n%s\nshape: %s\nlog-log axes; every figure\nbeside its baseline from the same run\n(shared 2-core machine: noisy)" % (
        (meta["commit"] or "?")[:12], meta["date"], "\n".join(textwrap.wrap(meta["shape"], 34))), fontsize=9, va="center")
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def main(argv):
    ap = argparse.ArgumentParser(description="Lethe's scaling curve: bench.py's import, size and search at several sizes.")
    ap.add_argument("--sizes", default="100000,1000000,5000000", help="comma-separated message counts")
    ap.add_argument("--shape", choices=("proportional", "fixed"), default="proportional",
                    help="proportional: 200 channels and 1,000 users per million messages; fixed: 200 and 1,000 always "
                    "(730 days either way)")
    ap.add_argument("--runs", type=int, default=7, help="whole-process runs per search query")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sections", default="size,search",
                    help="bench.py sections besides the folder import (default: size,search; e.g. add tar-zstd)")
    ap.add_argument("--no-build", action="store_true", help="use the binaries already built")
    ap.add_argument("--lethe", metavar="BIN", help="benchmark this lethe binary")
    ap.add_argument("--json", default="/tmp/lethe-scale.json", help="every figure of every size (default %(default)s)")
    ap.add_argument("--table", default="/tmp/lethe-scale.md", help="the markdown table (default %(default)s)")
    ap.add_argument("--plot", default=os.path.join(ROOT, "docs", "images", "scale.png"), help="the PNG (default docs/images/scale.png)")
    ap.add_argument("--resume", metavar="JSON", help="start from the sizes a previous run wrote to this JSON file "
                    "(same shape and runs): they are kept, not measured again")
    ap.add_argument("--zip-with", choices=("auto", "lethe-gen", "info-zip"), default="auto",
                    help="who writes the export's zip: lethe-gen, or Info-ZIP's zip -6 (auto: Info-ZIP above 1M "
                         "messages, where lethe-gen's zip writer, quadratic in entries, takes hours)")
    ap.add_argument("--workdir", default="/tmp", help="where each size's scratch folder is made (removed after the size)")
    a = ap.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in a.sizes.split(",") if s.strip()]
    sections = bench.parse_sections(a.sections)
    for need in ("size", "search"):
        if need not in sections:
            raise bench.BenchError("--sections must include %s" % need)

    if a.no_build:
        bin_dir = bench.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT).stdout.strip()
    else:
        bin_dir = bench.build(["lethe", "lethe-gen"])
    lethe = os.path.abspath(a.lethe) if a.lethe else os.path.join(bin_dir, "lethe")
    for b in (lethe, os.path.join(bin_dir, "lethe-gen")):
        if not os.access(b, os.X_OK):
            raise bench.BenchError("no binary at %s" % b)

    m = bench.machine()
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "commit": bench.git("rev-parse", "HEAD"), "dirty": bool(bench.git("status", "--porcelain", "--untracked-files=no")),
            "machine": m, "machine_line": "%s cores, %s, %s GiB RAM" % (m["nproc"], m["cpu"], m["ram_gib"]),
            "shape": ("proportional: %d channels and %d users per million messages, %d days" % (
                PER_MILLION["channels"], PER_MILLION["users"], DAYS)) if a.shape == "proportional" else (
                "fixed: %d channels, %d users, %d days" % (PER_MILLION["channels"], PER_MILLION["users"], DAYS)),
            "runs": a.runs, "sizes": sizes}
    print("bench_scale: sizes %s; shape %s" % (", ".join(format(s, ",") for s in sizes), meta["shape"]), flush=True)
    rows, results = [], []
    if a.resume:
        with open(a.resume) as f:
            old = json.load(f)
        if old["meta"]["shape"] != meta["shape"] or old["meta"]["runs"] != meta["runs"]:
            raise bench.BenchError("%s was measured with another shape or --runs" % a.resume)
        rows, results = old["rows"], old["results"]
        meta["resumed_from"] = dict(old["meta"], measured=[r["messages"] for r in rows])
        bench.log("kept %s from %s" % (", ".join(format(r["messages"], ",") for r in rows), a.resume))
    for n in sizes:
        if any(r["messages"] == n for r in rows):
            continue
        sh = shape(n, a.shape)
        zip_with = a.zip_with if a.zip_with != "auto" else ("info-zip" if n > 1_000_000 else "lethe-gen")
        args = types.SimpleNamespace(messages=n, seed=a.seed, runs=a.runs, sections=sections, zip_with=zip_with, **sh)
        work = tempfile.mkdtemp(prefix="lethe-scale-%d-" % n, dir=a.workdir)
        bench.log("size %s: %d channels, %d users, %d days (scratch %s)" % (format(n, ","), sh["channels"], sh["users"],
                                                                            sh["days"], work))
        t0 = time.perf_counter()
        try:
            R = bench.bench(args, "lethe-gen", bin_dir, lethe, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        R["total_seconds"] = time.perf_counter() - t0
        results.append(R)
        rows.append(row_of(R))
        order = sorted(range(len(rows)), key=lambda i: rows[i]["messages"])
        rows, results = [rows[i] for i in order], [results[i] for i in order]
        with open(a.json, "w") as f:
            json.dump({"meta": meta, "rows": rows, "results": results}, f, indent=2, ensure_ascii=False)
            f.write("\n")
        md = table(rows, meta)
        with open(a.table, "w") as f:
            f.write(md)
        plotted = plot(rows, a.plot, meta)
        print("\n" + md, flush=True)
        print("size %s done in %.0f s; figures in %s, table %s%s" % (
            format(n, ","), R["total_seconds"], a.json, a.table, ", plot " + a.plot if plotted else ""), flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except bench.BenchError as e:
        print("bench_scale: FAILED: %s" % e, file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
