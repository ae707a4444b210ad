"""A Google Sheets API v4 emulator (the read side) and Google's OAuth2 token endpoint, over
real HTTP.

Plain Python: the standard library, plus ``cryptography`` (a dependency of google-auth, so
always installed beside it) to make service account keys and verify the JWTs signed with
them. The real google-auth flow runs against it: a key from :meth:`add_service_account`
has ``token_uri`` pointing here, so ``service_account.Credentials`` signs its assertion,
gets an access token here, and ``AuthorizedSession`` sends it with every request.

Endpoints (named as in :attr:`GoogleSheetsEmulator.request_counts`):

* ``POST /token``                                  -> ``token`` (JWT bearer grant, RS256)
* ``GET  /v4/spreadsheets/{id}``                   -> ``spreadsheets.get`` (``fields`` masks)
* ``GET  /v4/spreadsheets/{id}/values/{range}``    -> ``values.get``
* ``GET  /v4/spreadsheets/{id}/values:batchGet``   -> ``values.batchGet`` (``ranges=`` repeated)

Behaviour copied from Google: the range is percent-encoded in the path; A1 notation with
quoted tab titles (``'Ответы на форму (1)'!A1:F``, ``''`` for a quote), a bare title for the
whole tab, no tab for the first one; ``valueRenderOption`` FORMATTED_VALUE (default: the text
a person sees, numbers in the spreadsheet's locale), UNFORMATTED_VALUE, FORMULA;
``majorDimension`` ROWS / COLUMNS; trailing empty cells and rows dropped, and no ``values``
key at all when nothing is left; the answered ``range`` is the requested one clipped to the
grid. Errors have Google's body ``{"error": {"code", "message", "status", "details"?}}``:
400 INVALID_ARGUMENT (unparsable range, unknown field), 400 FAILED_PRECONDITION (an uploaded
Excel file never converted), 401 UNAUTHENTICATED (no, unknown or expired token), 403
PERMISSION_DENIED (not shared with the caller; ``SERVICE_DISABLED`` when the API is off in the
key's project; insufficient scopes), 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED (the read quota:
60 a minute per user by default). Token errors are OAuth's ``{"error", "error_description"}``.

Faults (429/500/502/503/504, dropped connections, slow answers) can be injected per endpoint,
and 403s in the older shape some Google front ends still answer with, the reason in
``error.errors[].reason`` (``rateLimitExceeded``, ``userRateLimitExceeded``: a rate limit,
to retry; ``accessNotConfigured``: the API is off in the project).
"""

from __future__ import annotations

import base64
import collections
import contextlib
import datetime as dt
import hashlib
import json
import logging
import re
import secrets
import socket
import string
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = [
    "ENDPOINTS",
    "FormattedCell",
    "GoogleSheetsEmulator",
    "Sheet",
    "Spreadsheet",
    "generate_private_key",
]

log = logging.getLogger(__name__)

ENDPOINTS = ("token", "spreadsheets.get", "values.get", "values.batchGet")
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
READ_SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/spreadsheets.readonly",
        "https://www.googleapis.com/auth/spreadsheets",
        "https://www.googleapis.com/auth/drive.readonly",
        "https://www.googleapis.com/auth/drive",
        "https://www.googleapis.com/auth/drive.file",
    }
)
TOKEN_LIFETIME = 3599
DEFAULT_ROWS, DEFAULT_COLUMNS = 1000, 26
_ID_ALPHABET = string.ascii_letters + string.digits + "-_"
_BARE_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CELL = re.compile(r"^\$?([A-Za-z]{0,3})\$?(\d*)$")
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_FAULTS = {
    429: ("RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Read requests'."),
    500: ("INTERNAL", "Internal error encountered."),
    503: ("UNAVAILABLE", "The service is currently unavailable."),
    504: ("DEADLINE_EXCEEDED", "The request timed out. Please try again."),
}
# 403 faults: reason -> message, as `{"error": {"code": 403, "message", "errors": [{"message",
# "domain": "usageLimits", "reason"}], "status": "PERMISSION_DENIED"}}`.
_FAULTS_403 = {
    "rateLimitExceeded": "Rate Limit Exceeded",
    "userRateLimitExceeded": (
        "User Rate Limit Exceeded. Rate of requests for user exceed configured project quota."
    ),
    "accessNotConfigured": (
        "Access Not Configured. Google Sheets API has not been used in project 123456789012 "
        "before or it is disabled. Enable it by visiting "
        "https://console.developers.google.com/apis/api/sheets.googleapis.com/overview"
        "?project=123456789012 then retry."
    ),
}
_BAD_GATEWAY_HTML = (
    b"<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Error 502 (Server Error)!!1"
    b"</title><p><b>502.</b> <ins>That's an error.</ins></html>"
)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class FormattedCell:
    """A cell whose text differs from its value: a date (``"12.03.2026 14:05:33"``, serial
    ``46093.586``), a number with a format, a formula's result."""

    text: str
    value: Any
    formula: str | None = None


