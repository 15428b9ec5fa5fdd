"""HTTP side: routes taken from botocore's Connect model, rest-json input parsing and answers.

Every operation of the model gets a route (so a request for an operation the emulator does
not serve is recognised and answered with a clear UnknownOperationException instead of
being mistaken for a served one whose URI template happens to match).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import sys
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

from botocore.model import OperationModel, ServiceModel, Shape

from .errors import ApiError, invalid_request

logger = logging.getLogger(__name__)

_LABEL = re.compile(r"\{([^}]+)\}")
_NON_BODY_LOCATIONS = frozenset({"uri", "querystring", "header", "headers", "statusCode"})


@dataclass(frozen=True)
class Route:
    operation: OperationModel
    method: str
    pattern: re.Pattern[str]
    members: tuple[str, ...]
    """Input member names bound to the pattern's groups, in order."""
    specificity: int
    """Literal characters in the template: the most specific matching route wins."""


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    uri_params: dict[str, str]


def _route_for(operation: OperationModel) -> Route:
    template = operation.http["requestUri"].split("?", 1)[0]
    input_shape = operation.input_shape
    label_to_member: dict[str, str] = {}
    if input_shape is not None:
        for name, member in input_shape.members.items():
            if member.serialization.get("location") == "uri":
                label_to_member[member.serialization.get("name", name)] = name
    members: list[str] = []
    regex = ""
    position = 0
    for label in _LABEL.finditer(template):
        regex += re.escape(template[position : label.start()])
        name = label.group(1)
        greedy = name.endswith("+")
        name = name.rstrip("+")
        members.append(label_to_member.get(name, name))
        regex += "(.+)" if greedy else "([^/]+)"
        position = label.end()
    regex += re.escape(template[position:])
    specificity = len(_LABEL.sub("", template))
    return Route(operation, operation.http["method"], re.compile(regex), tuple(members), specificity)


class RouteTable:
    """Finds the operation of a method and path, as the Connect model defines them."""

    def __init__(self, model: ServiceModel) -> None:
        routes: dict[str, list[Route]] = {}
        for name in model.operation_names:
            route = _route_for(model.operation_model(name))
            routes.setdefault(route.method, []).append(route)
        for method_routes in routes.values():
            method_routes.sort(key=lambda route: route.specificity, reverse=True)
        self._routes = routes

    def match(self, method: str, path: str) -> RouteMatch | None:
        for route in self._routes.get(method, []):
            found = route.pattern.fullmatch(path)
            if found:
                values = (unquote(group) for group in found.groups())
                return RouteMatch(route, dict(zip(route.members, values, strict=True)))
        return None


def _from_text(text: str, shape: Shape) -> Any:
    """A URI, query or header value converted to the member's type (left as is if it does not convert)."""
    try:
        if shape.type_name in ("integer", "long"):
            return int(text)
        if shape.type_name in ("float", "double"):
            return float(text)
    except ValueError:
        return text
    if shape.type_name == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text


def parse_input(
    match: RouteMatch, query: Mapping[str, list[str]], headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    """The operation's input, from URI labels, query string, headers and JSON body (rest-json)."""
    shape = match.route.operation.input_shape
    if shape is None:
        return {}
    params: dict[str, Any] = {}
    body_members: dict[str, str] = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location == "uri" and name in match.uri_params:
            params[name] = _from_text(match.uri_params[name], member)
        elif location == "querystring" and wire_name in query:
            values = query[wire_name]
            is_list = member.type_name == "list"
            params[name] = [_from_text(v, member.member) for v in values] if is_list else _from_text(values[0], member)
        elif location == "header" and wire_name.lower() in headers:
            params[name] = _from_text(headers[wire_name.lower()], member)
        elif location not in _NON_BODY_LOCATIONS:
            body_members[wire_name] = name
    if not body_members or not body.strip():
        return params
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise invalid_request(f"The request body is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise invalid_request("The request body must be a JSON object")
    payload = shape.serialization.get("payload")
    if payload is not None:
        params[payload] = document
        return params
    for wire_name, value in document.items():
        # Unknown members are kept under their wire name so that validation reports them.
        params[body_members.get(wire_name, wire_name)] = value
    return params


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def json_response(document: Mapping[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(
        status,
        json.dumps(document, separators=(",", ":")).encode("utf-8"),
        {"Content-Type": "application/json", "x-amzn-RequestId": str(uuid.uuid4())},
    )


def error_response(error: ApiError) -> HttpResponse:
    """The rest-json error answer: the code in ``x-amzn-ErrorType``, the message in the body."""
    response = json_response({"Message": error.message}, error.status)
    response.headers["x-amzn-ErrorType"] = error.code
    return response


Dispatch = Callable[[str, str, Mapping[str, str], bytes], HttpResponse]
"""(method, path with query, lower-cased headers, body) -> answer."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    timeout = 120  # idle keep-alive connections are closed after this many seconds
    server: EmulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track_connection(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.forget_connection(self.connection)

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.send_error(400, "Bad Content-Length")
            return
        body = self.rfile.read(length) if length > 0 else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        response = self.server.dispatch(self.command, self.path, headers, body)
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the emulator keeps its own request log."""


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1 that hands every request to ``dispatch``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, dispatch: Dispatch) -> None:
        self.dispatch = dispatch
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def track_connection(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def forget_connection(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer is normal; anything else is logged, and the server goes on."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            logger.exception("connect emulator: unexpected error serving %s", client_address)

    def close_connections(self) -> None:
        """Ends open keep-alive connections, so that a stopped emulator answers nothing more."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


def split_target(target: str) -> tuple[str, dict[str, list[str]]]:
    """``/path?a=1`` -> (``/path``, {"a": ["1"]})."""
    path, _, query = target.partition("?")
    return path, parse_qs(query, keep_blank_values=True)
