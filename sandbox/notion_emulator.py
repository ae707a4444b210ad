"""A Notion API emulator (Notion-Version 2025-09-03, data sources) over real HTTP.

Plain Python (standard library only). The real ``notion_client.Client`` talks to it with
``Client(auth=emu.token, base_url=emu.base_url)``.

Implemented endpoints (named as in :attr:`NotionEmulator.request_counts`):

* ``GET  /v1/databases/{id}``                      -> ``databases.retrieve``
* ``GET  /v1/data_sources/{id}``                   -> ``data_sources.retrieve``
* ``POST /v1/data_sources/{id}/query``             -> ``data_sources.query``
* ``GET  /v1/pages/{id}``                          -> ``pages.retrieve``
* ``GET  /v1/pages/{id}/properties/{property_id}`` -> ``pages.properties.retrieve``

Anything else answers 400 ``invalid_request_url`` (Notion's documented status for that code)
and is counted as ``other``.

Behaviour copied from Notion: page timestamps rounded down to the minute; trashed pages never
returned by queries; relation (and people) values in page objects cut to 25 items with
``has_more: true``; a query (one filter + sorts, followed through its cursors) returns at most
10,000 results, after which ``has_more`` is false and every response of that query carries
``request_status: {"type": "incomplete", "incomplete_reason": "query_result_limit_reached"}``;
``page_size`` <= 100; bearer token, ``Notion-Version`` header; error bodies
``{"object": "error", "status", "code", "message", "request_id"}``.

Faults (HTTP 429/500/502/503/504/529, dropped connections, slow answers), a global latency
and a rate limit can be switched on to exercise a client's retry logic.

Run ``python -m sandbox.notion_emulator --help`` for a seeded stand-alone server.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import collections
import contextlib
import datetime as dt
import gc
import hashlib
import json
import logging
import math
import re
import signal
import socket
import string
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from operator import attrgetter
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

__all__ = [
    "ENDPOINTS",
    "MAX_PAGE_SIZE",
    "NOTION_VERSION",
    "QUERY_RESULT_LIMIT",
    "REFERENCE_LIMIT",
    "REQUEST_STATUS_COMPLETE",
    "REQUEST_STATUS_INCOMPLETE",
    "Database",
    "NotionEmulator",
    "rich_text",
]

log = logging.getLogger(__name__)

NOTION_VERSION = "2025-09-03"
#: Results a single query can page through (Notion: 10,000 since 2026-04-20).
QUERY_RESULT_LIMIT = 10_000
#: Relation / people items carried by a page object before ``has_more`` is set.
REFERENCE_LIMIT = 25
MAX_PAGE_SIZE = 100
#: ``request_status`` of a query response that is not capped. Notion's typed SDK declares
#: ``request_status?: {type: "complete" | "incomplete", incomplete_reason?: ...}``; field reports
#: say the key may simply be absent on complete results, so a client must only trust
#: ``type == "incomplete"``. Set ``NotionEmulator.request_status_complete = None`` to omit it.
REQUEST_STATUS_COMPLETE: dict[str, str] = {"type": "complete"}
REQUEST_STATUS_INCOMPLETE: dict[str, str] = {
    "type": "incomplete",
    "incomplete_reason": "query_result_limit_reached",
}
ENDPOINTS = (
    "databases.retrieve",
    "data_sources.retrieve",
    "data_sources.query",
    "pages.retrieve",
    "pages.properties.retrieve",
)
BOT_USER_ID = "9b1d3f5a-7c2e-4e8b-a6d0-5f3c1b2a4e6d"
WORKSPACE_PAGE_ID = "1c0f6a2b-3d4e-4f5a-8b6c-7d8e9f0a1b2c"

_ANNOTATIONS = {
    "bold": False,
    "italic": False,
    "strikethrough": False,
    "underline": False,
    "code": False,
    "color": "default",
}
_COLORS = ("default", "gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red")
_ID_ALPHABET = string.ascii_letters + string.digits
_PAGINATED_PROPERTY_TYPES = frozenset({"title", "rich_text", "relation", "people", "rollup"})
_COMPUTED_TYPES = frozenset(
    {"created_time", "last_edited_time", "created_by", "last_edited_by", "unique_id"}
)
_TEXT_TYPES = frozenset({"title", "rich_text", "url", "email", "phone_number"})
_SUPPORTED_TYPES = frozenset(
    {
        "title",
        "rich_text",
        "number",
        "select",
        "multi_select",
        "status",
        "date",
        "people",
        "files",
        "checkbox",
        "url",
        "email",
        "phone_number",
        "formula",
        "relation",
        "rollup",
        "created_time",
        "created_by",
        "last_edited_time",
        "last_edited_by",
        "unique_id",
        "button",
        "verification",
        "place",
    }
)
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    529: "Site Overloaded",
}
_FAULT_CODES = {
    400: ("validation_error", "Injected validation error."),
    401: ("unauthorized", "API token is invalid."),
    403: ("restricted_resource", "Insufficient permissions for this endpoint."),
    404: ("object_not_found", "Could not find object (injected fault)."),
    409: ("conflict_error", "Conflict occurred while saving. Please try again."),
    429: ("rate_limited", "You have been rate limited. Please try again in a few minutes."),
    500: ("internal_server_error", "Unexpected error occurred."),
    503: (
        "service_unavailable",
        "Public API service is temporarily unavailable, please try again later.",
    ),
    504: ("gateway_timeout", "Gateway timeout."),
    529: ("service_overload", "The service is overloaded, please try again later."),
}
_BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
_UTC = dt.UTC


# --------------------------------------------------------------------------- helpers


def rich_text(text: str, *, link: str | None = None) -> dict[str, Any]:
    """A Notion rich text object (``type: text``) for ``text``."""
    return {
        "type": "text",
        "text": {"content": text, "link": {"url": link} if link else None},
        "annotations": dict(_ANNOTATIONS),
        "plain_text": text,
        "href": link,
    }


def _text_item(text: str) -> dict[str, Any]:
    # Internal fast variant: shares the (never mutated) annotations dict.
    return {
        "type": "text",
        "text": {"content": text, "link": None},
        "annotations": _ANNOTATIONS,
        "plain_text": text,
        "href": None,
    }


def _plain(items: list[dict[str, Any]]) -> str:
    return "".join(item.get("plain_text", "") for item in items)


_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")


def canonical_id(value: str) -> str | None:
    """``value`` as a dashed lowercase UUID, or None when it is not a Notion id."""
    raw = value.strip().replace("-", "")
    if not _HEX32.match(raw):
        return None
    raw = raw.lower()
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def _require_id(value: str) -> str:
    cid = canonical_id(str(value))
    if cid is None:
        raise ValueError(f"not a Notion id: {value!r}")
    return cid


def _to_epoch(value: dt.datetime | dt.date | float | int | str) -> int:
    """Seconds since the epoch (UTC), rounded down to the minute. Naive datetimes are UTC."""
    if isinstance(value, bool):
        raise TypeError("timestamp expected")
    if isinstance(value, (int, float)):
        seconds = int(value)
    elif isinstance(value, str):
        return _to_epoch(_parse_iso(value)[0])
    elif isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_UTC)
        seconds = int(value.timestamp())
    elif isinstance(value, dt.date):
        seconds = int(dt.datetime(value.year, value.month, value.day, tzinfo=_UTC).timestamp())
    else:
        raise TypeError(f"timestamp expected, got {type(value).__name__}")
    return seconds - seconds % 60


def _iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch))


def _parse_iso(value: str) -> tuple[dt.datetime, bool]:
    """Parse an ISO 8601 date or date-time. Returns (aware datetime, is_date_only)."""
    if not isinstance(value, str):
        raise ValueError(value)
    text = value.strip()
    if len(text) == 10:
        day = dt.date.fromisoformat(text)
        return dt.datetime(day.year, day.month, day.day, tzinfo=_UTC), True
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_UTC)
    return parsed, False


def _date_value(value: Any) -> dict[str, Any] | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_UTC)
        return {"start": value.isoformat(timespec="milliseconds"), "end": None, "time_zone": None}
    if isinstance(value, dt.date):
        return {"start": value.isoformat(), "end": None, "time_zone": None}
    if isinstance(value, str):
        _parse_iso(value)
        return {"start": value, "end": None, "time_zone": None}
    if isinstance(value, (tuple, list)) and len(value) == 2:
        start, end = (_date_value(v) for v in value)
        if start is None:
            raise ValueError("a date range needs a start")
        return {"start": start["start"], "end": end["start"] if end else None, "time_zone": None}
    if isinstance(value, Mapping) and "start" in value:
        return {
            "start": value["start"],
            "end": value.get("end"),
            "time_zone": value.get("time_zone"),
        }
    raise ValueError(f"cannot use {value!r} as a date value")


def _short_id(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return "".join(_ID_ALPHABET[b % len(_ID_ALPHABET)] for b in digest[:4])


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building many containers (halves a 50,000-page load)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


class ApiError(Exception):
    """An error answered to the HTTP client as a Notion error object."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def _validation(message: str) -> ApiError:
    return ApiError(400, "validation_error", message)


# --------------------------------------------------------------------------- data model


