"""Access to Notion: notion-client with a throttle, bounded retries and complete pagination.

notion-client alone retries a 429 twice and a 5xx only on GET; a query is a POST, and 502,
504, 529, timeouts and dropped connections are never retried. We switch its retries off and
apply one policy to every call. Its helpers also drop `request_status`, so a query cut at
10,000 results would look complete: we page ourselves and continue in windows.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import orjson
from django.utils.translation import gettext as _
from notion_client import Client
from notion_client.errors import HTTPResponseError, RequestTimeoutError

from integrations.notion.errors import (
    NotionAccessError,
    NotionError,
    NotionNotFound,
    NotionUnavailable,
    unavailable_message,
)
from integrations.notion.ratelimit import SharedRateLimit
from integrations.notion.windows import WindowPlan, Windows, WindowStopped

logger = logging.getLogger(__name__)
_sdk_logger = logging.getLogger("integrations.notion.sdk")

PAGE_SIZE = 100
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504, 529})


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter: uniform in [d/2, d], d = base * 2^attempt."""
        delay = min(self.base_delay * (2**attempt), self.max_delay)
        return delay / 2 + random.random() * delay / 2


def _retry_after_seconds(headers: httpx.Headers | None) -> float | None:
    value = (headers or {}).get("retry-after")
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


def _describe(exc: Exception) -> str:
    """A short human reason for a failed request."""
    if isinstance(exc, HTTPResponseError):
        if exc.status == 429:
            return _("Notion asks us to slow down (429 rate limited)")
        if exc.status == 529 or exc.code == "service_overload":
            return _("Notion is overloaded (529)")
        if exc.status >= 500:
            return _("Notion answered with a server error (%(status)s)") % {"status": exc.status}
        return f"{exc.status} {exc.code}: {exc}"
    if isinstance(exc, RequestTimeoutError):
        return _("Notion did not answer in time")
    if isinstance(exc, httpx.TransportError):
        return _("the connection to Notion failed (%(error)s)") % {"error": type(exc).__name__}
    return str(exc)


class _FastJSONClient(Client):
    """notion-client parsing answers with orjson: a query answer of 100 pages is ~220 KB of
    JSON, and the stdlib parser was a fifth of a sync's CPU time (docs/PERFORMANCE.md).
    Errors still go through the SDK's own parsing, so its error types are unchanged."""

    def _parse_response(self, response: httpx.Response) -> Any:
        if response.is_success:
            try:
                return orjson.loads(response.content)
            except orjson.JSONDecodeError:
                pass
        return super()._parse_response(response)


