"""A fault-injecting HTTP proxy in front of DynamoDB Local, for tests of the degraded paths.

It forwards DynamoDB JSON-protocol requests unchanged and, per operation (the
``X-Amz-Target`` header, e.g. ``DynamoDB_20120810.PutItem``) and per table (``TableName``,
the tables of ``RequestItems`` or ``TransactItems``), can answer instead with a fault:

- ``throttle``: HTTP 400 ``ThrottlingException`` (``provisioned``: HTTP 400
  ``ProvisionedThroughputExceededException``),
- ``unavailable``: HTTP 503 ``ServiceUnavailable``,
- ``reset``: the connection is reset without a response,
- ``delay``: wait ``seconds``, then forward (to exceed the client's read timeout).

A rule applies to every matching request, to a share of them (``rate``, seeded RNG) or to
the first ``count`` of them. ::

    with DynamoDBFaults(ddb.endpoint) as proxy:       # proxy.endpoint: http://127.0.0.1:<port>
        proxy.set(op="PutItem", table="switchyard-RequestLogTable", fault="throttle", rate=0.5)
        ...
        proxy.stats()   # {"PutItem": {"forwarded": 7, "faulted": 5, "throttle": 5}, ...}
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import urlsplit

Fault = Literal["throttle", "provisioned", "unavailable", "reset", "delay"]
FAULTS: tuple[str, ...] = ("throttle", "provisioned", "unavailable", "reset", "delay")
PREFIX = "com.amazonaws.dynamodb.v20120810#"
ERRORS: dict[str, tuple[int, dict[str, str]]] = {
    "throttle": (400, {"__type": PREFIX + "ThrottlingException", "message": "Rate exceeded"}),
    "provisioned": (
        400,
        {
            "__type": PREFIX + "ProvisionedThroughputExceededException",
            "message": "The level of configured provisioned throughput for the table was exceeded.",
        },
    ),
    "unavailable": (503, {"__type": PREFIX + "ServiceUnavailable", "message": "Service Unavailable"}),
}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


def operation(target: str | None) -> str:
    """``DynamoDB_20120810.PutItem`` → ``PutItem`` ('' when absent)."""
    return (target or "").rpartition(".")[2]


def tables_of(body: Any) -> frozenset[str]:
    """The tables a DynamoDB JSON request names (single-table, batch and transaction calls)."""
    if not isinstance(body, dict):
        return frozenset()
    names: set[str] = set()
    if isinstance(body.get("TableName"), str):
        names.add(body["TableName"])
    if isinstance(body.get("RequestItems"), dict):
        names.update(str(t) for t in body["RequestItems"])
    for item in body.get("TransactItems") or []:
        if isinstance(item, dict):
            for part in item.values():
                if isinstance(part, dict) and isinstance(part.get("TableName"), str):
                    names.add(part["TableName"])
    return frozenset(names)


@dataclass
class Rule:
    fault: Fault
    op: str | None = None  # short operation name (PutItem); None: any operation
    table: str | None = None  # None: any table
    rate: float = 1.0  # share of matching requests that fail (seeded RNG)
    count: int | None = None  # only the first N matching requests fail
    seconds: float = 0.0  # for "delay"
    seed: int = 0
    seen: int = field(default=0, init=False)
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # per rule: its draws do not depend on other traffic

    def matches(self, op: str, tables: frozenset[str]) -> bool:
        return (self.op is None or self.op == op) and (self.table is None or self.table in tables)


@dataclass(frozen=True)
class Event:
    """What happened to one request: ``outcome`` is ``forwarded`` or the fault's name;
    ``status`` is DynamoDB Local's status for forwarded requests (None when it never answered)."""

    op: str
    tables: frozenset[str]
    outcome: str
    status: int | None
    body: Any