@dataclass
class Sheet:
    """A tab: its id (``gid`` in links), title and cells (rows of str / int / float / bool /
    FormattedCell / None)."""

    sheet_id: int
    title: str
    rows: list[list[Any]] = field(default_factory=list)
    index: int = 0
    row_count: int | None = None
    column_count: int | None = None
    frozen_rows: int = 0

    @property
    def grid(self) -> tuple[int, int]:
        widest = max((len(r) for r in self.rows), default=0)
        rows = self.row_count or max(DEFAULT_ROWS, len(self.rows))
        columns = self.column_count or max(DEFAULT_COLUMNS, widest)
        return rows, columns


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    title: str
    sheets: list[Sheet]
    locale: str = "ru_RU"
    time_zone: str = "Europe/Moscow"
    shared_with: set[str] = field(default_factory=set)
    #: "Anyone with the link can view": every authenticated caller may read it
    link_sharing: bool = False
    #: an Excel (or other) file uploaded to Drive and never converted to Google Sheets
    excel: bool = False

    def sheet(self, title_or_id: str | int) -> Sheet:
        for sheet in self.sheets:
            if sheet.title == title_or_id or sheet.sheet_id == title_or_id:
                return sheet
        raise KeyError(title_or_id)

    @property
    def url(self) -> str:
        return f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit"


@dataclass
class _Account:
    email: str
    project_id: str
    key_id: str
    public_key: Any
    revoked: bool = False


@dataclass
class _Token:
    email: str
    scopes: frozenset[str]
    expires: float


@dataclass
class _Fault:
    endpoint: str | None
    status: int
    count: int
    retry_after: float | None
    delay: float
    drop: bool
    skip: int
    reason: str | None = None


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details: list[dict] = extra.get("details", [])
        self.errors: list[dict] = extra.get("errors", [])
        self.headers: dict[str, str] = extra.get("headers", {})
        self.oauth: dict[str, str] | None = extra.get("oauth")

    def body(self) -> bytes:
        if self.oauth is not None:
            return _json(self.oauth)
        error: dict[str, Any] = {"code": self.status, "message": self.message, "status": self.code}
        if self.details:
            error["details"] = self.details
        if self.errors:
            error["errors"] = self.errors
        return _json({"error": error})


def _oauth_error(error: str, description: str, status: int = 400) -> ApiError:
    return ApiError(
        status, error, description, oauth={"error": error, "error_description": description}
    )


def _invalid_argument(message: str) -> ApiError:
    return ApiError(400, "INVALID_ARGUMENT", message)


