"""Write-side operations of the Notion webhook: handshakes, the key, received events, and
asking for the refresh runs that apply them (see the package docstring for the flow)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.models import (
    ACTIVE_STATUSES,
    NotionWebhookEvent,
    NotionWebhookHandshake,
    SyncRun,
    WebhookTally,
)
from integrations.notion.sources import notion_source_forget, notion_source_kind
from integrations.runs import lifecycle
from integrations.runs.queue import sync_runs_enqueue
from integrations.sync import registry

logger = logging.getLogger(__name__)
Event = NotionWebhookEvent

#: events that name a page of a data source: the page is re-read
PAGE_EVENTS = frozenset(
    {
        "page.created",
        "page.properties_updated",
        "page.content_updated",
        "page.deleted",
        "page.undeleted",
        "page.moved",
    }
)
#: events about a data source itself: its schema is checked again
SCHEMA_EVENTS = frozenset({"data_source.schema_updated", "data_source.deleted"})
#: events that say "something in this data source changed": what changed since is re-read
CONTENT_EVENTS = frozenset({"data_source.content_updated"})
#: unconfirmed handshakes kept (anyone can send one: the table must not grow without end)
HANDSHAKES_KEPT = 20


# --- the key --------------------------------------------------------------------------


def webhook_key() -> str:
    """The key that verifies events: the setting, else the last confirmed handshake."""
    if settings.NOTION_WEBHOOK_VERIFICATION_TOKEN:
        return settings.NOTION_WEBHOOK_VERIFICATION_TOKEN
    confirmed = (
        NotionWebhookHandshake.objects.exclude(confirmed_at=None).order_by("-confirmed_at").first()
    )
    return confirmed.token if confirmed else ""


def webhook_handshake_record(*, token: str, remote_addr: str) -> NotionWebhookHandshake:
    """Keep a handshake for a superuser to confirm; it changes nothing by itself."""
    now = timezone.now()
    handshake, _created = NotionWebhookHandshake.objects.update_or_create(
        token=token[:200], defaults={"received_at": now, "remote_addr": remote_addr[:64]}
    )
    stale = NotionWebhookHandshake.objects.filter(confirmed_at=None).order_by("-received_at")
    old = list(stale.values_list("pk", flat=True)[HANDSHAKES_KEPT:])
    if old:
        NotionWebhookHandshake.objects.filter(pk__in=old).delete()
    logger.warning(
        "Notion webhook handshake received from %s: confirm it in the admin (Notion webhook "
        "handshakes) or set NOTION_WEBHOOK_VERIFICATION_TOKEN",
        remote_addr,
    )
    return handshake


def webhook_handshake_confirm(*, handshake: NotionWebhookHandshake, user) -> None:
    """A superuser says this token is the one Notion shows: events are verified with it."""
    NotionWebhookHandshake.objects.filter(pk=handshake.pk).update(
        confirmed_at=timezone.now(), confirmed_by=user
    )


def webhook_tally(name: str) -> None:
    """Count a delivery that leaves no event behind (refused, duplicate)."""
    now = timezone.now()
    if not WebhookTally.objects.filter(name=name).update(count=F("count") + 1, last_at=now):
        try:
            with transaction.atomic():
                WebhookTally.objects.create(name=name, count=1, last_at=now)
        except IntegrityError:
            WebhookTally.objects.filter(name=name).update(count=F("count") + 1, last_at=now)


# --- events ---------------------------------------------------------------------------


def webhook_event_receive(*, payload: dict) -> str:
    """Store a verified event once and ask for what it needs; returns what became of it:
    "pending" (a refresh will apply it), "ignored" (not for us), "duplicate"."""
    entity = payload.get("entity") if isinstance(payload.get("entity"), dict) else {}
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    parent = data.get("parent") if isinstance(data.get("parent"), dict) else {}
    event_type = str(payload.get("type") or "")[:64]
    entity_id = str(entity.get("id") or "")[:64]
    data_source_id = str(parent.get("data_source_id") or "")[:64]
    kind, note = _kind_of(event_type, entity_id, data_source_id)
    try:
        with transaction.atomic():
            event = Event.objects.create(
                event_id=str(payload.get("id") or "")[:64] or f"no-id:{timezone.now().timestamp()}",
                type=event_type,
                entity_id=entity_id,
                entity_type=str(entity.get("type") or "")[:32],
                data_source_id=data_source_id,
                kind=kind,
                occurred_at=_timestamp(payload.get("timestamp")),
                attempt_number=_small_int(payload.get("attempt_number")),
                status=Event.Status.PENDING if kind else Event.Status.IGNORED,
                note=note[:300],
            )
    except IntegrityError:
        webhook_tally("duplicate")
        return "duplicate"
    if not kind:
        return "ignored"
    if event_type in SCHEMA_EVENTS:
        notion_source_forget(kind=kind)
        from django_q.tasks import async_task

        transaction.on_commit(
            lambda: async_task("integrations.tasks.notion_schema_check", kind, event.pk)
        )
    else:
        transaction.on_commit(lambda: webhook_refresh_request(kind=kind))
    return "pending"


def _kind_of(event_type: str, entity_id: str, data_source_id: str) -> tuple[str, str]:
    """(kind, "") for an event we act on, ("", why not) otherwise."""
    if event_type in PAGE_EVENTS:
        kind = notion_source_kind(data_source_id=data_source_id) if data_source_id else None
        if kind is None:
            # A page moved out of our data source names its new parent: is it ours?
            kind = next(
                (k.name for k in registry.kinds() if k.has_page and k.has_page(entity_id)), None
            )
        if kind is None:
            return "", f"data source {data_source_id or '?'} is not synced here"
        return kind, ""
    if event_type in SCHEMA_EVENTS or event_type in CONTENT_EVENTS:
        kind = notion_source_kind(data_source_id=entity_id)
        if kind is None:
            return "", f"data source {entity_id or '?'} is not synced here"
        return kind, ""
    return "", f"event type {event_type or '?'} is not used"


def _timestamp(value) -> datetime:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        return timezone.now()
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def _small_int(value) -> int:
    try:
        return max(0, min(int(value), 32767))
    except (TypeError, ValueError):
        return 1


# --- refresh runs ---------------------------------------------------------------------


def webhook_refresh_request(*, kind: str) -> SyncRun | None:
    """A refresh run of `kind` for its pending events, queued for the worker. None when a
    run of the kind is active: a queued one takes the events when it starts; after a
    running one, `receivers.py` asks again."""
    try:
        runs = lifecycle.sync_runs_create(
            kind=kind, trigger=SyncRun.Trigger.WEBHOOK, mode=SyncRun.Mode.PAGES
        )
    except lifecycle.SyncAlreadyActive:
        return None
    sync_runs_enqueue(runs=runs)
    return runs[0]


def webhook_refresh_pending(*, older_than: float = 0.0) -> list[SyncRun]:
    """Ask for a refresh of every kind with events waiting (longer than `older_than`
    seconds): after a run ends, and every minute as the safety net."""
    since = timezone.now() - timedelta(seconds=older_than)
    kinds = (
        Event.objects.filter(status=Event.Status.PENDING, received_at__lte=since)
        .exclude(kind="")
        .exclude(type__in=SCHEMA_EVENTS)
        .exclude(run__status__in=ACTIVE_STATUSES)
        .values_list("kind", flat=True)
        .distinct()
    )
    asked = []
    for kind in sorted(set(kinds)):
        run = webhook_refresh_request(kind=kind)
        if run is not None:
            asked.append(run)
    return asked


# --- schema events --------------------------------------------------------------------


def webhook_schema_recheck(*, kind: str, event_pk: int | None = None) -> list[str]:
    """After a schema event: check the kind's mapping against Notion again; subscribers
    hear of the problems (`signals.notion_schema_problems`). Returns the problems."""
    from integrations import signals
    from integrations.notion.factory import notion_gateway

    sync_kind = registry.get(kind)
    problems: list[str] = []
    if sync_kind.check is not None:
        gateway = notion_gateway()
        try:
            rows = sync_kind.check(gateway)
        finally:
            gateway.close()
        problems = [
            " ".join(
                part
                for part in (f"{row.field}: «{row.name}»", row.found, row.detail)
                if part and part != "—"
            )
            for row in rows
            if not row.ok
        ]
    if event_pk is not None:
        Event.objects.filter(pk=event_pk, status=Event.Status.PENDING).update(
            status=Event.Status.DONE,
            processed_at=timezone.now(),
            note="; ".join(problems)[:300],
        )
    if problems:
        signals.notion_schema_problems.send(sender=Event, kind=kind, problems=problems)
    return problems
