#!/usr/bin/env python3
"""A gateway that lies: every request answers 200, uploads are reported loaded at once, but /getdata and /stats
serve nothing. ci/local-pipeline.sh runs the master pipeline's integration-test command against it and requires
that it fails, so a deploy that only answers 200 can never pass the pipeline's check.

    lying-gateway.py <port-file> <token>

Listens on 127.0.0.1 (a free port, written to <port-file>) until killed. A request without
"Authorization: Bearer <token>" gets 401: the pipeline's command must send the token it minted.
"""
import json
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    port_file, token = sys.argv[1], sys.argv[2]

    class Liar(BaseHTTPRequestHandler):
        uploads: dict = {}

        def log_message(self, *args) -> None:  # quiet: the test output is what matters
            pass

        def answer(self, code: int, body) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def authorized(self) -> bool:
            if self.headers.get("Authorization") == f"Bearer {token}":
                return True
            self.answer(401, {"title": "missing or wrong bearer token"})
            return False

        def do_POST(self) -> None:
            if not self.authorized():
                return
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.split("?")[0] != "/upload":
                self.answer(404, {"title": "not found"})
                return
            upload_id = uuid.uuid4().hex
            status = {"upload_id": upload_id, "status": "loaded", "rows_loaded": 21, "rows_rejected": 0, "errors": []}
            Liar.uploads[upload_id] = status
            self.answer(200, status)

        def do_GET(self) -> None:
            if not self.authorized():
                return
            path = self.path.split("?")[0]
            if path.startswith("/uploads/") and path[len("/uploads/"):] in Liar.uploads:
                self.answer(200, Liar.uploads[path[len("/uploads/"):]])
            else:  # /getdata, /stats, /datasets, anything: 200 and nothing
                self.answer(200, [])

    server = ThreadingHTTPServer(("127.0.0.1", 0), Liar)
    with open(port_file, "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
