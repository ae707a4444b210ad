"""Notion's integration webhooks, delivered from the Notion emulator to a URL (stdlib only).

``WebhookSubscription(emulator, url, token=…)`` listens to the emulator's changes
(``NotionEmulator.on_change``) and POSTs them as Notion does (developers.notion.com,
"Event types & delivery"; checked in NOTES.md):

* the envelope ``id, timestamp, workspace_id, workspace_name, subscription_id,
  integration_id, type, authors[], attempt_number, api_version, entity{id,type},
  data{parent{id,type,data_source_id}, updated_properties[]}``; events carry no content;
* ``X-Notion-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed by the token>``;
* aggregation: ``page.properties_updated`` and ``page.content_updated`` of one page within
  ``delay`` seconds become one event (the union of ``updated_properties``); every event is
  delivered ``delay`` seconds after its (last) change;
* retries: a non-2xx answer or a failed connection is retried with backoff
  (``retry_delays``), at most 8 attempts, ``attempt_number`` counting them;
* ``send_verification()`` POSTs the subscription's handshake ``{"verification_token": …}``.

Faults for tests: ``duplicate(n)`` delivers the next n events twice, ``drop(n)`` loses them,
``reorder(n)`` delivers the next n events in reverse order, ``bad_signature(n)`` /
``unsigned(n)`` sign them wrongly or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

AGGREGATED = frozenset({"page.properties_updated", "page.content_updated"})
MAX_ATTEMPTS = 8
WORKSPACE_ID = "3f0c7d1e-5b2a-4c8d-9e6f-1a2b3c4d5e6f"
PERSON_ID = "6d1f2b3c-4a5e-4f60-8b7c-9d0e1f2a3b4c"


def sign(body: bytes, token: str) -> str:
    return "sha256=" + hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class _Pending:
    type: str
    entity: dict[str, Any]
    data: dict[str, Any]
    first_at: float
    last_at: float
    updated: list[str] = field(default_factory=list)


@dataclass
class _Delivery:
    event: dict[str, Any]
    due: float
    attempt: int = 1
    signature: str = "ok"  # ok | bad | none


@dataclass(frozen=True)
class Delivered:
    event_id: str
    type: str
    entity_id: str
    attempt: int
    status: int  # HTTP status, 0 for a failed connection


class WebhookSubscription:
    def __init__(
        self,
        emulator: Any,
        url: str,
        *,
        token: str = "secret_webhook_verification_token",
        delay: float = 0.3,
        retry_delays: Iterable[float] = (0.2, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0),
        event_types: Iterable[str] | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.emulator = emulator
        self.url = url
        self.token = token
        self.delay = delay
        self.retry_delays = list(retry_delays)
        self.event_types = frozenset(event_types) if event_types else None
        self.timeout = timeout
        self.subscription_id = str(uuid.uuid4())
        self.integration_id = str(uuid.uuid4())
        self.delivered: list[Delivered] = []
        self._pending: dict[tuple[str, Any], _Pending] = {}
        self._numbers = itertools.count()
        self._queue: list[_Delivery] = []
        self._faults: dict[str, int] = {}
        self._in_flight = 0
        self._cond = threading.Condition()
        self._stop = False
        self._unlisten = None
        self._thread = threading.Thread(target=self._run, name="notion-webhooks", daemon=True)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> WebhookSubscription:
        self._unlisten = self.emulator.on_change(self._on_change)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join(timeout=10)

    def __enter__(self) -> WebhookSubscription:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ faults
    def duplicate(self, count: int = 1) -> None:
        self._fault("duplicate", count)

    def drop(self, count: int = 1) -> None:
        self._fault("drop", count)

    def reorder(self, count: int = 2) -> None:
        self._fault("reorder", count)

    def bad_signature(self, count: int = 1) -> None:
        self._fault("bad_signature", count)

    def unsigned(self, count: int = 1) -> None:
        self._fault("unsigned", count)

    def _fault(self, name: str, count: int) -> None:
        with self._cond:
            self._faults[name] = self._faults.get(name, 0) + count

    def _take_fault(self, name: str) -> bool:
        if self._faults.get(name, 0) > 0:
            self._faults[name] -= 1
            return True
        return False

    # ------------------------------------------------------------------ the handshake
    def send_verification(self, token: str | None = None) -> int:
        """POST the subscription's handshake body; returns the HTTP status."""
        body = json.dumps({"verification_token": token or self.token}).encode()
        return self._post(body, signature=None)

    # ------------------------------------------------------------------ waiting
    def wait_idle(self, timeout: float = 30.0) -> None:
        """Until every change so far has been delivered and answered (or given up)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._queue or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"webhooks not delivered within {timeout:g}s")
                self._cond.wait(min(left, 0.05))

    # ------------------------------------------------------------------ internals
    def _on_change(self, event_type: str, entity: dict[str, Any], data: dict[str, Any]) -> None:
        if self.event_types is not None and event_type not in self.event_types:
            return
        now = time.monotonic()
        with self._cond:
            aggregated = event_type in AGGREGATED
            key = (entity["id"], event_type if aggregated else next(self._numbers))
            pending = self._pending.get(key)
            if pending is None:
                pending = _Pending(event_type, dict(entity), dict(data), now, now)
                self._pending[key] = pending
            pending.last_at = now
            for prop in data.get("updated_properties") or []:
                if prop not in pending.updated:
                    pending.updated.append(prop)
            self._cond.notify_all()

    def _envelope(self, pending: _Pending) -> dict[str, Any]:
        data = {k: v for k, v in pending.data.items() if k != "updated_properties"}
        if pending.type in AGGREGATED:
            data["updated_properties"] = list(pending.updated)
        moment = dt.datetime.now(dt.UTC)
        return {
            "id": str(uuid.uuid4()),
            "timestamp": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "workspace_id": WORKSPACE_ID,
            "workspace_name": "Организация",
            "subscription_id": self.subscription_id,
            "integration_id": self.integration_id,
            "type": pending.type,
            "authors": [{"id": PERSON_ID, "type": "person"}],
            "attempt_number": 1,
            "api_version": "2025-09-03",
            "entity": pending.entity,
            "data": data,
        }

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stop:
                    return
                now = time.monotonic()
                # Delivered `delay` after the last change, or 5 x `delay` after the first one
                # for a page edited without pause.
                due = [
                    k
                    for k, p in self._pending.items()
                    if now - p.last_at >= self.delay or now - p.first_at >= 5 * self.delay
                ]
                batch = []
                for key in sorted(due, key=lambda k: self._pending[k].first_at):
                    batch.append(self._envelope(self._pending.pop(key)))
                self._schedule(batch, now)
                ready = [d for d in self._queue if d.due <= now]
                for delivery in ready:
                    self._queue.remove(delivery)
                self._in_flight += len(ready)
                if not ready:
                    self._cond.wait(0.02)
                    continue
            for delivery in ready:
                self._deliver(delivery)

    def _schedule(self, events: list[dict[str, Any]], now: float) -> None:
        """Faults are decided here, in the order events become due."""
        if events and self._take_fault("reorder"):
            events.reverse()
        for event in events:
            if self._take_fault("drop"):
                continue
            signature = "ok"
            if self._take_fault("bad_signature"):
                signature = "bad"
            elif self._take_fault("unsigned"):
                signature = "none"
            self._queue.append(_Delivery(event, now, signature=signature))
            if self._take_fault("duplicate"):
                self._queue.append(_Delivery(dict(event), now, signature=signature))

    def _deliver(self, delivery: _Delivery) -> None:
        event = {**delivery.event, "attempt_number": delivery.attempt}
        body = json.dumps(event, ensure_ascii=False).encode()
        if delivery.signature == "ok":
            signature = sign(body, self.token)
        elif delivery.signature == "bad":
            signature = sign(body, self.token + "-forged")
        else:
            signature = None
        status = self._post(body, signature=signature)
        with self._cond:
            self._in_flight -= 1
            self.delivered.append(
                Delivered(
                    event["id"], event["type"], event["entity"]["id"], delivery.attempt, status
                )
            )
            if not 200 <= status < 300 and delivery.attempt < MAX_ATTEMPTS:
                wait = self.retry_delays[min(delivery.attempt - 1, len(self.retry_delays) - 1)]
                delivery.attempt += 1
                delivery.due = time.monotonic() + wait
                self._queue.append(delivery)
            self._cond.notify_all()

    def _post(self, body: bytes, *, signature: str | None) -> int:
        headers = {"Content-Type": "application/json", "User-Agent": "notion-api"}
        if signature is not None:
            headers["X-Notion-Signature"] = signature
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return answer.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError as exc:
            log.info("webhook delivery to %s failed: %s", self.url, exc)
            return 0