class NotionGateway:
    """The one way this service talks to Notion. Thread-safe; counts every request.

    Every request first waits for its slot in the integration's shared rate limit (the
    limit is Notion's, per token, for all processes together)."""

    def __init__(
        self,
        *,
        token: str,
        base_url: str,
        limiter: SharedRateLimit | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = _FastJSONClient(
            auth=token,
            base_url=base_url.rstrip("/"),
            timeout_ms=int(timeout * 1000),
            retry=False,
            logger=_sdk_logger,
            log_level=logging.CRITICAL,
        )
        self.limiter = limiter
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._lock = threading.Lock()
        self.requests = 0
        self.retries = 0

    def close(self) -> None:
        self.client.close()

    # -- one call, with the retry policy ------------------------------------------------
    def _call(
        self,
        what: str,
        fn: Callable[..., Any],
        *,
        stop: threading.Event | None = None,
        **kwargs: Any,
    ) -> Any:
        """`fn(**kwargs)` under the rate limit and the retry policy. `stop`: the event of the
        window asking (windows.py); once set, a retry's wait ends and nothing more is sent."""
        attempt = 0
        while True:
            if self.limiter is not None:
                self.limiter.wait()
            if stop is not None and stop.is_set():
                raise WindowStopped
            with self._lock:
                self.requests += 1
            try:
                return fn(**kwargs)
            except (HTTPResponseError, RequestTimeoutError, httpx.TransportError) as exc:
                status = getattr(exc, "status", None)
                retryable = not isinstance(exc, HTTPResponseError) or status in RETRYABLE_STATUSES
                if not retryable:
                    raise self._refusal(what, exc) from exc
                if attempt >= self.retry.max_retries:
                    raise NotionUnavailable(
                        unavailable_message(_describe(exc), attempt + 1)
                    ) from exc
                delay = None
                if status == 429:
                    delay = _retry_after_seconds(getattr(exc, "headers", None))
                    if delay is not None:
                        # Honour Notion's wait, within reason: retrying earlier only earns
                        # another 429.
                        delay = min(delay, self.retry.max_delay * 5)
                        if self.limiter is not None:
                            self.limiter.hold(delay)
                if delay is None:
                    delay = self.retry.backoff(attempt)
                logger.warning(
                    "Notion %s failed (%s); retry %d/%d in %.1fs",
                    what,
                    _describe(exc),
                    attempt + 1,
                    self.retry.max_retries,
                    delay,
                )
                with self._lock:
                    self.retries += 1
                if stop is None:
                    self._sleep(delay)
                elif stop.wait(delay):  # the run ended meanwhile: send nothing more
                    raise WindowStopped from exc
                attempt += 1

    @staticmethod
    def _refusal(what: str, exc: HTTPResponseError) -> NotionError:
        if exc.status == 401:
            return NotionAccessError(
                _("Notion rejected the token: check NOTION_TOKEN (%(detail)s).") % {"detail": exc}
            )
        if exc.status in (403, 404):
            return NotionNotFound(
                _(
                    "Notion cannot find or open %(what)s: make sure the database is shared "
                    "with the integration (%(detail)s)."
                )
                % {"what": what, "detail": exc}
            )
        return NotionAccessError(
            _("Notion refused the request %(what)s: %(status)s %(detail)s")
            % {"what": what, "status": exc.status, "detail": exc}
        )

    # -- endpoints -----------------------------------------------------------------------
    def retrieve_database(self, database_id: str) -> dict:
        return self._call(
            _("database %(id)s") % {"id": database_id},
            self.client.databases.retrieve,
            database_id=database_id,
        )

    def retrieve_data_source(self, data_source_id: str) -> dict:
        return self._call(
            _("data source %(id)s") % {"id": data_source_id},
            self.client.data_sources.retrieve,
            data_source_id=data_source_id,
        )

    def retrieve_page(self, page_id: str) -> dict:
        return self._call(
            _("page %(id)s") % {"id": page_id}, self.client.pages.retrieve, page_id=page_id
        )

    def query(
        self, data_source_id: str, *, stop: threading.Event | None = None, **body: Any
    ) -> dict:
        return self._call(
            _("query of %(id)s") % {"id": data_source_id},
            self.client.data_sources.query,
            stop=stop,
            data_source_id=data_source_id,
            **body,
        )

    def resolve_data_source(self, database_id: str) -> str:
        """The id of the database's (first) data source, per Notion-Version 2025-09-03."""
        database = self.retrieve_database(database_id)
        sources = database.get("data_sources") or []
        if not sources:
            raise NotionAccessError(
                _("The Notion database %(id)s has no data source the integration can read.")
                % {"id": database_id}
            )
        return sources[0]["id"]

    def property_items(self, page_id: str, property_id: str) -> Iterator[dict]:
        """Every item of a paginated page property (relations and people over 25 items)."""
        cursor = None
        while True:
            params: dict[str, Any] = {"page_size": PAGE_SIZE}
            if cursor:
                params["start_cursor"] = cursor
            response = self._call(
                _("property %(prop)s of page %(page)s") % {"prop": property_id, "page": page_id},
                self.client.pages.properties.retrieve,
                page_id=page_id,
                property_id=property_id,
                **params,
            )
            if response.get("object") != "list":
                yield response
                return
            yield from response.get("results", [])
            cursor = response.get("next_cursor")
            if not response.get("has_more") or not cursor:
                return

    def iter_pages(self, data_source_id: str, **kwargs: Any) -> Iterator[dict]:
        """Every page of a data source, one at a time (see `iter_page_batches`)."""
        for pages in self.iter_page_batches(data_source_id, **kwargs):
            yield from pages

    def iter_page_batches(
        self,
        data_source_id: str,
        *,
        window: str = "created_time",
        since: datetime | None = None,
        plan: WindowPlan | None = None,
    ) -> Iterator[list[dict]]:
        """Every page of a data source, a query answer at a time (Notion leaves trashed
        pages out).

        Sorted by `window` ascending; when a query stops at Notion's 10,000-result cap
        (`request_status.type == "incomplete"`) a new query continues from the last
        timestamp seen, skipping the pages of that minute we already have. With a `plan`
        (windows.py) disjoint `created_time` windows are paged at once, by threads, into
        one stream of answers.
        """

        def page_window(**kwargs: Any) -> Iterator[list[dict]]:
            return self._window_batches(data_source_id, order=window, since=since, **kwargs)

        if plan is None or not plan.concurrent:
            yield from page_window()
            return
        yield from Windows(page_window=page_window, plan=plan)

    def _window_batches(
        self,
        data_source_id: str,
        *,
        order: str,
        since: datetime | None,
        lo: datetime | None = None,
        hi: datetime | None = None,
        after: datetime | None = None,
        boundary: frozenset[str] = frozenset(),
        stop: threading.Event | None = None,
        split: Callable[..., bool] | None = None,
    ) -> Iterator[list[dict]]:
        """The pages of one window, `created_time` in [lo, hi) (None: open) and `order` on
        or after `since` and `after`, sorted by `order`, continuing past the result cap.
        After each answer with more to come, `split` may take the rest of the window over
        (windows.py): then this one stops."""
        by_created = order == "created_time"
        lower = max((t for t in (since, after) if t is not None), default=None)
        if by_created and lo is not None:
            lower = lo if lower is None else max(lower, lo)
        boundary = set(boundary)
        first_answer = split is not None
        while True:
            last_ts: str | None = None
            last_ids: set[str] = set()
            fresh = 0
            cursor = None
            body: dict[str, Any] = {
                "sorts": [{"timestamp": order, "direction": "ascending"}],
                "page_size": PAGE_SIZE,
                "result_type": "page",
            }
            conditions = []
            if lower is not None:
                conditions.append({"timestamp": order, order: {"on_or_after": lower.isoformat()}})
            if lo is not None and not by_created:
                conditions.append(
                    {"timestamp": "created_time", "created_time": {"on_or_after": lo.isoformat()}}
                )
            if hi is not None:
                conditions.append(
                    {"timestamp": "created_time", "created_time": {"before": hi.isoformat()}}
                )
            if len(conditions) == 1:
                body["filter"] = conditions[0]
            elif conditions:
                body["filter"] = {"and": conditions}
            while True:
                if stop is not None and stop.is_set():
                    return
                if cursor:
                    body["start_cursor"] = cursor
                response = self.query(data_source_id, stop=stop, **body)
                # Keep only what paging needs: a suspended window must not hold an answer
                # the sync has finished with (memory stays flat with many windows).
                results = response.pop("results", None) or []
                pages = []
                first_ts: str | None = None
                for page in results:
                    if page.get("object") != "page" or page["id"] in boundary:
                        continue
                    ts = page.get(order)
                    if first_ts is None:
                        first_ts = ts
                    if ts != last_ts:
                        last_ts, last_ids = ts, set()
                    last_ids.add(page["id"])
                    pages.append(page)
                fresh += len(pages)
                count = len(pages)
                del results
                if pages:
                    yield pages
                    del pages
                cursor = response.get("next_cursor")
                if not response.get("has_more") or not cursor:
                    break
                if (
                    split is not None
                    and first_ts
                    and last_ts
                    and split(
                        lo=lo,
                        hi=hi,
                        first=_parse_ts(first_ts),
                        last=_parse_ts(last_ts),
                        last_ids=frozenset(last_ids | boundary),
                        count=count,
                        first_answer=first_answer,
                    )
                ):
                    return
                first_answer = False
            status = response.get("request_status") or {}
            if status.get("type") != "incomplete":
                return
            logger.info(
                "Notion query of %s hit the result cap (%s); continuing from %s",
                data_source_id,
                status.get("incomplete_reason"),
                last_ts,
            )
            new_lower = _parse_ts(last_ts) if last_ts else None
            if (
                not fresh
                or new_lower is None
                or (lower is not None and new_lower <= lower and last_ids <= boundary)
            ):
                raise NotionError(
                    _(
                        "Notion stopped the query at its result limit and the rest cannot be "
                        "reached: more than 10,000 pages share the same %(field)s minute."
                    )
                    % {"field": order}
                )
            if new_lower == lower:
                boundary |= last_ids
            else:
                boundary = last_ids
            lower = new_lower


def _parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
