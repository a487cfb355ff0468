#!/usr/bin/env python3
"""A small HTTP server for kudoc's tests, on 127.0.0.1 and a port the kernel picks.

  /git/...    git's smart HTTP: runs `git http-backend` (CGI) over --git-root; with --user and
              --password it asks for HTTP basic auth, with --token it also takes
              "Authorization: Bearer TOKEN"
  anything    a file under --root (a KUDO repository: index.yaml and .tgz files)

With --tls-cert and --tls-key (PEM files) it speaks HTTPS instead of HTTP. It writes the port to
--port-file once it listens, and logs one line per request (method, path,
status; never a header) to stderr.
"""
import argparse
import base64
import hmac
import http.server
import os
import ssl
import subprocess
import sys


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--root", default=None)
    p.add_argument("--git-root", default=None)
    p.add_argument("--user", default=None)
    p.add_argument("--password", default=None)
    p.add_argument("--token", default=None)
    p.add_argument("--port-file", required=True)
    p.add_argument("--tls-cert", default=None)
    p.add_argument("--tls-key", default=None)
    return p.parse_args()


ARGS = parse_args()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("httpd: " + (fmt % args) + "\n")

    def authorized(self):
        if ARGS.user is None and ARGS.token is None:
            return True
        got = self.headers.get("Authorization", "")
        if ARGS.token is not None and hmac.compare_digest(got, "Bearer " + ARGS.token):
            return True
        if ARGS.user is not None:
            want = "Basic " + base64.b64encode(f"{ARGS.user}:{ARGS.password}".encode()).decode()
            if hmac.compare_digest(got, want):
                return True
        return False

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                line = self.rfile.readline().strip()
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status, headers, data):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def git(self):
        data = self.body()
        if not self.authorized():
            self.reply(401, [("WWW-Authenticate", 'Basic realm="kudoc-test"')], b"")
            return
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": ARGS.git_root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path[len("/git"):],
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(data)),
            "REMOTE_USER": ARGS.user or "",
            "REMOTE_ADDR": "127.0.0.1",
            "GATEWAY_INTERFACE": "CGI/1.1",
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        proc = subprocess.run(["git", "http-backend"], input=data, env=env, capture_output=True)
        head, _, out = proc.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, out = proc.stdout.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            k, _, v = line.partition(":")
            if k.lower() == "status":
                status = int(v.strip().split()[0])
            elif k:
                headers.append((k.strip(), v.strip()))
        self.reply(status, headers, out)

    def static(self):
        self.body()
        rel = self.path.partition("?")[0].lstrip("/")
        full = os.path.realpath(os.path.join(ARGS.root or "/nonexistent", rel))
        root = os.path.realpath(ARGS.root or "/nonexistent")
        if not full.startswith(root + os.sep) or not os.path.isfile(full):
            self.reply(404, [], b"not found\n")
            return
        with open(full, "rb") as f:
            self.reply(200, [("Content-Type", "application/octet-stream")], f.read())

    def do_GET(self):
        if self.path.startswith("/git/") and ARGS.git_root:
            self.git()
        else:
            self.static()

    do_POST = do_GET
    do_HEAD = do_GET


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if ARGS.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, ARGS.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
