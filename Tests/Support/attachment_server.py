#!/usr/bin/env python3
"""A stand-in for Slack's file host, for tests that download attachments.

Real HTTP on loopback, so the downloader under test runs its own network code
(URLSession, libcurl) instead of a mock. Standard library only.

    python3 attachment_server.py --root DIR --token TOKEN

binds 127.0.0.1 on a free port, prints "PORT <n>" as its first stdout line and
serves until killed (or, with --exit-with-stdin, until its stdin closes). Every request must carry "Authorization: Bearer TOKEN",
else 401 (except /__log). Paths:

  /files/<rel>             the file DIR/<rel>: 200 with Content-Length, 404 when absent
  /404/<anything>          404
  /429/<n>/<rel>           the first n requests for this exact path get 429 with
                           Retry-After: 1, later ones the file
  /slow/<seconds>/<rel>    sleeps, then answers as /files/<rel> (timeout tests)
  /truncated/<rel>         Content-Length = real size + 1000, the real bytes, then
                           the connection is closed
  /redirect/<rel>          302 to /files/<rel> on this server
  /redirect-host/<host>/<rel>
                           302 to http://<host>:<port>/files/<rel>: with host
                           "localhost" that is this server under another host name
                           (a cross-host redirect); with any other host, a redirect
                           off loopback that a client must refuse
  /redirect-chain/<n>/<rel>
                           n redirects in a row, then the file
  /chunked/<rel>           the file with Transfer-Encoding: chunked, no Content-Length
                           (a body whose size is known only as it arrives)
  /__log                   JSON array of every request so far (this one excluded):
                           {"path": ..., "auth": true|false}, auth meaning the
                           Authorization header was the right one
"""

import argparse
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 64 * 1024


class State:
    def __init__(self, root, token):
        self.root = os.path.realpath(root)
        self.expected_auth = "Bearer " + token
        self.lock = threading.Lock()
        self.log = []
        self.hits = {}  # path -> requests so far, for /429/

    def record(self, path, auth):
        with self.lock:
            self.log.append({"path": path, "auth": auth})

    def hit(self, path):
        with self.lock:
            self.hits[path] = self.hits.get(path, 0) + 1
            return self.hits[path]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "attachment-server"

    def log_message(self, format, *args):
        pass  # stdout carries only the PORT line; the log is at /__log

    def do_GET(self):
        state = self.server.state
        path = urllib.parse.urlsplit(self.path).path
        if path == "/__log":
            with state.lock:
                body = json.dumps(state.log).encode()
            return self.send_body(200, body, "application/json")
        auth = self.headers.get("Authorization") == state.expected_auth
        state.record(path, auth)
        if not auth:
            return self.send_body(401, b"missing or wrong bearer token\n")
        parts = urllib.parse.unquote(path).lstrip("/").split("/")
        kind, rest = parts[0], parts[1:]
        if kind == "files":
            return self.send_file(rest)
        if kind == "404":
            return self.send_body(404, b"not found\n")
        if kind == "429" and len(rest) >= 2 and rest[0].isdigit():
            if state.hit(path) <= int(rest[0]):
                return self.send_body(429, b"slow down\n", extra={"Retry-After": "1"})
            return self.send_file(rest[1:])
        if kind == "slow" and len(rest) >= 2:
            try:
                time.sleep(float(rest[0]))
            except ValueError:
                return self.send_body(400, b"bad delay\n")
            return self.send_file(rest[1:])
        if kind == "truncated":
            return self.send_file(rest, extra_length=1000)
        if kind == "redirect":
            return self.redirect(self.local_url("127.0.0.1", rest))
        if kind == "redirect-host" and len(rest) >= 2:
            return self.redirect(self.local_url(rest[0], rest[1:]))
        if kind == "redirect-chain" and len(rest) >= 2 and rest[0].isdigit():
            n = int(rest[0])
            if n == 0:
                return self.send_file(rest[1:])
            return self.redirect("/redirect-chain/%d/%s" % (n - 1, "/".join(rest[1:])))
        if kind == "chunked":
            return self.send_file(rest, chunked=True)
        return self.send_body(404, b"unknown route\n")

    def local_url(self, host, rest):
        return "http://%s:%d/files/%s" % (host, self.server.server_address[1], "/".join(rest))

    def redirect(self, location):
        self.send_body(302, b"", extra={"Location": location})

    def send_body(self, code, body, content_type="text/plain", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def send_file(self, rest, extra_length=0, chunked=False):
        # No "..", no empty or absolute components: the file must lie under --root.
        if not rest or any(p in ("", ".", "..") for p in rest):
            return self.send_body(404, b"bad path\n")
        full = os.path.realpath(os.path.join(self.server.state.root, *rest))
        if not full.startswith(self.server.state.root + os.sep) or not os.path.isfile(full):
            return self.send_body(404, b"not found\n")
        size = os.path.getsize(full)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(size + extra_length))
        self.end_headers()
        with open(full, "rb") as f:
            while True:
                chunk = f.read(CHUNK)
                if not chunk:
                    break
                if chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                else:
                    self.wfile.write(chunk)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        if extra_length:
            # Fewer bytes than promised: closing is the only way to end the body.
            self.wfile.flush()
            self.close_connection = True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--exit-with-stdin", action="store_true",
                        help="also exit when stdin reaches end of file: a test process that dies "
                             "closes it, so no server outlives a crashed test")
    args = parser.parse_args()
    if args.exit_with_stdin:
        def watch():
            sys.stdin.buffer.read()
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = State(args.root, args.token)
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
