"""Stands in for CloudFormation's pre-signed S3 ResponseURL."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .tls import LocalCertificates


class ResponseServer:
    """Stands in for CloudFormation's pre-signed S3 ResponseURL: records every PUT it accepts.

    As S3 can, it may refuse PUTs: `refuse_next(key, [500, 503])` answers the next PUTs of that request with
    those statuses, unrecorded (`refused` counts them), and accepts the ones after.
    """

    def __init__(self, certificates: LocalCertificates) -> None:
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self.raw_bodies: list[bytes] = []
        self.refused: dict[str, list[int]] = {}
        self._refusals: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                key = self.path.split("?")[0].rsplit("/", 1)[-1]
                with server._lock:
                    refusals = server._refusals.get(key) or []
                    status = refusals.pop(0) if refusals else 200
                    if status == 200:
                        server.raw_bodies.append(body)
                        server.responses.setdefault(key, []).append(json.loads(body))
                    else:
                        server.refused.setdefault(key, []).append(status)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.socket = certificates.server_context.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def refuse_next(self, key: str, statuses: list[int]) -> None:
        with self._lock:
            self._refusals[key] = list(statuses)

    def new_url(self) -> tuple[str, str]:
        key = uuid.uuid4().hex
        signature = f"SecretSignature{uuid.uuid4().hex}"
        return key, f"https://localhost:{self.port}/cfn-responses/{key}?X-Amz-Signature={signature}&X-Amz-Expires=7200"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