def _json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_private_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    """An RSA key like the ones Google makes for service accounts (slow-ish: reuse it)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


# --------------------------------------------------------------------------- A1 notation


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column_index(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + (ord(char) - ord("A") + 1)
    return number - 1


def _split_sheet(text: str) -> tuple[str | None, str]:
    """``'It''s'!A1:B2`` -> ("It's", "A1:B2"); ``Sheet1!A1`` -> ("Sheet1", "A1"); ``A1:B2``
    -> (None, "A1:B2"); ``'Sheet 1'`` -> ("Sheet 1", "")."""
    if text.startswith("'"):
        i, title = 1, []
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    title.append("'")
                    i += 2
                    continue
                rest = text[i + 1 :]
                if rest and not rest.startswith("!"):
                    raise ValueError(text)
                return "".join(title), rest[1:]
            title.append(text[i])
            i += 1
        raise ValueError(text)
    if "!" in text:
        title, _sep, cells = text.rpartition("!")
        return title, cells
    return None, text


@dataclass(frozen=True)
class _Range:
    sheet: Sheet
    row0: int  # inclusive, 0-based
    col0: int
    row1: int  # exclusive
    col1: int

    def a1(self) -> str:
        title = self.sheet.title
        shown = title if _BARE_TITLE.match(title) else "'" + title.replace("'", "''") + "'"
        start = f"{column_letter(self.col0)}{self.row0 + 1}"
        end = f"{column_letter(self.col1 - 1)}{self.row1}"
        return f"{shown}!{start}" if start == end else f"{shown}!{start}:{end}"


def parse_range(text: str, spreadsheet: Spreadsheet) -> _Range:
    """An A1 range of `spreadsheet`, clipped to the grid; ApiError 400 as Google answers."""
    unparsable = _invalid_argument(f"Unable to parse range: {text}")
    try:
        title, cells = _split_sheet(text.strip())
    except ValueError:
        raise unparsable from None
    sheets = sorted(spreadsheet.sheets, key=lambda s: s.index)
    if title is None:
        # A bare word is a tab's title when there is such a tab, else cells on the first tab.
        match = next((s for s in sheets if s.title == cells), None)
        sheet, cells = (match, "") if match is not None else (sheets[0], cells)
    else:
        sheet = next((s for s in sheets if s.title == title), None)
        if sheet is None:
            raise unparsable
    rows, columns = sheet.grid
    if not cells:
        return _Range(sheet, 0, 0, rows, columns)
    first, _sep, last = cells.partition(":")
    a, b = _CELL.match(first), _CELL.match(last or first)
    if a is None or b is None or not (a.group(1) or a.group(2)) or not (b.group(1) or b.group(2)):
        raise unparsable
    if bool(a.group(1)) != bool(b.group(1)) and last and not a.group(2):
        raise unparsable
    col0 = _column_index(a.group(1)) if a.group(1) else 0
    row0 = int(a.group(2)) - 1 if a.group(2) else 0
    col1 = _column_index(b.group(1)) + 1 if b.group(1) else columns
    row1 = int(b.group(2)) if b.group(2) else rows
    if not last:  # one cell, one column (A) or one row (3)
        col1 = col0 + 1 if a.group(1) else columns
        row1 = row0 + 1 if a.group(2) else rows
    if row0 < 0 or col0 < 0 or row1 <= row0 or col1 <= col0:
        raise unparsable
    if row1 > rows or col1 > columns:
        asked = _Range(sheet, row0, col0, row1, col1).a1()
        raise _invalid_argument(
            f"Range ({asked}) exceeds grid limits. Max rows: {rows}, max columns: {columns}"
        )
    return _Range(sheet, row0, col0, row1, col1)


def _render(cell: Any, option: str, locale: str) -> Any:
    if cell is None or cell == "":
        return ""
    if isinstance(cell, FormattedCell):
        if option == "FORMATTED_VALUE":
            return cell.text
        if option == "FORMULA" and cell.formula:
            return cell.formula
        return cell.value
    if option != "FORMATTED_VALUE":
        return cell
    if isinstance(cell, bool):
        russian = locale.startswith("ru")
        return ("ИСТИНА" if cell else "ЛОЖЬ") if russian else ("TRUE" if cell else "FALSE")
    if isinstance(cell, float):
        text = f"{cell:.10g}"
        return text.replace(".", ",") if locale.startswith("ru") else text
    return str(cell)


def values_of(area: _Range, option: str, dimension: str, locale: str) -> list[list[Any]]:
    """The cells of `area` as Google answers them: trailing empty cells and rows dropped."""
    grid = area.sheet.rows
    lines: list[list[Any]] = []
    for r in range(area.row0, min(area.row1, len(grid))):
        row = grid[r]
        lines.append(
            [
                _render(row[c] if c < len(row) else None, option, locale)
                for c in range(area.col0, area.col1)
            ]
        )
    if dimension == "COLUMNS":
        width = max((len(line) for line in lines), default=0)
        lines = [[line[c] for line in lines] for c in range(width)]
    trimmed = []
    for line in lines:
        while line and line[-1] == "":
            line = line[:-1]
        trimmed.append(line)
    while trimmed and not trimmed[-1]:
        trimmed.pop()
    return trimmed


# --------------------------------------------------------------------------- field masks


def _parse_mask(text: str) -> dict[str, dict]:
    """``a,b.c,d(e,f(g))`` -> {"a": {}, "b": {"c": {}}, "d": {"e": {}, "f": {"g": {}}}}."""
    pos = 0

    def parse_list(closing: str | None) -> dict[str, dict]:
        nonlocal pos
        tree: dict[str, dict] = {}
        while pos < len(text):
            start = pos
            while pos < len(text) and text[pos] not in ",()":
                pos += 1
            path = text[start:pos].strip()
            sub: dict[str, dict] = {}
            if pos < len(text) and text[pos] == "(":
                pos += 1
                sub = parse_list(")")
            if not path:
                raise ValueError(text)
            node = tree
            parts = path.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            leaf = node.setdefault(parts[-1], {})
            leaf.update(sub)
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            if pos < len(text) and text[pos] == ")":
                if closing != ")":
                    raise ValueError(text)
                pos += 1
                return tree
        if closing is not None:
            raise ValueError(text)
        return tree

    return parse_list(None)


def _apply_mask(obj: Any, tree: dict[str, dict], where: str = "") -> Any:
    if not tree:
        return obj
    if isinstance(obj, list):
        return [_apply_mask(item, tree, where) for item in obj]
    if not isinstance(obj, dict):
        raise _invalid_argument(f"Invalid field selection {where}")
    kept = {}
    for key, sub in tree.items():
        if key not in obj:
            if key in _KNOWN_FIELDS:
                continue  # a field that exists in the API, absent in this object
            raise _invalid_argument(f"Invalid field selection {key}")
        kept[key] = _apply_mask(obj[key], sub, key)
    return kept


_KNOWN_FIELDS = frozenset(
    {
        "spreadsheetId",
        "properties",
        "sheets",
        "spreadsheetUrl",
        "namedRanges",
        "developerMetadata",
        "dataSources",
        "title",
        "locale",
        "timeZone",
        "autoRecalc",
        "sheetId",
        "index",
        "sheetType",
        "gridProperties",
        "rowCount",
        "columnCount",
        "frozenRowCount",
        "hidden",
        "data",
        "merges",
    }
)


# --------------------------------------------------------------------------- emulator


class GoogleSheetsEmulator:
    """In-process Sheets API v4 (read side) + OAuth2 token endpoint. See the module doc."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        read_quota: int | None = 60,
        quota_window: float = 60.0,
    ) -> None:
        self.host, self.port = host, port
        self.base_url = ""
        self.latency = latency
        #: reads a user (service account) may make per `quota_window` seconds; None: no limit
        self.read_quota = read_quota
        self.quota_window = quota_window
        self.request_counts: collections.Counter[str] = collections.Counter()
        #: (endpoint, decoded path, query) of every request, in order
        self.request_log: list[tuple[str, str, dict[str, list[str]]]] = []
        self.quota_refusals = 0
        self.errors: list[BaseException] = []
        self._lock = threading.RLock()
        self._spreadsheets: dict[str, Spreadsheet] = {}
        self._accounts: dict[str, _Account] = {}
        self._tokens: dict[str, _Token] = {}
        self._reads: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque
        )
        self._disabled_projects: set[str] = set()
        self._faults: list[_Fault] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._next_sheet_id = 0

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> GoogleSheetsEmulator:
        if self._server is not None:
            return self
        server = _Server((self.host, self.port), _Handler)
        server.emulator = self
        self._server = server
        host, port = server.server_address[:2]
        self.port = port
        self.base_url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"google-sheets-emulator:{port}",
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
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> GoogleSheetsEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    # ------------------------------------------------------------------ accounts
    def add_service_account(
        self,
        email: str | None = None,
        *,
        project_id: str = "volunteers-lists",
        private_key: rsa.RSAPrivateKey | None = None,
    ) -> dict[str, str]:
        """A service account and its JSON key (as Google Cloud gives it), token_uri here."""
        if not self.base_url:
            raise RuntimeError("start() the emulator before adding service accounts")
        key = private_key or generate_private_key()
        name = email.split("@", 1)[0] if email else f"lists-{secrets.token_hex(3)}"
        email = email or f"{name}@{project_id}.iam.gserviceaccount.com"
        key_id = secrets.token_hex(20)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        with self._lock:
            self._accounts[email] = _Account(email, project_id, key_id, key.public_key())
        client_id = str(int(hashlib.sha256(email.encode()).hexdigest(), 16))[:21]
        return {
            "type": "service_account",
            "project_id": project_id,
            "private_key_id": key_id,
            "private_key": pem,
            "client_email": email,
            "client_id": client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
            + email.replace("@", "%40"),
            "universe_domain": "googleapis.com",
        }

    def revoke_key(self, email: str) -> None:
        """The key was deleted in Google Cloud: its JWTs no longer verify."""
        with self._lock:
            self._accounts[email].revoked = True
            for token, held in list(self._tokens.items()):
                if held.email == email:
                    del self._tokens[token]

    def expire_tokens(self) -> None:
        """Every access token issued so far expires now (a client must refresh)."""
        with self._lock:
            for held in self._tokens.values():
                held.expires = 0.0

    def disable_api(self, project_id: str) -> None:
        """The Sheets API is switched off in this Cloud project (403 SERVICE_DISABLED)."""
        with self._lock:
            self._disabled_projects.add(project_id)

    def enable_api(self, project_id: str) -> None:
        with self._lock:
            self._disabled_projects.discard(project_id)

    # ------------------------------------------------------------------ spreadsheets
    def add_spreadsheet(
        self,
        title: str,
        sheets: dict[str, list[list[Any]]] | Sequence[tuple[str, list[list[Any]]]],
        *,
        spreadsheet_id: str | None = None,
        shared_with: Iterable[str] = (),
        link_sharing: bool = False,
        excel: bool = False,
        locale: str = "ru_RU",
        time_zone: str = "Europe/Moscow",
    ) -> Spreadsheet:
        """A spreadsheet with tabs `{title: rows}` (in order); the first tab gets gid 0,
        later ones random-looking gids, as Google gives them."""
        items = list(sheets.items()) if isinstance(sheets, dict) else list(sheets)
        if not items:
            raise ValueError("a spreadsheet has at least one tab")
        with self._lock:
            spreadsheet_id = spreadsheet_id or self._new_id()
            tabs = []
            for index, (tab_title, rows) in enumerate(items):
                sheet_id = 0 if index == 0 else self._new_sheet_id()
                tabs.append(Sheet(sheet_id, tab_title, [list(r) for r in rows], index=index))
            spreadsheet = Spreadsheet(
                spreadsheet_id,
                title,
                tabs,
                locale=locale,
                time_zone=time_zone,
                shared_with=set(shared_with),
                link_sharing=link_sharing,
                excel=excel,
            )
            self._spreadsheets[spreadsheet_id] = spreadsheet
            return spreadsheet

    def spreadsheet(self, spreadsheet_id: str) -> Spreadsheet:
        return self._spreadsheets[spreadsheet_id]

    def share(self, spreadsheet_id: str, email: str) -> None:
        with self._lock:
            self._spreadsheets[spreadsheet_id].shared_with.add(email)

    def unshare(self, spreadsheet_id: str, email: str) -> None:
        with self._lock:
            self._spreadsheets[spreadsheet_id].shared_with.discard(email)

    def set_rows(self, spreadsheet_id: str, tab: str | int, rows: list[list[Any]]) -> None:
        """Replace a tab's cells (what a person editing the sheet leaves)."""
        with self._lock:
            self._spreadsheets[spreadsheet_id].sheet(tab).rows = [list(r) for r in rows]

    def rename_sheet(self, spreadsheet_id: str, tab: str | int, title: str) -> None:
        with self._lock:
            self._spreadsheets[spreadsheet_id].sheet(tab).title = title

    def delete_spreadsheet(self, spreadsheet_id: str) -> None:
        with self._lock:
            del self._spreadsheets[spreadsheet_id]

    def _new_id(self) -> str:
        while True:
            value = "1" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(43))
            if value not in self._spreadsheets:
                return value

    def _new_sheet_id(self) -> int:
        self._next_sheet_id += 1
        digest = hashlib.sha256(f"{id(self)}:{self._next_sheet_id}".encode()).digest()
        return int.from_bytes(digest[:4], "big") % 2_000_000_000 + 1

    # ------------------------------------------------------------------ faults and counts
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
        reason: str | None = None,
    ) -> None:
        """The next `count` requests to `endpoint` (None: any API endpoint, not the token
        one), after `skip` of them, fail: `status` with Google's body (429 with Retry-After
        when given, 502 as an HTML proxy page), or a connection closed without an answer
        (`drop`). `delay` seconds pass first; `status=200` then answers normally. A 403 needs
        its `reason` (one of `_FAULTS_403`)."""
        if endpoint is not None and endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {ENDPOINTS}")
        if status == 403 and reason not in _FAULTS_403:
            raise ValueError(f"a 403 fault needs a reason, one of {sorted(_FAULTS_403)}")
        if not drop and status not in (200, 403, 502, *_FAULTS):
            raise ValueError(f"unsupported fault status {status}")
        with self._lock:
            self._faults.append(
                _Fault(endpoint, status, count, retry_after, delay, drop, skip, reason)
            )

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset_counts(self) -> None:
        with self._lock:
            self.request_counts.clear()
            self.request_log.clear()
            self.quota_refusals = 0

    @property
    def api_requests(self) -> int:
        return sum(n for name, n in self.request_counts.items() if name != "token")

    def _take_fault(self, endpoint: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                wanted = fault.endpoint or ("" if endpoint == "token" else endpoint)
                if wanted != endpoint:
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
                return fault
            return None

    # ------------------------------------------------------------------ routing
    def _route(self, method: str, raw_path: str) -> tuple[str, list[str]]:
        segments = [unquote(part) for part in raw_path.split("/")]
        if method == "POST" and segments == ["", "token"]:
            return "token", []
        if method != "GET" or segments[:3] != ["", "v4", "spreadsheets"] or len(segments) < 4:
            return "other", []
        spreadsheet_id = segments[3]
        rest = segments[4:]
        if not rest:
            return "spreadsheets.get", [spreadsheet_id]
        if rest == ["values:batchGet"]:
            return "values.batchGet", [spreadsheet_id]
        if rest[0] == "values" and len(rest) >= 2:
            return "values.get", [spreadsheet_id, "/".join(rest[1:])]
        return "other", []

    def _handle(
        self, endpoint: str, args: list[str], query: dict[str, list[str]], headers: Any, body: bytes
    ) -> tuple[int, bytes]:
        if endpoint == "token":
            return 200, _json(self._grant(body))
        if endpoint == "other":
            raise ApiError(404, "NOT_FOUND", "Method not found.")
        email = self._authenticate(headers)
        self._spend_quota(email)
        spreadsheet = self._readable(args[0], email)
        one = {k: v[-1] for k, v in query.items()}
        option = one.get("valueRenderOption", "FORMATTED_VALUE")
        dimension = one.get("majorDimension", "ROWS")
        if option not in ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"):
            raise _invalid_argument(
                f"Invalid value at 'value_render_option' (type.googleapis.com/"
                f'google.apps.sheets.v4.ValueRenderOption), "{option}"'
            )
        if dimension not in ("ROWS", "COLUMNS"):
            raise _invalid_argument(f"Invalid value at 'major_dimension', \"{dimension}\"")
        if endpoint == "spreadsheets.get":
            obj = self._spreadsheet_object(spreadsheet)
            if "fields" in one:
                try:
                    tree = _parse_mask(one["fields"])
                except ValueError:
                    raise _invalid_argument(f"Invalid field selection {one['fields']}") from None
                obj = _apply_mask(obj, tree)
            return 200, _json(obj)
        if endpoint == "values.get":
            return 200, _json(self._value_range(spreadsheet, args[1], option, dimension))
        ranges = query.get("ranges", [])
        return 200, _json(
            {
                "spreadsheetId": spreadsheet.spreadsheet_id,
                "valueRanges": [
                    self._value_range(spreadsheet, r, option, dimension) for r in ranges
                ],
            }
        )

    def _value_range(self, spreadsheet: Spreadsheet, text: str, option: str, dimension: str):
        with self._lock:
            area = parse_range(text, spreadsheet)
            values = values_of(area, option, dimension, spreadsheet.locale)
        answer: dict[str, Any] = {"range": area.a1(), "majorDimension": dimension}
        if values:
            answer["values"] = values
        return answer

    def _spreadsheet_object(self, spreadsheet: Spreadsheet) -> dict[str, Any]:
        with self._lock:
            sheets = []
            for sheet in sorted(spreadsheet.sheets, key=lambda s: s.index):
                rows, columns = sheet.grid
                grid: dict[str, int] = {"rowCount": rows, "columnCount": columns}
                if sheet.frozen_rows:
                    grid["frozenRowCount"] = sheet.frozen_rows
                sheets.append(
                    {
                        "properties": {
                            "sheetId": sheet.sheet_id,
                            "title": sheet.title,
                            "index": sheet.index,
                            "sheetType": "GRID",
                            "gridProperties": grid,
                        }
                    }
                )
            return {
                "spreadsheetId": spreadsheet.spreadsheet_id,
                "properties": {
                    "title": spreadsheet.title,
                    "locale": spreadsheet.locale,
                    "autoRecalc": "ON_CHANGE",
                    "timeZone": spreadsheet.time_zone,
                },
                "sheets": sheets,
                "spreadsheetUrl": spreadsheet.url,
            }

    # ------------------------------------------------------------------ auth
    def _grant(self, body: bytes) -> dict[str, Any]:
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        grant = form.get("grant_type", "")
        if grant != JWT_GRANT:
            raise _oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant}")
        claims = self._verify_assertion(form.get("assertion", ""))
        scopes = frozenset((claims.get("scope") or "").split())
        if not scopes:
            raise _oauth_error(
                "invalid_scope", "Invalid OAuth scope or ID token audience provided."
            )
        token = "ya29.c.emu-" + secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = _Token(claims["iss"], scopes, time.time() + TOKEN_LIFETIME)
        return {"access_token": token, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer"}

    def _verify_assertion(self, assertion: str) -> dict[str, Any]:
        bad_signature = _oauth_error("invalid_grant", "Invalid JWT Signature.")
        try:
            head64, claims64, signature64 = assertion.split(".")
            header = json.loads(_b64url_decode(head64))
            claims = json.loads(_b64url_decode(claims64))
            signature = _b64url_decode(signature64)
        except ValueError:
            raise _oauth_error("invalid_grant", "Invalid JWT: malformed assertion.") from None
        with self._lock:
            account = self._accounts.get(claims.get("iss", ""))
        if account is None:
            raise _oauth_error("invalid_grant", "Invalid grant: account not found")
        if header.get("alg") != "RS256" or account.revoked:
            raise bad_signature
        if header.get("kid") not in (None, account.key_id):
            raise bad_signature
        try:
            account.public_key.verify(
                signature,
                f"{head64}.{claims64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            raise bad_signature from None
        # google-auth signs for Google's token endpoint whatever the key's token_uri says.
        if claims.get("aud") not in (TOKEN_AUDIENCE, self.token_uri):
            raise _oauth_error(
                "invalid_grant",
                f"Invalid JWT: Failed audience check. The expected value was {TOKEN_AUDIENCE}",
            )
        now = time.time()
        iat, exp = claims.get("iat"), claims.get("exp")
        if (
            not isinstance(iat, int | float)
            or not isinstance(exp, int | float)
            or exp - iat > 3600
            or iat > now + 300
            or exp < now
        ):
            raise _oauth_error(
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                "reasonable timeframe. Check your iat and exp values in the JWT claim.",
            )
        return claims

    def _authenticate(self, headers: Any) -> str:
        auth = headers.get("Authorization") or ""
        unauthenticated = (
            "Request had invalid authentication credentials. Expected OAuth 2 access token, "
            "login cookie or other valid authentication credential. See "
            "https://developers.google.com/identity/sign-in/web/devconsole-project."
        )
        if not auth.startswith("Bearer "):
            raise ApiError(
                401,
                "UNAUTHENTICATED",
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call "
                "this API.",
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        with self._lock:
            held = self._tokens.get(auth[len("Bearer ") :])
        if held is None or held.expires < time.time():
            reason = "ACCESS_TOKEN_EXPIRED" if held is not None else "ACCESS_TOKEN_TYPE_UNSUPPORTED"
            raise ApiError(
                401,
                "UNAUTHENTICATED",
                unauthenticated,
                details=[_error_info(reason, {"service": "sheets.googleapis.com"})],
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        if not held.scopes & READ_SCOPES:
            raise ApiError(
                403,
                "PERMISSION_DENIED",
                "Request had insufficient authentication scopes.",
                details=[_error_info("ACCESS_TOKEN_SCOPE_INSUFFICIENT", {})],
            )
        with self._lock:
            account = self._accounts[held.email]
            disabled = account.project_id in self._disabled_projects
        if disabled:
            number = int(hashlib.sha256(account.project_id.encode()).hexdigest(), 16) % 10**12
            url = (
                "https://console.developers.google.com/apis/api/sheets.googleapis.com/"
                f"overview?project={number}"
            )
            raise ApiError(
                403,
                "PERMISSION_DENIED",
                f"Google Sheets API has not been used in project {number} before or it is "
                f"disabled. Enable it by visiting {url} then retry. If you enabled this API "
                "recently, wait a few minutes for the action to propagate to our systems and "
                "retry.",
                details=[
                    _error_info(
                        "SERVICE_DISABLED",
                        {
                            "service": "sheets.googleapis.com",
                            "consumer": f"projects/{number}",
                            "serviceTitle": "Google Sheets API",
                            "activationUrl": url,
                            "containerInfo": str(number),
                        },
                    ),
                    {
                        "@type": "type.googleapis.com/google.rpc.Help",
                        "links": [
                            {"description": "Google developers console API activation", "url": url}
                        ],
                    },
                ],
            )
        return held.email

    def _spend_quota(self, email: str) -> None:
        if not self.read_quota:
            return
        with self._lock:
            now = time.monotonic()
            reads = self._reads[email]
            while reads and reads[0] <= now - self.quota_window:
                reads.popleft()
            if len(reads) >= self.read_quota:
                self.quota_refusals += 1
                refused = True
            else:
                reads.append(now)
                refused = False
            project = self._accounts[email].project_id
        if refused:
            number = int(hashlib.sha256(project.encode()).hexdigest(), 16) % 10**12
            raise ApiError(
                429,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per "
                f"minute per user' of service 'sheets.googleapis.com' for consumer "
                f"'project_number:{number}'.",
                details=[
                    _error_info(
                        "RATE_LIMIT_EXCEEDED",
                        {
                            "service": "sheets.googleapis.com",
                            "consumer": f"projects/{number}",
                            "quota_metric": "sheets.googleapis.com/read_requests",
                            "quota_limit": "ReadRequestsPerMinutePerUser",
                            "quota_limit_value": str(self.read_quota),
                        },
                    )
                ],
            )

    def _readable(self, spreadsheet_id: str, email: str) -> Spreadsheet:
        with self._lock:
            spreadsheet = self._spreadsheets.get(spreadsheet_id)
            allowed = spreadsheet is not None and (
                spreadsheet.link_sharing or email in spreadsheet.shared_with
            )
        if spreadsheet is None:
            raise ApiError(404, "NOT_FOUND", "Requested entity was not found.")
        if not allowed:
            raise ApiError(403, "PERMISSION_DENIED", "The caller does not have permission")
        if spreadsheet.excel:
            raise ApiError(
                400,
                "FAILED_PRECONDITION",
                "This operation is not supported for this document",
            )
        return spreadsheet


def _error_info(reason: str, metadata: dict[str, str]) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": metadata,
    }


# --------------------------------------------------------------------------- HTTP server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    emulator: GoogleSheetsEmulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out or drop connections are expected here


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ESF"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 120
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.emulator._lock:
            self.server.emulator._connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            with self.server.emulator._lock:
                self.server.emulator._connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        emu = self.server.emulator
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        split = urlsplit(self.path)
        endpoint, args = emu._route(method, split.path)
        query = parse_qs(split.query, keep_blank_values=True)
        with emu._lock:
            emu.request_counts[endpoint] += 1
            emu.request_log.append((endpoint, unquote(split.path), query))
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
                self._send(502, _BAD_GATEWAY_HTML, {}, "text/html; charset=UTF-8")
                return
            if fault.status == 403:
                message = _FAULTS_403[fault.reason]
                errors = [{"message": message, "domain": "usageLimits", "reason": fault.reason}]
                if fault.reason == "accessNotConfigured":
                    errors[0]["extendedHelp"] = message.split("visiting ")[1].split(" ")[0]
                self._send_error(ApiError(403, "PERMISSION_DENIED", message, errors=errors))
                return
            if fault.status != 200:
                code, message = _FAULTS[fault.status]
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = f"{fault.retry_after:g}"
                self._send_error(ApiError(fault.status, code, message, headers=headers))
                return
        try:
            status, payload = emu._handle(endpoint, args, query, self.headers, body)
        except ApiError as error:
            self._send_error(error)
            return
        except Exception as error:  # an emulator bug: answer like Google, keep it visible
            log.exception("google sheets emulator failed on %s %s", method, self.path)
            emu.errors.append(error)
            self._send_error(ApiError(500, "INTERNAL", f"Emulator error: {error!r}"))
            return
        self._send(status, payload, {})

    def _send_error(self, error: ApiError) -> None:
        self._send(error.status, error.body(), error.headers)

    def _send(
        self, status: int, body: bytes, headers: dict[str, str], content_type: str = ""
    ) -> None:
        lines = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}",
            f"Content-Type: {content_type or 'application/json; charset=UTF-8'}",
            f"Content-Length: {len(body)}",
            f"Date: {dt.datetime.now(dt.UTC).strftime('%a, %d %b %Y %H:%M:%S GMT')}",
            "Vary: Origin, X-Origin, Referer",
        ]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head + body)
        except OSError:
            self.close_connection = True