class _Page:
    __slots__ = (
        "blob",
        "created",
        "db",
        "edited",
        "id",
        "in_trash",
        "number",
        "outside",
        "props",
    )

    def __init__(self, page_id, db, created, edited, in_trash, props, number):
        self.id: str = page_id
        self.db: Database = db
        self.created: int = created
        self.edited: int = edited
        self.in_trash: bool = in_trash
        self.props: dict[str, Any] = props
        self.number: int = number
        self.blob: bytes | None = None  # serialized page object (truncated like Notion)
        #: the page it was moved under, out of its database (then it keeps only its title)
        self.outside: str | None = None


@dataclass(eq=False)
class Database:
    """A database with exactly one data source. Returned by :meth:`NotionEmulator.add_database`."""

    database_id: str
    data_source_id: str
    title: str
    properties: dict[str, dict[str, Any]]
    title_property: str
    created_time: int
    last_edited_time: int
    shared: bool = True
    pages: dict[str, _Page] = field(default_factory=dict, repr=False)
    _by_id: dict[str, str] = field(default_factory=dict, repr=False)
    _options: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict, repr=False)
    _defaults: dict[str, Any] = field(default_factory=dict, repr=False)
    _converters: dict[str, Callable[[Any], Any]] = field(default_factory=dict, repr=False)
    _cache: dict[str, list[_Page]] = field(default_factory=dict, repr=False)
    _next_number: int = 0

    def property_by_name_or_id(self, key: str) -> dict[str, Any] | None:
        if key in self.properties:
            return self.properties[key]
        for candidate in (key, unquote(key)):
            name = self._by_id.get(candidate)
            if name is not None:
                return self.properties[name]
        return None

    def live_page_ids(self) -> list[str]:
        return [p.id for p in self.pages.values() if not p.in_trash]


@dataclass
class _Fault:
    endpoint: str | None
    status: int
    count: int
    retry_after: float | None
    delay: float
    drop: bool
    skip: int


# --------------------------------------------------------------------------- emulator


