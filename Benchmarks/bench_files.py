#!/usr/bin/env python3
"""Attachment benchmark: import and export an export whose attached files total --mb
megabytes, beside `cp -r` and `tar | zstd -3` of the same files in the same run.

The export is generated: one channel, one message per file, slackdump's standard layout
(<channel>/attachments/<ID>-<name>). Its files are 60 % random bytes (photos, archives:
incompressible, stored as they are) and 40 % text (compressible), plus one file of a
quarter of the total (the streaming case: peak RSS must not follow the file's size).
Figures are single runs; the machine is noisy, so read the ratios. Not in CI at full size
(`make bench-quick` runs it with --mb 64 as a smoke test); `make bench-files` runs 2048.
"""
import argparse, hashlib, json, os, random, re, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIME_V = "/usr/bin/time"
WORDS = ("contract budget roadmap outage deploy invoice meeting minutes review draft final legal "
         "quarterly forecast customer incident postmortem schedule hiring design launch").split()


def timed(argv, env=None, shell=False):
    """Runs argv; returns (seconds, peak RSS in MiB or None, CPU % or None)."""
    fd, out = tempfile.mkstemp(prefix="bench-time-")
    os.close(fd)
    full = [TIME_V, "-v", "-o", out] + (["bash", "-c", argv] if shell else argv) if os.access(TIME_V, os.X_OK) else (["bash", "-c", argv] if shell else argv)
    t0 = time.perf_counter()
    p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    seconds = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit("failed (exit %d): %s\n%s" % (p.returncode, argv, p.stderr.decode()[-2000:]))
    text = open(out).read()
    os.remove(out)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    cpu = re.search(r"Percent of CPU this job got: (\d+)%", text)
    return seconds, (int(rss.group(1)) / 1024 if rss else None), (int(cpu.group(1)) if cpu else None)


def generate(root, total_mb, seed=7):
    rng = random.Random(seed)
    total = total_mb << 20
    os.makedirs(os.path.join(root, "files", "attachments"))
    sizes = [total // 4]
    left = total - sizes[0]
    while left > 0:
        s = min(left, rng.randint(256 << 10, 24 << 20))
        sizes.append(s)
        left -= s
    messages, n = [], 0
    for i, size in enumerate(sizes):
        fid = "F%09d" % i
        text = i % 5 in (1, 3)
        name = ("notes-%d.txt" if text else "scan-%d.bin") % i
        path = os.path.join(root, "files", "attachments", "%s-%s" % (fid, name))
        with open(path, "wb") as f:
            written = 0
            while written < size:
                step = min(4 << 20, size - written)
                if text:
                    line = (" ".join(rng.choice(WORDS) for _ in range(12)) + "\n").encode()
                    block = (line * (step // len(line) + 1))[:step]
                else:
                    block = os.urandom(step)
                f.write(block)
                written += step
        ts = "%d.%06d" % (1709546400 + i * 60, i)
        messages.append({"type": "message", "ts": ts, "user": "U0BENCH001", "text": "file %d" % i,
                         "files": [{"id": fid, "name": name, "size": size, "mimetype": "text/plain" if text else "application/octet-stream"}]})
        n += size
    json.dump([{"id": "C0BENCH001", "name": "files", "created": 1709500000, "members": ["U0BENCH001"]}], open(os.path.join(root, "channels.json"), "w"))
    json.dump([{"id": "U0BENCH001", "name": "bench"}], open(os.path.join(root, "users.json"), "w"))
    json.dump(messages, open(os.path.join(root, "files", "2024-03-04.json"), "w"))
    return len(sizes), n


def digest_tree(root):
    out = {}
    for base, _, files in os.walk(root):
        for f in files:
            if "/attachments" in base:
                h = hashlib.blake2b()
                with open(os.path.join(base, f), "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        h.update(block)
                out[os.path.relpath(os.path.join(base, f), root)] = h.hexdigest()
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=int, default=2048, help="total size of the attached files (default 2048)")
    ap.add_argument("--lethe", help="the lethe binary (default: build it in release mode)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    a = ap.parse_args(argv)
    lethe = a.lethe
    if not lethe:
        subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--product", "lethe"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        bin_dir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True, stdout=subprocess.PIPE).stdout.decode().strip()
        lethe = os.path.join(bin_dir, "lethe")
    work = tempfile.mkdtemp(prefix="lethe-bench-files-")
    try:
        export = os.path.join(work, "export")
        count, total = generate(export, a.mb)
        mib = total / (1 << 20)
        print("attachment benchmark: %d files, %.0f MiB (a quarter in one file), standard layout" % (count, mib))
        cp = timed(["cp", "-r", export, os.path.join(work, "copy")])
        zst = os.path.join(work, "export.tar.zst")
        tz = timed("tar -C %s -cf - . | zstd -3 -q -T1 -o %s" % (export, zst), shell=True)
        env = dict(os.environ, LETHE_ARCHIVE=os.path.join(work, "archive"))
        key = os.path.join(work, "key")
        subprocess.run([lethe, "init", "--key-file", key], env=env, check=True, stdout=subprocess.DEVNULL)
        imp = timed([lethe, "import", "--key-file", key, "--max-attachment-size", "64G", export], env=env)
        arch = sum(os.path.getsize(os.path.join(env["LETHE_ARCHIVE"], f)) for f in os.listdir(env["LETHE_ARCHIVE"]))
        out = os.path.join(work, "restored")
        exp = timed([lethe, "export", "--key-file", key, "--out", out], env=env)
        ver = timed([lethe, "verify", "--key-file", key], env=env)
        same = digest_tree(out) == digest_tree(export)
        rows = [("cp -r", cp, None), ("tar | zstd -3", tz, os.path.getsize(zst)), ("lethe import", imp, arch),
                ("lethe export", exp, None), ("lethe verify", ver, None)]
        print("%-15s %9s %9s %10s %7s %10s" % ("", "seconds", "MB/s", "peak RSS", "CPU", "size"))
        for name, (s, rss, cpu), size in rows:
            print("%-15s %9.2f %9.1f %8s %7s %10s" % (name, s, mib / s, "%.0f MiB" % rss if rss else "-", "%d%%" % cpu if cpu else "-",
                                                      "%.0f MiB" % (size / (1 << 20)) if size else "-"))
        print("lethe import: %.2fx the time of cp -r, %.2fx of tar | zstd -3; archive %.3fx the files, %.3fx the .tar.zst" % (
            imp[0] / cp[0], imp[0] / tz[0], arch / total, arch / os.path.getsize(zst)))
        print("export byte-identical: %s" % ("yes" if same else "NO"))
        if not same:
            sys.exit("the export differs from the input")
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
