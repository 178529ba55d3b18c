#!/usr/bin/env python3
"""Writes the attachment fixtures: one small Slack export with shared files, in slackdump's
two layouts (slack-files: standard, <channel>/attachments/<ID>-<name>; slack-files-mattermost:
__uploads/<ID>/<name>). Deterministic: run it again and nothing changes. The files are real
formats (a PDF, a PNG, text, CSV), each with a string or byte run that appears nowhere else,
so that tests can scan the archive for them.

    python3 Tests/Fixtures/make-attachment-fixtures.py
"""
import json, os, random, shutil, struct, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(1307)


def pdf(text):
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


def png(w, h):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(w * 3)) for _ in range(h))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


FILES = {
    "F0PDF00001": ("contract.pdf", "application/pdf", "pdf", pdf("Master Services Agreement ZEBRAQUOKKA-PDF-77")),
    "F0PNG00001": ("diagram.png", "image/png", "png", png(96, 96)),
    "F0TXT00001": ("meeting notes.txt", "text/plain", "text",
                   ("Minutes of the board meeting.\nThe codeword is PLUMTREE-LANTERN-4411; do not repeat it.\n" * 40).encode()),
    "F0CSV00001": ("budget.csv", "text/csv", "csv", b"item,amount\nservers,1200\nlegal,MARMOSET-LEDGER-9\n"),
    "F0DUP00001": ("copy-a.txt", "text/plain", "text", b"the same bytes twice\n"),
    "F0DUP00002": ("copy-b.txt", "text/plain", "text", b"the same bytes twice\n"),
    "F0SIZE0001": ("wrong-size.txt", "text/plain", "text", b"eleven byte"),
}
STATED_SIZE = {"F0SIZE0001": 999}
CHANNELS = [("C0FILES001", "design"), ("C0FILES002", "legal")]
USERS = [("U0ALICE001", "alice"), ("U0BOB00001", "bob")]
# (channel, day, ts, user, text, [file ids])
MESSAGES = [
    ("design", "2024-03-04", "1709546400.000100", "U0ALICE001", "Here is the signed contract", ["F0PDF00001"]),
    ("design", "2024-03-04", "1709546460.000200", "U0BOB00001", "And the architecture diagram", ["F0PNG00001"]),
    ("design", "2024-03-04", "1709546520.000300", "U0ALICE001", "Two copies of one file", ["F0DUP00001", "F0DUP00002"]),
    ("design", "2024-03-05", "1709632800.000100", "U0BOB00001", "Budget for next year", ["F0CSV00001"]),
    ("design", "2024-03-05", "1709632860.000200", "U0ALICE001", "This one was never downloaded", ["F0GONE0001"]),
    ("legal", "2024-03-04", "1709546600.000100", "U0ALICE001", "Minutes attached", ["F0TXT00001"]),
    ("legal", "2024-03-04", "1709546660.000200", "U0BOB00001", "Budget, for the lawyers", ["F0CSV00001"]),
    ("legal", "2024-03-05", "1709632900.000100", "U0BOB00001", "Size says otherwise", ["F0SIZE0001"]),
]


def file_object(fid):
    if fid not in FILES:
        return {"id": fid, "name": "lost.bin", "title": "lost.bin", "mimetype": "application/octet-stream", "size": 1234,
                "url_private": f"https://files.slack.com/files-pri/T0TEAM-{fid}/lost.bin"}
    name, mime, ftype, data = FILES[fid]
    return {"id": fid, "created": 1709546000, "timestamp": 1709546000, "name": name, "title": name.rsplit(".", 1)[0],
            "mimetype": mime, "filetype": ftype, "user": "U0ALICE001", "size": STATED_SIZE.get(fid, len(data)),
            "url_private": f"https://files.slack.com/files-pri/T0TEAM-{fid}/{name.replace(' ', '_')}",
            "url_private_download": f"https://files.slack.com/files-pri/T0TEAM-{fid}/download/{name.replace(' ', '_')}"}


def write(root, layout):
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    dump = lambda path, v: open(os.path.join(root, path), "w").write(json.dumps(v, indent=4, ensure_ascii=False) + "\n")
    dump("channels.json", [{"id": i, "name": n, "created": 1709500000, "creator": "U0ALICE001", "is_archived": False,
                            "members": [u for u, _ in USERS]} for i, n in CHANNELS])
    dump("users.json", [{"id": i, "name": n, "real_name": n.title(), "profile": {"display_name": n}} for i, n in USERS])
    days = {}
    for ch, day, ts, user, text, fids in MESSAGES:
        days.setdefault((ch, day), []).append({"type": "message", "ts": ts, "user": user, "text": text,
                                               "files": [file_object(f) for f in fids], "upload": True})
        for f in fids:
            if f not in FILES:
                continue
            name, _, _, data = FILES[f]
            path = os.path.join(root, ch, "attachments", f"{f}-{name}") if layout == "standard" else os.path.join(root, "__uploads", f, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "wb").write(data)
    for (ch, day), msgs in days.items():
        os.makedirs(os.path.join(root, ch), exist_ok=True)
        dump(f"{ch}/{day}.json", msgs)
    # A file no message shares: listed as not read, never silently dropped.
    stray = os.path.join(root, "design", "attachments", "F0STRAY001-stray.txt") if layout == "standard" else os.path.join(root, "__uploads", "F0STRAY001", "stray.txt")
    os.makedirs(os.path.dirname(stray), exist_ok=True)
    open(stray, "wb").write(b"nobody shared me\n")


write(os.path.join(HERE, "slack-files"), "standard")
write(os.path.join(HERE, "slack-files-mattermost"), "mattermost")