class NotionEmulator:
    """In-process Notion API server. See the module docstring."""

    def __init__(
        self,
        *,
        token: str = "secret_emulator",
        latency: float = 0.0,
        rate_limit_rps: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.latency = latency
        self.rate_limit_rps = rate_limit_rps
        self.host = host
        self.port = port
        self.base_url = ""
        #: Results one query can page through; lower it in tests to exercise windowing fast.
        self.query_result_limit = QUERY_RESULT_LIMIT
        #: What complete query responses carry as ``request_status`` (None: key omitted).
        self.request_status_complete: dict[str, str] | None = REQUEST_STATUS_COMPLETE
        self.request_counts: collections.Counter[str] = collections.Counter()
        #: Requests answered 429 because they came faster than ``rate_limit_rps``.
        self.rate_limited_count = 0
        #: TCP connections accepted (keep-alive check: a client reusing its connection
        #: opens one).
        self.connections_opened = 0
        #: Requests being answered right now, and the most there ever were at once (a
        #: client paging windows concurrently shows more than one).
        self.in_flight = 0
        self.max_in_flight = 0
        #: Query requests per distinct query (filter and sorts): the longest is the longest
        #: chain of cursors a client paged one answer after another.
        self.query_chains: collections.Counter[str] = collections.Counter()
        self._lock = threading.RLock()
        self._fault_lock = threading.Lock()
        self._faults: list[_Fault] = []
        self._databases: dict[str, Database] = {}
        self._data_sources: dict[str, Database] = {}
        self._pages: dict[str, _Page] = {}
        self._tokens = 0.0
        self._tokens_at = 0.0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self.errors: list[BaseException] = []  # unexpected exceptions answered with 500
        #: called with (event_type, entity dict, extra) after a change: the webhooks
        #: (sandbox/notion_webhooks.py) listen here
        self._change_listeners: list[Callable[[str, dict[str, Any], dict[str, Any]], None]] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> NotionEmulator:
        if self._server is not None:
            return self
        server = _Server((self.host, self.port), _Handler)
        server.emulator = self
        self._server = server
        host, port = server.server_address[:2]
        self.port = port
        self.base_url = f"http://{host}:{port}"
        self._tokens = float(max(1.0, self.rate_limit_rps or 1.0))
        self._tokens_at = time.monotonic()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"notion-emulator:{port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
            self._connections.clear()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> NotionEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ schema

    def add_database(
        self,
        *,
        title: str,
        properties: Mapping[str, Any],
        database_id: str | None = None,
        data_source_id: str | None = None,
        created_time: dt.datetime | None = None,
    ) -> Database:
        """Create a database (and its single data source) with a Notion property schema.

        ``properties`` maps names to Notion property configurations, e.g.
        ``{"Name": {"type": "title", "title": {}}, "Tags": {"multi_select": {"options":
        [{"name": "a"}]}}, "Done": "checkbox"}`` (``type`` may be omitted, a bare type name is
        accepted). Options may omit ``id``/``color``. Status ``groups`` may list
        ``option_ids`` or option ``options`` names; without groups, Notion's three groups are
        made. Relations take ``{"relation": {"data_source_id" or "database_id": ...}}`` of a
        database added before. Property ids are generated (4 alphanumeric characters,
        ``"title"`` for the title) unless given as ``"id"``.
        """
        db_id = _require_id(database_id) if database_id else str(uuid.uuid4())
        ds_id = _require_id(data_source_id) if data_source_id else str(uuid.uuid4())
        created = _to_epoch(created_time or dt.datetime.now(_UTC))
        with self._lock:
            if db_id in self._databases or db_id in self._data_sources or db_id in self._pages:
                raise ValueError(f"id already used: {db_id}")
            db = Database(
                database_id=db_id,
                data_source_id=ds_id,
                title=title,
                properties={},
                title_property="",
                created_time=created,
                last_edited_time=created,
            )
            used_ids: set[str] = set()
            for name, config in properties.items():
                schema = self._normalize_property(db, name, config, used_ids)
                db.properties[name] = schema
                db._by_id[schema["id"]] = name
                db._by_id.setdefault(unquote(schema["id"]), name)
                if schema["type"] == "title":
                    if db.title_property:
                        raise ValueError("a database has exactly one title property")
                    db.title_property = name
            if not db.title_property:
                raise ValueError("a database needs a title property")
            for name, schema in db.properties.items():
                db._converters[name] = self._converter(db, name, schema)
                db._defaults[name] = self._default_value(db, name, schema)
            self._databases[db_id] = db
            self._data_sources[ds_id] = db
        return db

    def _normalize_property(
        self, db: Database, name: str, config: Any, used_ids: set[str]
    ) -> dict[str, Any]:
        if isinstance(config, str):
            ptype, conf, given_id = config, {}, None
        elif isinstance(config, Mapping):
            ptype = config.get("type")
            if ptype is None:
                keys = [k for k in config if k not in ("id", "name", "description")]
                if len(keys) != 1:
                    raise ValueError(f"property {name!r}: cannot tell its type from {config!r}")
                ptype = keys[0]
            conf = dict(config.get(ptype) or {})
            given_id = config.get("id")
        else:
            raise ValueError(f"property {name!r}: bad configuration {config!r}")
        if ptype not in _SUPPORTED_TYPES:
            raise ValueError(f"property {name!r}: unsupported type {ptype!r}")
        if given_id:
            pid = given_id
        elif ptype == "title":
            pid = "title"
        else:
            pid = _short_id(db.database_id, name)
            salt = 0
            while pid in used_ids or pid == "title":
                salt += 1
                pid = _short_id(db.database_id, name, str(salt))
        if pid in used_ids:
            raise ValueError(f"property {name!r}: duplicate property id {pid!r}")
        used_ids.add(pid)

        if ptype in ("select", "multi_select", "status"):
            options = []
            for i, option in enumerate(conf.get("options") or []):
                if isinstance(option, str):
                    option = {"name": option}
                options.append(
                    {
                        "id": option.get("id") or _short_id(db.database_id, name, option["name"]),
                        "name": option["name"],
                        "color": option.get("color") or _COLORS[i % len(_COLORS)],
                        "description": option.get("description"),
                    }
                )
            conf = {"options": options}
            if ptype == "status":
                conf["groups"] = self._status_groups(db, name, options, config)
            db._options[name] = {o["name"]: o for o in options}
        elif ptype == "number":
            conf = {"format": conf.get("format", "number")}
        elif ptype == "relation":
            target_key = conf.get("data_source_id") or conf.get("database_id")
            target_id = canonical_id(str(target_key or ""))
            target = self._databases.get(target_id) or self._data_sources.get(target_id)
            if target is None:
                raise ValueError(f"property {name!r}: relation target {target_key!r} is unknown")
            rtype = conf.get("type") or (
                "dual_property" if "dual_property" in conf else "single_property"
            )
            conf = {
                "database_id": target.database_id,
                "data_source_id": target.data_source_id,
                "type": rtype,
                rtype: dict(conf.get(rtype) or {}),
            }
        elif ptype == "unique_id":
            conf = {"prefix": conf.get("prefix")}
        elif ptype == "formula":
            conf = {"expression": conf.get("expression", "")}
        elif ptype == "rollup":
            conf = {
                "function": conf.get("function", "show_original"),
                "relation_property_name": conf.get("relation_property_name", ""),
                "relation_property_id": conf.get("relation_property_id", ""),
                "rollup_property_name": conf.get("rollup_property_name", ""),
                "rollup_property_id": conf.get("rollup_property_id", ""),
            }
        else:
            conf = {}
        description = config.get("description") if isinstance(config, Mapping) else None
        return {"id": pid, "name": name, "description": description, "type": ptype, ptype: conf}

    @staticmethod
    def _status_groups(db: Database, name: str, options: list[dict], config: Any) -> list[dict]:
        conf = config.get("status", {}) if isinstance(config, Mapping) else {}
        by_name = {o["name"]: o["id"] for o in options}
        groups_conf = conf.get("groups")
        if not groups_conf:
            ids = [o["id"] for o in options]
            groups_conf = [
                {"name": "To-do", "color": "gray", "option_ids": ids[:1]},
                {"name": "In progress", "color": "blue", "option_ids": ids[1:-1]},
                {
                    "name": "Complete",
                    "color": "green",
                    "option_ids": ids[-1:] if len(ids) > 1 else [],
                },
            ]
        groups = []
        for group in groups_conf:
            option_ids = list(group.get("option_ids") or [])
            option_ids += [by_name[n] for n in group.get("options") or []]
            groups.append(
                {
                    "id": group.get("id")
                    or _short_id(db.database_id, name, "group", group["name"]),
                    "name": group["name"],
                    "color": group.get("color", "default"),
                    "option_ids": option_ids,
                }
            )
        return groups

    # ------------------------------------------------------------------ values

    def _default_value(self, db: Database, name: str, schema: dict) -> Any:
        ptype = schema["type"]
        if ptype in ("title", "rich_text", "multi_select", "relation", "people", "files"):
            return []
        if ptype == "checkbox":
            return False
        if ptype == "status":
            groups = schema["status"]["groups"]
            first = groups[0]["option_ids"][:1] if groups else []
            for option in schema["status"]["options"]:
                if first and option["id"] == first[0]:
                    return {"id": option["id"], "name": option["name"], "color": option["color"]}
            return None
        if ptype == "formula":
            return {"type": "string", "string": None}
        if ptype == "rollup":
            return {"type": "array", "array": [], "function": schema["rollup"]["function"]}
        return None

    def _converter(self, db: Database, name: str, schema: dict) -> Callable[[Any], Any]:
        """A function turning a shorthand or full Notion value into the stored inner value."""
        ptype = schema["type"]

        wrapper_keys = {ptype, "id", "type", "has_more"}

        def unwrap(value: Any) -> Any:
            # Full property value form: {"title": [...]} / {"type": "select", "select": {...}}
            if type(value) is not dict:
                if value is None or type(value) in (str, list, bool, int, float):
                    return value
                if not isinstance(value, Mapping):
                    return value
                value = dict(value)
            if ptype in value and wrapper_keys.issuperset(value):
                return value[ptype]
            return value

        def items(value: Any) -> list:
            """Relation and people values: None, one reference, or a list of them."""
            value = unwrap(value)
            if value is None:
                return []
            if isinstance(value, (str, Mapping)):
                return [value]
            return list(value)

        if ptype in ("title", "rich_text"):

            def conv(value: Any) -> Any:
                if type(value) is str:
                    return [_text_item(value)] if value else []
                value = unwrap(value)
                if value is None or value == "":
                    return []
                if isinstance(value, str):
                    return [_text_item(value)]
                if isinstance(value, list):
                    return [_rich_item(item) for item in value]
                raise ValueError(f"{name!r}: expected text, got {value!r}")

            return conv

        if ptype in ("url", "email", "phone_number"):

            def conv(value: Any) -> Any:
                if type(value) is not str:
                    value = unwrap(value)
                if not value:
                    return None
                if isinstance(value, str):
                    return value
                raise ValueError(f"{name!r}: expected a string, got {value!r}")

            return conv

        if ptype == "number":

            def conv(value: Any) -> Any:
                if type(value) in (int, float):
                    return value
                value = unwrap(value)
                if value is None or type(value) in (int, float):
                    return value
                raise ValueError(f"{name!r}: expected a number, got {value!r}")

            return conv

        if ptype == "checkbox":

            def conv(value: Any) -> Any:
                if value is True or value is False:
                    return value
                value = unwrap(value)
                if value is None:
                    return False
                if isinstance(value, bool):
                    return value
                raise ValueError(f"{name!r}: expected a bool, got {value!r}")

            return conv

        if ptype in ("select", "status", "multi_select"):
            options = db._options[name]

            def option(value: Any) -> dict[str, Any]:
                if type(value) is str:
                    found = options.get(value)
                    if found is not None:
                        return {"id": found["id"], "name": found["name"], "color": found["color"]}
                if isinstance(value, Mapping):
                    if "name" in value:
                        key = value["name"]
                    else:
                        matches = [o for o in options.values() if o["id"] == value.get("id")]
                        if not matches:
                            raise ValueError(f"{name!r}: unknown option {value!r}")
                        key = matches[0]["name"]
                else:
                    key = value
                found = options.get(key)
                if found is None:
                    if ptype == "status":
                        raise ValueError(f"{name!r}: unknown status option {key!r}")
                    # Notion adds a new select option on write.
                    found = {
                        "id": _short_id(db.database_id, name, key),
                        "name": key,
                        "color": _COLORS[len(options) % len(_COLORS)],
                        "description": None,
                    }
                    options[key] = found
                    schema[ptype]["options"].append(found)
                return {"id": found["id"], "name": found["name"], "color": found["color"]}

            if ptype == "multi_select":

                def conv(value: Any) -> Any:
                    if type(value) is not list:
                        value = unwrap(value)
                    if value is None or value == "":
                        return []
                    if isinstance(value, (str, Mapping)):
                        value = [value]
                    return [option(v) for v in value]

                return conv

            def conv(value: Any) -> Any:
                if type(value) is not str:
                    value = unwrap(value)
                if value is None or value == "":
                    return None
                return option(value)

            return conv

        if ptype == "date":

            def conv(value: Any) -> Any:
                if type(value) is dt.date:
                    return {"start": value.isoformat(), "end": None, "time_zone": None}
                return _date_value(unwrap(value))

            return conv

        if ptype == "relation":

            def conv(value: Any) -> Any:
                out = []
                for item in items(value):
                    ref = item.get("id") if isinstance(item, Mapping) else item
                    out.append({"id": _require_id(str(ref))})
                return out

            return conv

        if ptype == "people":

            def conv(value: Any) -> Any:
                out = []
                for item in items(value):
                    if isinstance(item, Mapping):
                        user = dict(item)
                        user.setdefault("object", "user")
                        user["id"] = _require_id(str(user["id"]))
                    else:
                        user = {"object": "user", "id": _require_id(str(item))}
                    out.append(user)
                return out

            return conv

        if ptype in _COMPUTED_TYPES:

            def conv(value: Any) -> Any:
                if unwrap(value) is not None:
                    raise ValueError(f"{name!r} ({ptype}) is computed by Notion and read-only")
                return None

            return conv

        # files, formula, rollup, button, verification, place: stored as given.
        default = self._default_value(db, name, schema)
        return lambda value: default if unwrap(value) is None else unwrap(value)

    def _build_props(self, db: Database, properties: Mapping[str, Any] | None) -> dict[str, Any]:
        props = {}
        converters = db._converters
        for name, value in (properties or {}).items():
            conv = converters.get(name)
            if conv is None:
                schema = db.property_by_name_or_id(name)
                if schema is None:
                    raise KeyError(f"database {db.title!r} has no property {name!r}")
                name = schema["name"]
                conv = converters[name]
            props[name] = conv(value)
        return props

    # ------------------------------------------------------------------ pages

    def _db(self, database_id: str | Database) -> Database:
        if isinstance(database_id, Database):
            return database_id
        cid = _require_id(database_id)
        db = self._databases.get(cid) or self._data_sources.get(cid)
        if db is None:
            raise KeyError(f"unknown database or data source: {database_id}")
        return db

    def add_page(
        self,
        database_id: str | Database,
        *,
        properties: Mapping[str, Any] | None = None,
        created_time: dt.datetime | float | None = None,
        last_edited_time: dt.datetime | float | None = None,
        in_trash: bool = False,
        page_id: str | None = None,
    ) -> str:
        """Add a page; returns its id.

        ``properties`` maps property names (or ids) to values, either full Notion property
        values (``{"title": [...]}``) or shorthand per type: ``str`` for title / rich_text /
        email / phone_number / url / select / status (option name), ``list[str]`` for
        multi_select, ``list[page_id]`` for relation, ``list[user_id]`` for people, a number,
        a ``bool`` for checkbox, ``date`` / ``datetime`` / ISO string / ``(start, end)`` for
        date, ``None`` for empty. Unset properties get Notion's empty value. Timestamps:
        datetimes (naive = UTC) or epoch seconds, rounded down to the minute;
        ``created_time`` defaults to now, ``last_edited_time`` to ``created_time``.
        """
        return self.add_pages_bulk(
            database_id,
            [
                {
                    "properties": properties,
                    "created_time": created_time,
                    "last_edited_time": last_edited_time,
                    "in_trash": in_trash,
                    "page_id": page_id,
                }
            ],
        )[0]

    # ------------------------------------------------------------------ change events

    def on_change(
        self, listener: Callable[[str, dict[str, Any], dict[str, Any]], None]
    ) -> Callable[[], None]:
        """Call ``listener(event_type, entity, data)`` after every change to a page or a data
        source, as Notion's webhooks name them (``page.created``, ``page.properties_updated``
        with ``updated_properties``, ``page.deleted``, ``page.undeleted``, ``page.moved``,
        ``data_source.schema_updated``); returns a function that removes it."""
        self._change_listeners.append(listener)
        return lambda: self._change_listeners.remove(listener)

    def _emit(self, event_type: str, entity: dict[str, Any], data: dict[str, Any]) -> None:
        for listener in list(self._change_listeners):
            try:
                listener(event_type, entity, data)
            except Exception:  # a listener never breaks the emulator
                log.exception("change listener failed")

    @staticmethod
    def _page_parent(db: Database) -> dict[str, Any]:
        return {"id": db.database_id, "type": "database", "data_source_id": db.data_source_id}

    def move_page(self, page_id: str, database_id: str | Database) -> None:
        """Move a page to another database (``page.moved``; it leaves the first one)."""
        with self._lock:
            page = self._page(page_id)
            target = self._db(database_id)
            del page.db.pages[page.id]
            page.db._cache.clear()
            page.db = target
            page.outside = None
            target.pages[page.id] = page
            page.props = {
                **target._defaults,
                **{k: v for k, v in page.props.items() if k in target.properties},
            }
            page.edited = _to_epoch(time.time())
            page.blob = None
            target._cache.clear()
        self._emit(
            "page.moved", {"id": page.id, "type": "page"}, {"parent": self._page_parent(target)}
        )

    def move_page_under_page(self, page_id: str, parent_page_id: str) -> None:
        """Move a page out of its database, under an ordinary page (an "Archive" page, say):
        it leaves the database's queries and keeps only its title (``page.moved``)."""
        with self._lock:
            page = self._page(page_id)
            page.db.pages.pop(page.id, None)
            page.db._cache.clear()
            page.outside = parent_page_id
            page.edited = _to_epoch(time.time())
            page.blob = None
        self._emit(
            "page.moved",
            {"id": page.id, "type": "page"},
            {"parent": {"id": parent_page_id, "type": "page"}},
        )

    def rename_property(self, database_id: str | Database, old: str, new: str) -> None:
        """Rename a property of a data source (its id stays), as an admin does in Notion;
        pages keep their values under the new name. Emits ``data_source.schema_updated``."""
        with self._lock:
            db = self._db(database_id)
            if old not in db.properties or new in db.properties:
                raise KeyError(f"cannot rename {old!r} to {new!r} in {db.title!r}")
            db.properties = {(new if k == old else k): v for k, v in db.properties.items()}
            db.properties[new]["name"] = new
            for key, name in list(db._by_id.items()):
                if name == old:
                    db._by_id[key] = new
            for table in (db._converters, db._defaults, db._options):
                if old in table:
                    table[new] = table.pop(old)
            if db.title_property == old:
                db.title_property = new
            for page in db.pages.values():
                if old in page.props:
                    page.props[new] = page.props.pop(old)
                page.blob = None
            db._cache.clear()
        self.notify_schema_updated(db)

    def notify_schema_updated(self, database_id: str | Database) -> None:
        """Tell the webhooks a data source's schema changed (``data_source.schema_updated``)."""
        db = self._db(database_id)
        self._emit(
            "data_source.schema_updated",
            {"id": db.data_source_id, "type": "data_source"},
            {"parent": {"id": db.database_id, "type": "database"}},
        )

    def add_pages_bulk(
        self, database_id: str | Database, pages: Iterable[Mapping[str, Any]]
    ) -> list[str]:
        """Add many pages at once (one lock, one cache invalidation); returns their ids.

        Each item is a mapping with the keyword arguments of :meth:`add_page`
        (``properties``, ``created_time``, ``last_edited_time``, ``in_trash``, ``page_id``).
        Epoch seconds are the fastest timestamps.
        """
        db = self._db(database_id)
        now = None
        ids: list[str] = []
        with self._lock, _gc_paused():
            defaults = db._defaults
            for item in pages:
                page_id = item.get("page_id")
                pid = _require_id(page_id) if page_id else str(uuid.uuid4())
                if pid in self._pages or pid in self._databases or pid in self._data_sources:
                    raise ValueError(f"id already used: {pid}")
                created_value = item.get("created_time")
                if created_value is None:
                    if now is None:
                        now = _to_epoch(time.time())
                    created = now
                else:
                    created = _to_epoch(created_value)
                edited_value = item.get("last_edited_time")
                edited = created if edited_value is None else _to_epoch(edited_value)
                props = dict(defaults)
                props.update(self._build_props(db, item.get("properties")))
                db._next_number += 1
                page = _Page(
                    pid, db, created, edited, bool(item.get("in_trash")), props, db._next_number
                )
                self._pages[pid] = page
                db.pages[pid] = page
                ids.append(pid)
            db._cache.clear()
        if self._change_listeners:
            for pid in ids:
                self._emit(
                    "page.created", {"id": pid, "type": "page"}, {"parent": self._page_parent(db)}
                )
        return ids

    def update_page(
        self,
        page_id: str,
        *,
        properties: Mapping[str, Any] | None = None,
        in_trash: bool | None = None,
        edited_at: dt.datetime | float | None = None,
    ) -> None:
        """Merge property values (same shorthand as :meth:`add_page`) and/or move the page to
        or from the trash; ``last_edited_time`` becomes ``edited_at`` or now (minute)."""
        with self._lock:
            page = self._page(page_id)
            changed = self._build_props(page.db, properties)
            page.props.update(changed)
            was_trashed = page.in_trash
            if in_trash is not None:
                page.in_trash = bool(in_trash)
            page.edited = _to_epoch(time.time() if edited_at is None else edited_at)
            page.blob = None
            page.db._cache.clear()
            parent = self._page_parent(page.db)
            ids = [page.db.properties[name].get("id", name) for name in changed]
        entity = {"id": page.id, "type": "page"}
        if changed:
            self._emit(
                "page.properties_updated", entity, {"parent": parent, "updated_properties": ids}
            )
        if page.in_trash != was_trashed:
            self._emit(
                "page.deleted" if page.in_trash else "page.undeleted", entity, {"parent": parent}
            )

    def trash_page(self, page_id: str) -> None:
        self.update_page(page_id, in_trash=True)

    def remove_page(self, page_id: str) -> None:
        """Delete a page for good (as if moved out of the database or unshared)."""
        with self._lock:
            page = self._page(page_id)
            del self._pages[page.id]
            del page.db.pages[page.id]
            page.db._cache.clear()

    def set_shared(self, database_id: str | Database, shared: bool) -> None:
        """Share or unshare a database with the integration (unshared: 404 everywhere)."""
        with self._lock:
            db = self._db(database_id)
            db.shared = shared
            db._cache.clear()

    def prerender(self, database_id: str | Database | None = None) -> int:
        """Serialize the page objects now (normally done on first use, ~30 µs a page), so a
        benchmark does not pay for it; returns how many were rendered."""
        with self._lock:
            dbs = [self._db(database_id)] if database_id else list(self._databases.values())
            count = 0
            with _gc_paused():
                for db in dbs:
                    for page in db.pages.values():
                        if page.blob is None:
                            self._page_blob(page)
                            count += 1
            return count

    def page(self, page_id: str) -> dict[str, Any]:
        """The stored page object, relations not truncated (a fresh copy)."""
        with self._lock:
            return json.loads(_json_bytes(self._page_object(self._page(page_id), full=True)))

    def database(self, database_id: str) -> Database:
        """The :class:`Database` of a database or data source id."""
        return self._db(database_id)

    def page_ids(self, database_id: str | Database, *, include_trashed: bool = False) -> list[str]:
        db = self._db(database_id)
        with self._lock:
            return [p.id for p in db.pages.values() if include_trashed or not p.in_trash]

    def _page(self, page_id: str) -> _Page:
        page = self._pages.get(_require_id(page_id))
        if page is None:
            raise KeyError(f"unknown page: {page_id}")
        return page

    # ------------------------------------------------------------------ faults

    def inject_fault(
        self,
        *,
        endpoint: str | None = None,
        status: int = 500,
        count: int = 1,
        retry_after: float | None = None,
        delay: float = 0.0,
        drop: bool = False,
        skip: int = 0,
    ) -> None:
        """Make the next ``count`` requests to ``endpoint`` (None: any), after ``skip`` of them,
        fail: answer ``status`` (429 ``rate_limited`` with ``Retry-After: retry_after`` when
        given; 500 ``internal_server_error``; 502 an HTML proxy page; 503
        ``service_unavailable``; 504 ``gateway_timeout``; 529 ``service_overload``), or close
        the connection without answering (``drop=True``). ``delay`` seconds pass first; with
        ``status=200`` the request is then answered normally (a slow answer)."""
        if endpoint is not None and endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {ENDPOINTS}")
        if not drop and status != 200 and status not in _FAULT_CODES and status != 502:
            raise ValueError(f"unsupported fault status {status}")
        with self._fault_lock:
            self._faults.append(_Fault(endpoint, status, count, retry_after, delay, drop, skip))

    def clear_faults(self) -> None:
        with self._fault_lock:
            self._faults.clear()

    def reset_counts(self) -> None:
        with self._lock:
            self.request_counts.clear()
            self.query_chains.clear()
            self.connections_opened = 0
            self.max_in_flight = self.in_flight
        with self._fault_lock:
            self.rate_limited_count = 0

    def _take_fault(self, endpoint: str) -> _Fault | None:
        with self._fault_lock:
            chosen = None
            for fault in self._faults:
                if fault.endpoint is not None and fault.endpoint != endpoint:
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                if chosen is None:
                    chosen = fault
            if chosen is not None:
                chosen.count -= 1
                if chosen.count <= 0:
                    self._faults.remove(chosen)
            return chosen

    def _rate_limited(self) -> bool:
        rps = self.rate_limit_rps
        if not rps:
            return False
        with self._fault_lock:
            now = time.monotonic()
            capacity = max(1.0, float(rps))
            self._tokens = min(capacity, self._tokens + (now - self._tokens_at) * rps)
            self._tokens_at = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return False
            self.rate_limited_count += 1
            return True

    # ------------------------------------------------------------------ objects

    def _page_object(self, page: _Page, *, full: bool = False) -> dict[str, Any]:
        db = page.db
        user = {"object": "user", "id": BOT_USER_ID}
        created = _iso(page.created)
        edited = _iso(page.edited)
        props: dict[str, Any] = {}
        stored = page.props
        for name, schema in db.properties.items():
            ptype = schema["type"]
            if page.outside and ptype != "title":
                continue  # a page outside a database has only its title
            if ptype == "created_time":
                value: Any = created
            elif ptype == "last_edited_time":
                value = edited
            elif ptype in ("created_by", "last_edited_by"):
                value = user
            elif ptype == "unique_id":
                value = {"prefix": schema["unique_id"]["prefix"], "number": page.number}
            else:
                value = stored.get(name)
            item = {"id": schema["id"], "type": ptype, ptype: value}
            if ptype == "relation":
                if not full and len(value) > REFERENCE_LIMIT:
                    item[ptype] = value[:REFERENCE_LIMIT]
                    item["has_more"] = True
                else:
                    item["has_more"] = False
            elif ptype == "people" and not full and len(value) > REFERENCE_LIMIT:
                item[ptype] = value[:REFERENCE_LIMIT]
                item["has_more"] = True
            props[name] = item
        return {
            "object": "page",
            "id": page.id,
            "created_time": created,
            "last_edited_time": edited,
            "created_by": user,
            "last_edited_by": user,
            "cover": None,
            "icon": None,
            "parent": (
                {"type": "page_id", "page_id": page.outside}
                if page.outside
                else {
                    "type": "data_source_id",
                    "data_source_id": db.data_source_id,
                    "database_id": db.database_id,
                }
            ),
            "archived": False,
            "in_trash": page.in_trash,
            "is_locked": False,
            "properties": props,
            "url": f"https://www.notion.so/{page.id.replace('-', '')}",
            "public_url": None,
        }

    def _page_blob(self, page: _Page) -> bytes:
        blob = page.blob
        if blob is None:
            blob = page.blob = _json_bytes(self._page_object(page))
        return blob

    def _database_object(self, db: Database) -> dict[str, Any]:
        return {
            "object": "database",
            "id": db.database_id,
            "title": [rich_text(db.title)],
            "description": [],
            "parent": {"type": "page_id", "page_id": WORKSPACE_PAGE_ID},
            "is_inline": False,
            "in_trash": False,
            "archived": False,
            "is_locked": False,
            "created_time": _iso(db.created_time),
            "last_edited_time": _iso(db.last_edited_time),
            "created_by": {"object": "user", "id": BOT_USER_ID},
            "last_edited_by": {"object": "user", "id": BOT_USER_ID},
            "data_sources": [{"id": db.data_source_id, "name": db.title}],
            "icon": None,
            "cover": None,
            "url": f"https://www.notion.so/{db.database_id.replace('-', '')}",
            "public_url": None,
        }

    def _data_source_object(self, db: Database) -> dict[str, Any]:
        return {
            "object": "data_source",
            "id": db.data_source_id,
            "created_time": _iso(db.created_time),
            "last_edited_time": _iso(db.last_edited_time),
            "created_by": {"object": "user", "id": BOT_USER_ID},
            "last_edited_by": {"object": "user", "id": BOT_USER_ID},
            "title": [rich_text(db.title)],
            "description": [],
            "icon": None,
            "cover": None,
            "properties": json.loads(_json_bytes(db.properties)),
            "parent": {"type": "database_id", "database_id": db.database_id},
            "database_parent": {"type": "page_id", "page_id": WORKSPACE_PAGE_ID},
            "is_inline": False,
            "archived": False,
            "in_trash": False,
            "url": f"https://www.notion.so/{db.data_source_id.replace('-', '')}",
            "public_url": None,
        }

    # ------------------------------------------------------------------ HTTP handling

    def _route(self, method: str, path: str) -> tuple[str, tuple[str, ...]]:
        parts = path.split("/")
        # ['', 'v1', 'databases', '{id}']
        if len(parts) < 4 or parts[0] != "" or parts[1] != "v1":
            return "other", ()
        kind, rest = parts[2], parts[3:]
        if kind == "databases" and len(rest) == 1 and method == "GET":
            return "databases.retrieve", (rest[0],)
        if kind == "data_sources":
            if len(rest) == 1 and method == "GET":
                return "data_sources.retrieve", (rest[0],)
            if len(rest) == 2 and rest[1] == "query" and method == "POST":
                return "data_sources.query", (rest[0],)
        if kind == "pages":
            if len(rest) == 1 and method == "GET":
                return "pages.retrieve", (rest[0],)
            if len(rest) == 3 and rest[1] == "properties" and method == "GET":
                return "pages.properties.retrieve", (rest[0], rest[2])
        return "other", ()

    def _count(self, endpoint: str) -> None:
        with self._lock:
            self.request_counts[endpoint] += 1

    def _handle(
        self,
        endpoint: str,
        args: tuple[str, ...],
        query: dict[str, list[str]],
        headers: Any,
        body: bytes,
    ) -> tuple[int, bytes, dict[str, str]]:
        if not headers.get("Notion-Version"):
            raise ApiError(
                400,
                "missing_version",
                "Notion-Version header failed validation: Notion-Version header should be "
                "defined, instead was `undefined`.",
            )
        auth = headers.get("Authorization") or ""
        if auth != f"Bearer {self.token}":
            raise ApiError(401, "unauthorized", "API token is invalid.")
        if self._rate_limited():
            raise ApiError(
                429,
                "rate_limited",
                "You have been rate limited. Please try again in a few minutes.",
                {"Retry-After": "1"},
            )
        if endpoint == "other":
            raise ApiError(400, "invalid_request_url", "Invalid request URL.")
        if endpoint == "databases.retrieve":
            db = self._lookup(args[0], "database")
            return 200, self._object_bytes(self._database_object(db)), {}
        if endpoint == "data_sources.retrieve":
            db = self._lookup(args[0], "data_source")
            with self._lock:
                obj = self._data_source_object(db)
            return 200, self._object_bytes(obj), {}
        if endpoint == "data_sources.query":
            db = self._lookup(args[0], "data_source")
            return 200, self._query(db, self._json_body(body)), {}
        if endpoint == "pages.retrieve":
            page = self._lookup_page(args[0])
            with self._lock:
                obj = self._page_object(page)
            return 200, self._object_bytes(obj), {}
        if endpoint == "pages.properties.retrieve":
            page = self._lookup_page(args[0])
            return 200, self._property_item(page, args[1], query), {}
        raise ApiError(400, "invalid_request_url", "Invalid request URL.")

    @staticmethod
    def _object_bytes(obj: dict[str, Any]) -> bytes:
        obj["request_id"] = str(uuid.uuid4())
        return _json_bytes(obj)

    @staticmethod
    def _json_body(body: bytes) -> dict[str, Any]:
        if not body.strip():
            return {}
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "invalid_json", "Error parsing JSON body.") from None
        if not isinstance(parsed, dict):
            raise _validation("body failed validation: body should be an object.")
        return parsed

    def _lookup(self, raw_id: str, kind: str) -> Database:
        path_name = "database_id" if kind == "database" else "data_source_id"
        cid = canonical_id(unquote(raw_id))
        if cid is None:
            raise _validation(
                f"path failed validation: path.{path_name} should be a valid uuid, "
                f'instead was `"{unquote(raw_id)}"`.'
            )
        table = self._databases if kind == "database" else self._data_sources
        db = table.get(cid)
        if db is not None and db.shared:
            return db
        label = "database" if kind == "database" else "data source"
        message = (
            f"Could not find {label} with ID: {cid}. Make sure the relevant pages and "
            f"databases are shared with your integration."
        )
        if db is None:
            other = self._data_sources if kind == "database" else self._databases
            if cid in other and other[cid].shared:
                what, path = (
                    ("data source", "data_sources")
                    if kind == "database"
                    else ("database", "databases")
                )
                message += f" (This ID belongs to a {what}: use /v1/{path}/{cid}.)"
        raise ApiError(404, "object_not_found", message)

    def _lookup_page(self, raw_id: str) -> _Page:
        cid = canonical_id(unquote(raw_id))
        if cid is None:
            raise _validation(
                f"path failed validation: path.page_id should be a valid uuid, "
                f'instead was `"{unquote(raw_id)}"`.'
            )
        page = self._pages.get(cid)
        if page is None or not page.db.shared:
            raise ApiError(
                404,
                "object_not_found",
                f"Could not find page with ID: {cid}. Make sure the relevant pages and "
                f"databases are shared with your integration.",
            )
        return page

    # ------------------------------------------------------------------ query

    def _query(self, db: Database, body: dict[str, Any]) -> bytes:
        page_size = body.get("page_size", MAX_PAGE_SIZE)
        if page_size is None:
            page_size = MAX_PAGE_SIZE
        _check_page_size(page_size, "body.page_size")
        result_type = body.get("result_type")
        if result_type not in (None, "page", "data_source"):
            raise _validation(
                'body failed validation: body.result_type should be `"page"` or '
                f'`"data_source"`, instead was `{json.dumps(result_type)}`.'
            )
        filter_ = body.get("filter")
        sorts = body.get("sorts")
        fingerprint = json.dumps([filter_, sorts], sort_keys=True, ensure_ascii=False)
        qhash = hashlib.blake2b(fingerprint.encode(), digest_size=6).hexdigest()
        start = _decode_cursor(body.get("start_cursor"), qhash)

        with self._lock:
            self.query_chains[qhash] += 1
            matches = db._cache.get(fingerprint)
            if matches is None:
                predicate = _compile_filter(db, filter_, "body.filter") if filter_ else None
                order = _compile_sorts(db, sorts)
                by_timestamp = _timestamp_sort(sorts)
                if by_timestamp is not None:
                    # Fast path (what a sync sends): a pre-sorted index, bisected when the
                    # filter is a plain range on the same timestamp.
                    attr, descending = by_timestamp
                    keys, index = self._timestamp_index(db, attr, descending)
                    bounds = _timestamp_bounds(filter_, attr) if filter_ else (None, None)
                    if bounds is None:
                        matches = [p for p in index if predicate(p)]  # type: ignore[misc]
                    else:
                        matches = _slice_index(keys, index, bounds, descending)
                else:
                    pages = [p for p in db.pages.values() if not p.in_trash]
                    if predicate is not None:
                        pages = [p for p in pages if predicate(p)]
                    matches = order(pages)
                if len(db._cache) > 64:
                    db._cache.clear()
                db._cache[fingerprint] = matches
            if result_type == "data_source":
                matches = []
            total = len(matches)
            limit = self.query_result_limit
            visible = min(total, limit)
            end = min(start + page_size, visible)
            blobs = [self._page_blob(p) for p in matches[start:end]] if start < end else []
        has_more = end < visible
        tail: dict[str, Any] = {
            "next_cursor": _encode_cursor(end, qhash) if has_more else None,
            "has_more": has_more,
            "type": "page_or_data_source",
            "page_or_data_source": {},
        }
        if total > limit:
            tail["request_status"] = REQUEST_STATUS_INCOMPLETE
        elif self.request_status_complete is not None:
            tail["request_status"] = self.request_status_complete
        tail["request_id"] = str(uuid.uuid4())
        return b'{"object":"list","results":[' + b",".join(blobs) + b"]," + _json_bytes(tail)[1:]

    @staticmethod
    def _timestamp_index(
        db: Database, attr: str, descending: bool
    ) -> tuple[list[int], list[_Page]]:
        """Live pages ordered by ``attr`` (ties by id), with their sort keys; cached until the
        next write to the database."""
        cache_key = f"\x00index:{attr}:{descending}"
        cached = db._cache.get(cache_key)
        if cached is None:
            live = [p for p in db.pages.values() if not p.in_trash]
            get = attrgetter(attr)
            if descending:
                live.sort(key=lambda p: (-get(p), p.id))
                keys = [-get(p) for p in live]
            else:
                live.sort(key=lambda p: (get(p), p.id))
                keys = [get(p) for p in live]
            cached = db._cache[cache_key] = (keys, live)  # type: ignore[assignment]
        return cached  # type: ignore[return-value]

    # ------------------------------------------------------------------ property items

    def _property_item(self, page: _Page, raw_property_id: str, query: dict) -> bytes:
        db = page.db
        schema = db.property_by_name_or_id(raw_property_id)
        if schema is None:
            raise ApiError(
                404,
                "object_not_found",
                f"Could not find property with ID: {unquote(raw_property_id)}.",
            )
        ptype = schema["type"]
        pid = schema["id"]
        with self._lock:
            value = self._page_object(page, full=True)["properties"][schema["name"]][ptype]
        if ptype not in _PAGINATED_PROPERTY_TYPES:
            return self._object_bytes(
                {"object": "property_item", "id": pid, "type": ptype, ptype: value}
            )

        page_size_raw = (query.get("page_size") or [None])[0]
        if page_size_raw in (None, ""):
            page_size = MAX_PAGE_SIZE
        else:
            try:
                page_size = int(page_size_raw)
            except ValueError:
                raise _validation(
                    "query failed validation: query.page_size should be a number, instead was "
                    f'`"{page_size_raw}"`.'
                ) from None
        _check_page_size(page_size, "query.page_size")
        qhash = hashlib.blake2b(f"{page.id}/{pid}".encode(), digest_size=6).hexdigest()
        start = _decode_cursor((query.get("start_cursor") or [None])[0], qhash)

        if ptype == "rollup":
            items: list[Any] = (
                list(value.get("array") or []) if value.get("type") == "array" else []
            )
            summary: dict[str, Any] = dict(value)
        else:
            items = list(value or [])
            summary = {}
        chunk = items[start : start + page_size]
        has_more = start + page_size < len(items)
        next_cursor = _encode_cursor(start + page_size, qhash) if has_more else None
        results = []
        for item in chunk:
            if ptype == "rollup":
                results.append(
                    {"object": "property_item", "id": pid, "type": "rollup", "rollup": item}
                )
            else:
                results.append({"object": "property_item", "id": pid, "type": ptype, ptype: item})
        encoded_pid = quote(pid, safe="")
        next_url = (
            f"{self.base_url}/v1/pages/{page.id}/properties/{encoded_pid}"
            f"?start_cursor={next_cursor}"
            if has_more
            else None
        )
        return self._object_bytes(
            {
                "object": "list",
                "results": results,
                "next_cursor": next_cursor,
                "has_more": has_more,
                "type": "property_item",
                "property_item": {"id": pid, "next_url": next_url, "type": ptype, ptype: summary},
            }
        )


