"""Reading Google Sheets: the Sheets API v4 read side over google-auth's authorised session.

Not gspread (no maintainer; `get_all_records` turns phone numbers into ints and throws on
duplicate or blank headers) and not google-api-python-client (maintenance mode, ~50 MB of
discovery documents): three GET endpoints do not need them. google-auth signs the service
account's JWT, gets and refreshes the access token at the key's `token_uri`, and
`AuthorizedSession` (a `requests.Session`) sends it with every request.

The retry policy is the Notion client's: 429 and 5xx, timeouts and dropped connections (and
a 403 whose reason is a rate limit, `rateLimitExceeded`) are retried with bounded
exponential backoff (Retry-After honoured when Google sends one; Sheets usually does not, so
the backoff grows to a minute, the quota's window). Every request first takes its slot in
the service account's shared rate limit (Google counts 60 reads a minute per user, every
process together). Every HTTP request, token requests included, is counted. Cells are read
as the text a person sees (`FORMATTED_VALUE`): phone numbers stay text and dates stay dates
as written."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import requests
from django.utils.translation import gettext as _
from google.auth import exceptions as auth_exceptions
from google.auth.transport.requests import AuthorizedSession
from google.auth.transport.requests import Request as AuthRequest
from requests.adapters import HTTPAdapter

from integrations.notion.client import RetryPolicy
from integrations.notion.ratelimit import SharedRateLimit
from integrations.sheets.errors import (
    SheetsAccessDenied,
    SheetsAuthError,
    SheetsBadRange,
    SheetsError,
    SheetsNotASpreadsheet,
    SheetsNotFound,
    SheetsServiceDisabled,
    SheetsUnavailable,
    unavailable_message,
)

logger = logging.getLogger(__name__)

SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly"
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# 403s that are a rate limit, not a refusal (`error.errors[].reason` in the older shape,
# `error.details[].reason` of an ErrorInfo in the newer one): waited out like a 429.
RATE_LIMIT_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "RATE_LIMIT_EXCEEDED"}
)
# 403s that say the Sheets API is off in the service account's project.
SERVICE_DISABLED_REASONS = frozenset({"SERVICE_DISABLED", "accessNotConfigured"})
_NETWORK_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)
# What spreadsheets.get returns: the title and the tabs, no cell data.
SPREADSHEET_FIELDS = "spreadsheetId,properties(title,locale,timeZone),sheets(properties)"


def quote_title(title: str) -> str:
    """A tab title as an A1 range for the whole tab: `'Ответы на форму (1)'`."""
    return "'" + title.replace("'", "''") + "'"


class _CountingAdapter(HTTPAdapter):
    """Counts every HTTP request a session sends, including the ones google-auth sends on its
    own (a token refresh, the retry after a 401)."""

    def __init__(self, count: Callable[[], None]) -> None:
        super().__init__()
        self._count = count

    def send(self, request, **kwargs):
        self._count()
        return super().send(request, **kwargs)


def _counted_session(count: Callable[[], None]) -> requests.Session:
    session = requests.Session()
    _mount(session, count)
    return session


def _mount(session: requests.Session, count: Callable[[], None]) -> None:
    adapter = _CountingAdapter(count)
    session.mount("https://", adapter)
    session.mount("http://", adapter)


class SheetsClient:
    """The one way this service reads Google Sheets. Thread-safe; counts every request."""

    def __init__(
        self,
        *,
        credentials: Any,
        base_url: str,
        service_account_email: str = "",
        limiter: SharedRateLimit | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.service_account_email = service_account_email
        self.limiter = limiter
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._lock = threading.Lock()
        self.requests = 0  # every HTTP request: Sheets API and token endpoint
        self.api_requests = 0
        self.token_requests = 0
        self.retries = 0
        # Token requests go through a session of their own, so they are told apart.
        self._token_session = _counted_session(lambda: self._count(token=True))
        self.session = AuthorizedSession(credentials, auth_request=AuthRequest(self._token_session))
        _mount(self.session, self._count)

    def close(self) -> None:
        self.session.close()
        self._token_session.close()

    def _count(self, *, token: bool = False) -> None:
        with self._lock:
            self.requests += 1
            if token:
                self.token_requests += 1
            else:
                self.api_requests += 1

    # -- endpoints -----------------------------------------------------------------------
    def spreadsheet(self, spreadsheet_id: str) -> dict:
        """`spreadsheets.get`: the title and the tabs (`sheets[].properties`), no cells."""
        return self._get(
            spreadsheet_id,
            f"/v4/spreadsheets/{quote(spreadsheet_id, safe='')}",
            {"includeGridData": "false", "fields": SPREADSHEET_FIELDS},
        )

    def values(self, spreadsheet_id: str, a1_range: str) -> list[list[str]]:
        """`values.get` of one range, as rows of text (trailing empty cells and rows are
        left out by Google; an empty range has no rows)."""
        answer = self._get(
            spreadsheet_id,
            f"/v4/spreadsheets/{quote(spreadsheet_id, safe='')}/values/{quote(a1_range, safe='')}",
            {"valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS"},
        )
        return answer.get("values", [])

    def batch_values(self, spreadsheet_id: str, ranges: list[str]) -> list[list[list[str]]]:
        """`values:batchGet` of several ranges in one request, in the order asked."""
        answer = self._get(
            spreadsheet_id,
            f"/v4/spreadsheets/{quote(spreadsheet_id, safe='')}/values:batchGet",
            [
                ("valueRenderOption", "FORMATTED_VALUE"),
                ("majorDimension", "ROWS"),
                *(("ranges", r) for r in ranges),
            ],
        )
        return [vr.get("values", []) for vr in answer.get("valueRanges", [])]

    # -- one request, with the retry policy ----------------------------------------------
    def _get(self, spreadsheet_id: str, path: str, params: Any) -> dict:
        url = self.base_url + path
        attempt = 0
        while True:
            if self.limiter is not None:
                self.limiter.wait()
            failure: str
            throttled, retry_after = False, None
            try:
                response = self.session.request("GET", url, params=params, timeout=self.timeout)
            except auth_exceptions.RefreshError as exc:
                if not getattr(exc, "retryable", False):
                    raise SheetsAuthError(_token_refused(exc)) from exc
                failure = _("Google's sign-in service is failing (%(error)s)") % {"error": exc}
            except (auth_exceptions.TransportError, *_NETWORK_ERRORS) as exc:
                failure = _("the connection to Google failed (%(error)s)") % {
                    "error": type(exc.__cause__ or exc).__name__
                }
            except requests.RequestException as exc:  # a bad URL: retrying will not help
                raise SheetsError(
                    _("Cannot reach Google Sheets at %(url)s (%(error)s): check %(setting)s.")
                    % {"url": self.base_url, "error": exc, "setting": "GOOGLE_SHEETS_API_BASE_URL"}
                ) from exc
            else:
                if response.status_code == 200:
                    try:
                        return response.json()
                    except ValueError:
                        failure = _("Google answered with something that is not JSON")
                elif response.status_code in RETRYABLE_STATUSES or _rate_limited(response):
                    failure = _describe_status(response)
                    if response.status_code in (403, 429):
                        throttled = True
                        retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
                else:
                    raise self._refusal(spreadsheet_id, response)
            if attempt >= self.retry.max_retries:
                raise SheetsUnavailable(unavailable_message(failure, attempt + 1))
            delay = (
                min(retry_after, self.retry.max_delay * 5)
                if retry_after is not None
                else self.retry.backoff(attempt)
            )
            if throttled and self.limiter is not None:
                # The quota is per service account: every process backs off, not just us.
                self.limiter.hold(delay)
            logger.warning(
                "Google Sheets request failed (%s); retry %d/%d in %.1fs",
                failure,
                attempt + 1,
                self.retry.max_retries,
                delay,
            )
            with self._lock:
                self.retries += 1
            self._sleep(delay)
            attempt += 1

    def _refusal(self, spreadsheet_id: str, response: requests.Response) -> SheetsError:
        error = _error_body(response)
        status, message = error.get("status", ""), error.get("message", "")
        reasons = _reasons(error)
        code = response.status_code
        if code == 400 and status == "FAILED_PRECONDITION":
            return SheetsNotASpreadsheet()
        if code == 400 and "range" in message.lower():
            return SheetsBadRange(message)
        if code == 401:
            return SheetsAuthError(
                _("Google did not accept the service account's access (%(message)s).")
                % {"message": message or code}
            )
        if code == 403 and reasons & SERVICE_DISABLED_REASONS:
            return SheetsServiceDisabled(activation_url=_activation_url(error))
        if code == 403:
            return SheetsAccessDenied(email=self.service_account_email)
        if code == 404:
            return SheetsNotFound(spreadsheet_id=spreadsheet_id)
        return SheetsError(
            _("Google Sheets refused the request: %(code)s %(status)s %(message)s")
            % {"code": code, "status": status, "message": message}
        )


def _error_body(response: requests.Response) -> dict:
    """`{"error": {"code", "message", "status", "details"}}`, or what can be made of it."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    return error if isinstance(error, dict) else {"message": response.text[:200]}


