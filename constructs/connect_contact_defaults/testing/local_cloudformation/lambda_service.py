"""Stands in for the Lambda service's Invoke API (asynchronous invocations only), on 127.0.0.1.

The handler hands long work on by invoking itself with InvocationType=Event; this records each
such invocation so the runner can start it once the current one has ended, as Lambda would. A
payload over Lambda's limit for asynchronous invocations (1 MB) is refused as Lambda refuses it.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ASYNC_PAYLOAD_MAX_BYTES = 1_048_576
"""Lambda's quota for the payload of an asynchronous invocation (1 MB)."""


@dataclass(frozen=True)
class AsyncInvocation:
    time: float
    """time.monotonic() when the Invoke request arrived."""
    function_name: str
    payload: dict[str, Any]


class LambdaService:
    def __init__(self) -> None:
        self.invocations: list[AsyncInvocation] = []
        self._queue: list[AsyncInvocation] = []
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                parts = self.path.split("/")  # /2015-03-31/functions/{name}/invocations
                if len(parts) != 5 or parts[2] != "functions" or self.headers.get("X-Amz-Invocation-Type") != "Event":
                    self._answer(400, {"Type": "User", "message": "only asynchronous Invoke is served"})
                    return
                if len(body) > ASYNC_PAYLOAD_MAX_BYTES:
                    message = (
                        f"Request must be smaller than {ASYNC_PAYLOAD_MAX_BYTES} bytes for the Event invocation type"
                    )
                    self._answer(413, {"Type": "User", "message": message}, "RequestTooLargeException")
                    return
                invocation = AsyncInvocation(time.monotonic(), parts[3], json.loads(body))
                with service._lock:
                    service.invocations.append(invocation)
                    service._queue.append(invocation)
                self._answer(202, None)

            def _answer(
                self, status: int, body: dict[str, Any] | None, error: str = "InvalidRequestContentException"
            ) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                if status >= 400:
                    self.send_header("X-Amzn-ErrorType", error)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.endpoint_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def take_pending(self, request_id: str | None = None) -> list[AsyncInvocation]:
        """The invocations not yet taken (of one CloudFormation request, when request_id is given)."""
        with self._lock:
            pending = [
                item for item in self._queue if request_id is None or item.payload.get("RequestId") == request_id
            ]
            self._queue = [item for item in self._queue if item not in pending]
        return pending

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