class DynamoDBFaults:
    """The proxy: a threaded HTTP server on 127.0.0.1 forwarding to ``upstream``."""

    def __init__(self, upstream: str, seed: int = 0, upstream_timeout: float = 30.0) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream must be an http:// URL, got {upstream!r}")
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.upstream_timeout = upstream_timeout
        self.rules: list[Rule] = []
        self.events: list[Event] = []
        self.seed = seed
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # ---- control
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set(
        self,
        *,
        fault: Fault,
        op: str | None = None,
        table: str | None = None,
        rate: float = 1.0,
        count: int | None = None,
        seconds: float = 1.0,
        seed: int | None = None,
    ) -> Rule:
        """Inject ``fault`` for requests of ``op`` (``PutItem`` or ``DynamoDB_20120810.PutItem``)
        on ``table``; replaces an earlier rule for the same (op, table). Rules are checked in
        the order they were set; the first that matches decides. ``rate`` draws come from the
        rule's own RNG (``seed``, default the proxy's), so a rule fails the same requests on
        every run."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; use one of {', '.join(FAULTS)}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")
        if count is not None and count < 0:
            raise ValueError("count must be >= 0")
        rule = Rule(
            fault,
            operation(op) if op else None,
            table,
            rate,
            count,
            seconds,
            self.seed if seed is None else seed,
        )
        with self._lock:
            self.rules = [r for r in self.rules if (r.op, r.table) != (rule.op, rule.table)]
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule (recorded events and counters stay; see ``forget``)."""
        with self._lock:
            self.rules.clear()

    def forget(self) -> None:
        """Drop recorded events (and so the counters)."""
        with self._lock:
            self.events.clear()

    def stats(self, table: str | None = None) -> dict[str, dict[str, int]]:
        """Per operation: ``forwarded`` (passed through untouched), ``faulted`` (a fault was
        injected; a ``delay`` is also forwarded, late) and a count per fault name; of the
        requests naming ``table`` when given."""
        out: dict[str, dict[str, int]] = {}
        for e in self.recorded(table=table):
            row = out.setdefault(e.op, {"forwarded": 0, "faulted": 0})
            if e.outcome == "forwarded":
                row["forwarded"] += 1
            else:
                row["faulted"] += 1
                row[e.outcome] = row.get(e.outcome, 0) + 1
        return out

    def recorded(self, op: str | None = None, table: str | None = None) -> list[Event]:
        with self._lock:
            events = list(self.events)
        short = operation(op) if op else None
        return [
            e for e in events if (short is None or e.op == short) and (table is None or table in e.tables)
        ]

    # ---- lifecycle
    def start(self) -> DynamoDBFaults:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> DynamoDBFaults:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- the request path
    def _decide(self, op: str, tables: frozenset[str]) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if not rule.matches(op, tables):
                    continue
                rule.seen += 1
                if rule.count is not None and rule.seen > rule.count:
                    return None
                if rule.rate >= 1.0 or rule.rng.random() < rule.rate:
                    return rule
                return None
        return None

    def _record(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def _forward(
        self, method: str, path: str, headers: list[tuple[str, str]], raw: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(
            self.upstream_host, self.upstream_port, timeout=self.upstream_timeout
        )
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for k, v in headers:
                if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                    conn.putheader(k, v)
            conn.putheader("Content-Length", str(len(raw)))
            conn.endheaders(raw)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    body: Any = json.loads(raw) if raw else None
                except (json.JSONDecodeError, UnicodeDecodeError):
                    body = None
                op = operation(self.headers.get("x-amz-target"))
                tables = tables_of(body)
                rule = proxy._decide(op, tables)
                if rule is not None and rule.fault == "reset":
                    proxy._record(Event(op, tables, "reset", None, body))
                    # SO_LINGER 0: close() sends a TCP RST instead of an orderly FIN
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.connection.close()
                    return
                if rule is not None and rule.fault in ERRORS:
                    status, payload = ERRORS[rule.fault]
                    proxy._record(Event(op, tables, rule.fault, None, body))
                    self._reply(
                        status, [("Content-Type", "application/x-amz-json-1.0")], json.dumps(payload).encode()
                    )
                    return
                if rule is not None and rule.fault == "delay":
                    time.sleep(rule.seconds)
                try:
                    status, headers, data = proxy._forward("POST", self.path, list(self.headers.items()), raw)
                except OSError:
                    proxy._record(Event(op, tables, rule.fault if rule else "forwarded", None, body))
                    self._reply(502, [("Content-Type", "text/plain")], b"upstream unreachable")
                    return
                proxy._record(Event(op, tables, rule.fault if rule else "forwarded", status, body))
                self._reply(status, headers, data)

            def _reply(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
                try:
                    self.send_response(status)
                    for k, v in headers:
                        if k.lower() not in HOP_BY_HOP and k.lower() not in (
                            "content-length",
                            "date",
                            "server",
                        ):
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    self.wfile.flush()
                except OSError:  # the client gave up (a delay past its read timeout)
                    self.close_connection = True

        return Handler