def _reasons(error: dict) -> set[str]:
    """Every reason Google gave: `details[].reason` (ErrorInfo) and `errors[].reason`."""
    found = set()
    for key in ("details", "errors"):
        items = error.get(key)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("reason"), str):
                found.add(item["reason"])
    return found


def _rate_limited(response: requests.Response) -> bool:
    return response.status_code == 403 and bool(
        _reasons(_error_body(response)) & RATE_LIMIT_REASONS
    )


def _describe_status(response: requests.Response) -> str:
    if response.status_code == 403:
        reason = sorted(_reasons(_error_body(response)) & RATE_LIMIT_REASONS)[0]
        return _("Google asks us to slow down (403 %(reason)s: a rate limit)") % {"reason": reason}
    if response.status_code == 429:
        return _("Google asks us to slow down (429, read quota exhausted)")
    return _("Google answered with a server error (%(status)s)") % {"status": response.status_code}


def _activation_url(error: dict) -> str:
    for detail in error.get("details", []):
        if not isinstance(detail, dict):
            continue
        url = (detail.get("metadata") or {}).get("activationUrl")
        if url:
            return url
        for link in detail.get("links", []) or []:
            if isinstance(link, dict) and link.get("url"):
                return link["url"]
    for item in error.get("errors", []) if isinstance(error.get("errors"), list) else []:
        if isinstance(item, dict) and item.get("extendedHelp"):
            return item["extendedHelp"]
    return ""


def _token_refused(exc: auth_exceptions.RefreshError) -> str:
    return _(
        "Google refused the service account key (%(error)s): the key may have been deleted, "
        "or this machine's clock is wrong. Make a new key and set GOOGLE_SERVICE_ACCOUNT_FILE."
    ) % {"error": str(exc.args[0]) if exc.args else exc}


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None
