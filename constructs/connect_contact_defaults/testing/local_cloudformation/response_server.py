"""Stands in for CloudFormation's pre-signed S3 ResponseURL."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .tls import LocalCertificates


class ResponseServer:
    """Stands in for CloudFormation's pre-signed S3 ResponseURL: records every PUT."""

    def __init__(self, certificates: LocalCertificates) -> None:
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self.raw_bodies: list[bytes] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                server.raw_bodies.append(body)
                key = self.path.split("?")[0].rsplit("/", 1)[-1]
                server.responses.setdefault(key, []).append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.socket = certificates.server_context.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def new_url(self) -> tuple[str, str]:
        key = uuid.uuid4().hex
        signature = f"SecretSignature{uuid.uuid4().hex}"
        return key, f"https://localhost:{self.port}/cfn-responses/{key}?X-Amz-Signature={signature}&X-Amz-Expires=7200"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