# --------------------------------------------------------------------------- query helpers


def _check_page_size(page_size: Any, where: str) -> None:
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise _validation(
            f"body failed validation: {where} should be a number, instead was "
            f"`{json.dumps(page_size)}`."
        )
    if page_size > MAX_PAGE_SIZE:
        raise _validation(
            f"body failed validation: {where} should be ≤ `{MAX_PAGE_SIZE}`, instead was "
            f"`{page_size}`."
        )
    if page_size < 1:
        raise _validation(
            f"body failed validation: {where} should be ≥ `1`, instead was `{page_size}`."
        )


def _encode_cursor(offset: int, qhash: str) -> str:
    return base64.urlsafe_b64encode(f"{offset}:{qhash}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: Any, qhash: str) -> int:
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(str(cursor) + "=" * (-len(str(cursor)) % 4)).decode()
        offset_text, cursor_hash = text.split(":", 1)
        offset = int(offset_text)
    except (ValueError, UnicodeDecodeError):
        raise _validation(f"The start_cursor provided is invalid: {cursor}") from None
    if cursor_hash != qhash or offset < 0:
        raise _validation(
            f"The start_cursor provided is invalid: {cursor} (it belongs to another query: "
            "pass the same filter and sorts with every cursor)"
        )
    return offset


_FilterFn = Callable[[_Page], bool]
_TIMESTAMP_ATTRS = {"created_time": "created", "last_edited_time": "edited"}


def _timestamp_sort(sorts: Any) -> tuple[str, bool] | None:
    """(page attribute, descending) when the sorts are a single timestamp sort (or none)."""
    if not sorts:
        return "created", True
    if len(sorts) == 1 and set(sorts[0]) == {"timestamp", "direction"}:
        return _TIMESTAMP_ATTRS[sorts[0]["timestamp"]], sorts[0]["direction"] == "descending"
    return None


def _timestamp_bounds(f: Any, attr: str) -> tuple[int | None, int | None] | None:
    """Inclusive integer bounds on ``attr`` equivalent to filter ``f``, or None when ``f`` is
    not a plain range (one timestamp filter on ``attr`` or an ``and`` of them)."""
    if not isinstance(f, dict):
        return None
    if set(f) == {"and"}:
        lo: int | None = None
        hi: int | None = None
        for sub in f["and"]:
            bounds = _timestamp_bounds(sub, attr)
            if bounds is None:
                return None
            if bounds[0] is not None:
                lo = bounds[0] if lo is None else max(lo, bounds[0])
            if bounds[1] is not None:
                hi = bounds[1] if hi is None else min(hi, bounds[1])
        return lo, hi
    ts = f.get("timestamp")
    if _TIMESTAMP_ATTRS.get(ts) != attr or set(f) != {"timestamp", ts}:
        return None
    op, value = next(iter(f[ts].items()))
    if op not in _DATE_OPS:
        return None
    moment, date_only = _parse_iso(value)
    x = moment.timestamp()
    day_end = math.ceil(x + 86400) - 1  # last second of a date-only day
    if op == "on_or_after":
        return math.ceil(x), None
    if op == "after":
        return (math.ceil(x + 86400) if date_only else math.floor(x) + 1), None
    if op == "before":
        return None, math.ceil(x) - 1
    if op == "on_or_before":
        return None, (day_end if date_only else math.floor(x))
    if date_only:  # equals
        return math.ceil(x), day_end
    return (int(x), int(x)) if x == int(x) else (1, 0)


def _slice_index(
    keys: list[int],
    index: list[_Page],
    bounds: tuple[int | None, int | None],
    descending: bool,
) -> list[_Page]:
    lo, hi = bounds
    if descending:  # keys are negated timestamps
        lo, hi = (None if hi is None else -hi), (None if lo is None else -lo)
    i = 0 if lo is None else bisect.bisect_left(keys, lo)
    j = len(keys) if hi is None else bisect.bisect_right(keys, hi)
    return index[i:j] if i < j else []


_DATE_OPS = ("equals", "before", "after", "on_or_before", "on_or_after")
_RELATIVE_DATE_OPS = (
    "past_week",
    "past_month",
    "past_year",
    "next_week",
    "next_month",
    "next_year",
    "this_week",
)


def _single_condition(cond: Any, where: str) -> tuple[str, Any]:
    if not isinstance(cond, dict) or len(cond) != 1:
        raise _validation(
            f"body failed validation: {where} should be an object with exactly one condition, "
            f"instead was `{json.dumps(cond, ensure_ascii=False)}`."
        )
    return next(iter(cond.items()))


def _epoch_getter(db: Database, schema: dict | None, timestamp: str | None) -> Callable:
    if timestamp == "created_time" or (schema and schema["type"] == "created_time"):
        return lambda p: p.created
    if timestamp == "last_edited_time" or (schema and schema["type"] == "last_edited_time"):
        return lambda p: p.edited
    name = schema["name"]

    def getter(p: _Page) -> int | None:
        value = p.props.get(name)
        if not value:
            return None
        return int(_parse_iso(value["start"])[0].timestamp())

    return getter


def _date_predicate(getter: Callable, cond: Any, where: str) -> _FilterFn:
    op, value = _single_condition(cond, where)
    if op in ("is_empty", "is_not_empty"):
        want_empty = op == "is_empty"
        return lambda p: (getter(p) is None) == want_empty
    if op in _RELATIVE_DATE_OPS:
        now = time.time()
        day = 86400
        spans = {
            "past_week": (now - 7 * day, now),
            "past_month": (now - 30 * day, now),
            "past_year": (now - 365 * day, now),
            "next_week": (now, now + 7 * day),
            "next_month": (now, now + 30 * day),
            "next_year": (now, now + 365 * day),
        }
        if op == "this_week":
            today = dt.datetime.now(_UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            monday = today - dt.timedelta(days=today.weekday())
            spans["this_week"] = (monday.timestamp(), monday.timestamp() + 7 * day)
        lo, hi = spans[op]

        def relative(p: _Page) -> bool:
            ts = getter(p)
            return ts is not None and lo <= ts <= hi

        return relative
    if op not in _DATE_OPS:
        raise _validation(
            f"body failed validation: {where}.{op} is not a date condition; use one of "
            f"{', '.join(_DATE_OPS + _RELATIVE_DATE_OPS)}, is_empty, is_not_empty."
        )
    try:
        moment, date_only = _parse_iso(value)
    except (ValueError, TypeError):
        raise _validation(
            f"body failed validation: {where}.{op} should be a valid ISO 8601 date string, "
            f"instead was `{json.dumps(value, ensure_ascii=False)}`."
        ) from None
    lo = moment.timestamp()
    hi = lo + 86400 if date_only else lo  # a date means the whole (UTC) day

    def check(p: _Page) -> bool:
        ts = getter(p)
        if ts is None:
            return False
        if op == "equals":
            return lo <= ts < hi if date_only else ts == lo
        if op == "before":
            return ts < lo
        if op == "after":
            return ts >= hi if date_only else ts > lo
        if op == "on_or_before":
            return ts < hi if date_only else ts <= lo
        return ts >= lo  # on_or_after

    return check


def _text_getter(schema: dict) -> Callable[[_Page], str]:
    name = schema["name"]
    if schema["type"] in ("title", "rich_text"):
        return lambda p: _plain(p.props.get(name) or [])
    return lambda p: p.props.get(name) or ""


def _compile_filter(db: Database, f: Any, where: str) -> _FilterFn:
    if not isinstance(f, dict):
        raise _validation(f"body failed validation: {where} should be an object.")
    for key in ("and", "or"):
        if key in f:
            if len(f) != 1:
                raise _validation(
                    f"body failed validation: {where} should have only `{key}` next to a "
                    "compound condition."
                )
            subs = f[key]
            if not isinstance(subs, list):
                raise _validation(f"body failed validation: {where}.{key} should be an array.")
            preds = [_compile_filter(db, s, f"{where}.{key}[{i}]") for i, s in enumerate(subs)]
            if key == "and":
                return lambda p: all(pred(p) for pred in preds)
            return lambda p: any(pred(p) for pred in preds)
    if "timestamp" in f:
        ts = f["timestamp"]
        if ts not in ("created_time", "last_edited_time"):
            raise _validation(
                f'body failed validation: {where}.timestamp should be `"created_time"` or '
                f'`"last_edited_time"`, instead was `{json.dumps(ts)}`.'
            )
        extra = set(f) - {"timestamp", ts}
        if extra or ts not in f:
            raise _validation(
                f"body failed validation: {where} with timestamp `{ts}` needs a `{ts}` "
                f"condition object (got keys {sorted(f)})."
            )
        return _date_predicate(_epoch_getter(db, None, ts), f[ts], f"{where}.{ts}")
    if "property" in f:
        key = f["property"]
        schema = db.property_by_name_or_id(str(key))
        if schema is None:
            raise _validation(f"Could not find property with name or id: {key}")
        rest = [k for k in f if k != "property"]
        if len(rest) != 1:
            raise _validation(
                f"body failed validation: {where} should have the property name and exactly "
                f"one type key such as `{schema['type']}`, instead had {sorted(f)}."
            )
        ftype = rest[0]
        return _property_predicate(db, schema, ftype, f[ftype], f"{where}.{ftype}")
    raise _validation(
        f"body failed validation: {where} should be a property filter, a timestamp filter or "
        f"a compound `and`/`or` filter, instead was `{json.dumps(f, ensure_ascii=False)}`."
    )


def _property_predicate(db: Database, schema: dict, ftype: str, cond: Any, where: str) -> _FilterFn:
    ptype = schema["type"]
    name = schema["name"]
    compatible = (
        ftype == ptype
        or (ftype in _TEXT_TYPES and ptype in _TEXT_TYPES)
        or (ftype == "date" and ptype in ("created_time", "last_edited_time"))
    )
    if not compatible:
        raise _validation(
            f"body failed validation: {where}: property `{name}` is of type `{ptype}`, a "
            f"`{ftype}` filter does not apply."
        )
    if ptype in ("date", "created_time", "last_edited_time"):
        return _date_predicate(_epoch_getter(db, schema, None), cond, where)
    op, value = _single_condition(cond, where)

    def bad_op() -> ApiError:
        return _validation(
            f"body failed validation: {where}.{op} is not a supported `{ftype}` condition."
        )

    if op == "is_empty" or op == "is_not_empty":
        if value is not True:
            raise _validation(f"body failed validation: {where}.{op} should be `true`.")
        want_empty = op == "is_empty"
        if ptype == "unique_id":
            return lambda p: not want_empty
        return lambda p: (p.props.get(name) in (None, [], "")) == want_empty

    if ptype in _TEXT_TYPES:
        if not isinstance(value, str):
            raise _validation(f"body failed validation: {where}.{op} should be a string.")
        get = _text_getter(schema)
        needle = value.casefold()
        ops: dict[str, _FilterFn] = {
            "equals": lambda p: get(p) == value,
            "does_not_equal": lambda p: get(p) != value,
            "contains": lambda p: needle in get(p).casefold(),
            "does_not_contain": lambda p: needle not in get(p).casefold(),
            "starts_with": lambda p: get(p).casefold().startswith(needle),
            "ends_with": lambda p: get(p).casefold().endswith(needle),
        }
        if op not in ops:
            raise bad_op()
        return ops[op]
    if ptype == "checkbox":
        if op not in ("equals", "does_not_equal") or not isinstance(value, bool):
            raise _validation(
                f'body failed validation: {where} should be `{{"equals": true|false}}` or '
                "`does_not_equal`."
            )
        if op == "equals":
            return lambda p: bool(p.props.get(name)) is value
        return lambda p: bool(p.props.get(name)) is not value
    if ptype in ("select", "status"):
        if op not in ("equals", "does_not_equal") or not isinstance(value, str):
            raise bad_op()

        def option_name(p: _Page) -> str | None:
            v = p.props.get(name)
            return v["name"] if v else None

        if op == "equals":
            return lambda p: option_name(p) == value
        return lambda p: option_name(p) != value
    if ptype == "multi_select":
        if op not in ("contains", "does_not_contain") or not isinstance(value, str):
            raise bad_op()
        has = lambda p: any(o["name"] == value for o in p.props.get(name) or [])  # noqa: E731
        return has if op == "contains" else (lambda p: not has(p))
    if ptype in ("relation", "people"):
        if op not in ("contains", "does_not_contain") or not isinstance(value, str):
            raise bad_op()
        wanted = canonical_id(value)
        has = lambda p: any(r["id"] == wanted for r in p.props.get(name) or [])  # noqa: E731
        return has if op == "contains" else (lambda p: not has(p))
    if ptype in ("number", "unique_id"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _validation(f"body failed validation: {where}.{op} should be a number.")
        if ptype == "unique_id":
            get_num: Callable[[_Page], Any] = lambda p: p.number  # noqa: E731
        else:
            get_num = lambda p: p.props.get(name)  # noqa: E731
        cmp = {
            "equals": lambda a: a == value,
            "does_not_equal": lambda a: a != value,
            "greater_than": lambda a: a > value,
            "less_than": lambda a: a < value,
            "greater_than_or_equal_to": lambda a: a >= value,
            "less_than_or_equal_to": lambda a: a <= value,
        }.get(op)
        if cmp is None:
            raise bad_op()
        if op == "does_not_equal":
            return lambda p: get_num(p) is None or cmp(get_num(p))
        return lambda p: get_num(p) is not None and cmp(get_num(p))
    raise _validation(
        f"body failed validation: filtering on `{ptype}` properties is not supported by the "
        "emulator."
    )


def _compile_sorts(db: Database, sorts: Any) -> Callable[[list[_Page]], list[_Page]]:
    if sorts is None or sorts == []:
        specs: list[tuple[Callable[[_Page], Any], bool]] = [(lambda p: p.created, True)]
    else:
        if not isinstance(sorts, list):
            raise _validation("body failed validation: body.sorts should be an array.")
        specs = []
        for i, spec in enumerate(sorts):
            where = f"body.sorts[{i}]"
            if not isinstance(spec, dict):
                raise _validation(f"body failed validation: {where} should be an object.")
            direction = spec.get("direction")
            if direction not in ("ascending", "descending"):
                raise _validation(
                    f'body failed validation: {where}.direction should be `"ascending"` or '
                    f'`"descending"`, instead was `{json.dumps(direction)}`.'
                )
            keys = set(spec) - {"direction"}
            if keys == {"timestamp"}:
                ts = spec["timestamp"]
                if ts == "created_time":
                    key: Callable[[_Page], Any] = lambda p: p.created  # noqa: E731
                elif ts == "last_edited_time":
                    key = lambda p: p.edited  # noqa: E731
                else:
                    raise _validation(
                        f'body failed validation: {where}.timestamp should be `"created_time"` '
                        f'or `"last_edited_time"`, instead was `{json.dumps(ts)}`.'
                    )
            elif keys == {"property"}:
                schema = db.property_by_name_or_id(str(spec["property"]))
                if schema is None:
                    raise _validation(
                        f"Could not find sort property with name or id: {spec['property']}"
                    )
                key = _sort_key(schema)
            else:
                raise _validation(
                    f"body failed validation: {where} should have `property` or `timestamp` "
                    f"and `direction`, instead had {sorted(spec)}."
                )
            specs.append((key, direction == "descending"))

    def order(pages: list[_Page]) -> list[_Page]:
        result = sorted(pages, key=lambda p: p.id)  # stable tie-break
        for key, descending in reversed(specs):
            present, missing = [], []
            for p in result:
                (missing if key(p) is None else present).append(p)
            present.sort(key=key, reverse=descending)
            result = present + missing  # empty values last, like Notion
        return result

    return order


def _sort_key(schema: dict) -> Callable[[_Page], Any]:
    ptype = schema["type"]
    name = schema["name"]
    if ptype in _TEXT_TYPES:
        get = _text_getter(schema)
        return lambda p: get(p).casefold() or None
    if ptype in ("select", "status"):
        order = {o["name"]: i for i, o in enumerate(schema[ptype]["options"])}
        return lambda p: order.get(p.props[name]["name"], len(order)) if p.props.get(name) else None
    if ptype == "multi_select":
        return lambda p: ",".join(o["name"] for o in p.props.get(name) or []) or None
    if ptype == "number":
        return lambda p: p.props.get(name)
    if ptype == "checkbox":
        return lambda p: int(bool(p.props.get(name)))
    if ptype in ("date", "created_time", "last_edited_time"):
        return _epoch_getter(None, schema, None)  # type: ignore[arg-type]
    if ptype == "unique_id":
        return lambda p: p.number
    if ptype in ("relation", "people", "files"):
        return lambda p: len(p.props.get(name) or []) or None
    return lambda p: None


def _rich_item(item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        return _text_item(item)
    if not isinstance(item, Mapping):
        raise ValueError(f"not a rich text item: {item!r}")
    out = dict(item)
    rtype = out.setdefault("type", "text")
    if rtype == "text":
        text = dict(out.get("text") or {})
        text.setdefault("content", out.get("plain_text", ""))
        text.setdefault("link", None)
        out["text"] = text
        out.setdefault("plain_text", text["content"])
        out.setdefault("href", (text.get("link") or {}).get("url") if text.get("link") else None)
    else:
        out.setdefault("plain_text", "")
        out.setdefault("href", None)
    out["annotations"] = {**_ANNOTATIONS, **(out.get("annotations") or {})}
    return out


# --------------------------------------------------------------------------- HTTP server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    emulator: NotionEmulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or drop connections are expected here; stay quiet.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "NotionEmulator/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 300
    server: _Server

    def setup(self) -> None:
        super().setup()
        emu = self.server.emulator
        with emu._lock:
            emu._connections.add(self.connection)
            emu.connections_opened += 1

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            emu = self.server.emulator
            with emu._lock:
                emu._connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        emu = self.server.emulator
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        split = urlsplit(self.path)
        endpoint, args = emu._route(method, split.path)
        emu._count(endpoint)
        with emu._lock:
            emu.in_flight += 1
            emu.max_in_flight = max(emu.max_in_flight, emu.in_flight)
        try:
            self._answer(emu, method, endpoint, args, split, body)
        finally:
            with emu._lock:
                emu.in_flight -= 1

    def _answer(self, emu: Any, method: str, endpoint: str, args: Any, split: Any, body: bytes):
        if emu.latency:
            time.sleep(emu.latency)
        fault = emu._take_fault(endpoint)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                self.close_connection = True
                return
            if fault.status == 502:
                self._send(502, _BAD_GATEWAY_HTML, {}, content_type="text/html")
                return
            if fault.status != 200:
                code, message = _FAULT_CODES[fault.status]
                headers = {}
                if fault.status == 429 and fault.retry_after is not None:
                    headers["Retry-After"] = f"{fault.retry_after:g}"
                self._send_error(ApiError(fault.status, code, message, headers))
                return
        try:
            status, payload, headers = emu._handle(
                endpoint, args, parse_qs(split.query), self.headers, body
            )
        except ApiError as error:
            self._send_error(error)
            return
        except Exception as error:  # an emulator bug: answer like Notion, keep it visible
            log.exception("notion emulator failed on %s %s", method, self.path)
            emu.errors.append(error)
            self._send_error(ApiError(500, "internal_server_error", f"Emulator error: {error!r}"))
            return
        self._send(status, payload, headers)

    def _send_error(self, error: ApiError) -> None:
        body = _json_bytes(
            {
                "object": "error",
                "status": error.status,
                "code": error.code,
                "message": error.message,
                "request_id": str(uuid.uuid4()),
            }
        )
        self._send(error.status, body, error.headers)

    def _send(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str],
        content_type: str = "application/json; charset=utf-8",
    ) -> None:
        lines = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
        ]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head + body)
        except OSError:
            self.close_connection = True


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    from sandbox.sample_data import build_organisation

    parser = argparse.ArgumentParser(
        prog="python -m sandbox.notion_emulator",
        description="Serve a seeded Notion API emulator until SIGTERM/SIGINT.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--humans", type=int, default=200)
    parser.add_argument("--directions", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each answer")
    parser.add_argument("--rate-limit", type=float, default=None, help="requests per second")
    parser.add_argument("--token", default="secret_emulator")
    args = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    emulator = NotionEmulator(
        token=args.token,
        latency=args.latency,
        rate_limit_rps=args.rate_limit,
        host=args.host,
        port=args.port,
    )
    org = build_organisation(
        emulator, humans=args.humans, directions=args.directions, seed=args.seed
    )
    emulator.start()
    info = {
        "base_url": emulator.base_url,
        "token": emulator.token,
        "humans_database_id": org.humans_database_id,
        "directions_database_id": org.directions_database_id,
    }
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
