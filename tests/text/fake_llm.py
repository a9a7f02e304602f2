#!/usr/bin/env python3
"""polish — tests: a fake OpenAI-compatible chat endpoint on 127.0.0.1 for the rewrite test.

fake_llm.py CONFIG.json PORTFILE LOG: serves POST /MODE/v1/chat/completions, where CONFIG maps
MODE to {"content": text} (a normal reply holding that text), or {"status": N, "raw": body}
(that body as is), with an optional "sleep" in seconds first. Each request is appended to LOG
as one JSON line (path, Authorization header, the request body). The port it listens on is
written to PORTFILE."""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

config = json.load(open(sys.argv[1]))
log_path = sys.argv[3]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode("utf-8")
        with open(log_path, "a") as f:
            f.write(json.dumps({"path": self.path, "auth": self.headers.get("Authorization"),
                                "body": json.loads(body)}) + "\n")
        mode = self.path.strip("/").split("/")[0]
        m = config.get(mode)
        if m is None:
            self.send_response(404)
            self.end_headers()
            return
        time.sleep(m.get("sleep", 0))
        if "content" in m:
            out = json.dumps({"id": "x", "object": "chat.completion", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": m["content"]},
                 "finish_reason": "stop"}]}).encode()
            status = 200
        else:
            out = m["raw"].encode()
            status = m["status"]
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout case)


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
