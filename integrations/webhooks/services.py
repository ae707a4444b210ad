"""Write-side operations of the Notion webhook: handshakes, the key, received events, and
asking for the refresh runs that apply them (see the package docstring for the flow)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.models import (
    ACTIVE_STATUSES,
    NotionWebhookEvent,
    NotionWebhookHandshake,
    SyncRun,
    WebhookRefreshTicket,
    WebhookTally,
)
from integrations.notion.sources import notion_source_forget, notion_source_kind
from integrations.runs import lifecycle
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
#: unconfirmed handshakes kept (anyone can send one: the table must not grow without end;
#: the first ones are kept, Notion's comes when the subscription is made)
HANDSHAKES_KEPT = 20
#: a queued refresh task not started after this long is taken for lost (the worker died)
TICKET_LOST_AFTER = timedelta(minutes=2)


# --- the key --------------------------------------------------------------------------


def webhook_key() -> str:
    """The key that verifies events: the setting, else the last confirmed handshake."""
    if settings.NOTION_WEBHOOK_VERIFICATION_TOKEN:
        return settings.NOTION_WEBHOOK_VERIFICATION_TOKEN
    confirmed = (
        NotionWebhookHandshake.objects.exclude(confirmed_at=None).order_by("-confirmed_at").first()
    )
    return confirmed.token if confirmed else ""


def webhook_handshake_record(
    *, token: str, remote_addr: str, forwarded_for: str = ""
) -> NotionWebhookHandshake | None:
    """Keep a handshake for a superuser to confirm; it changes nothing by itself. Not kept
    when NOTION_WEBHOOK_VERIFICATION_TOKEN is set (nothing to confirm), nor beyond
    HANDSHAKES_KEPT unconfirmed ones (a superuser deletes junk in the admin)."""
    if settings.NOTION_WEBHOOK_VERIFICATION_TOKEN:
        return None
    token = token[:200]
    known = NotionWebhookHandshake.objects.filter(token=token)
    if not known.exists() and (
        NotionWebhookHandshake.objects.filter(confirmed_at=None).count() >= HANDSHAKES_KEPT
    ):
        logger.warning(
            "Notion webhook handshake from %s not kept: too many unconfirmed", remote_addr
        )
        return None
    handshake, _created = NotionWebhookHandshake.objects.update_or_create(
        token=token,
        defaults={
            "received_at": timezone.now(),
            "remote_addr": remote_addr[:64],
            "forwarded_for": forwarded_for[:200],
        },
    )
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
    event_id = str(payload.get("id") or "")[:64] or f"no-id:{uuid.uuid4()}"
    fields = {
        "type": event_type,
        "entity_id": entity_id,
        "entity_type": str(entity.get("type") or "")[:32],
        "data_source_id": data_source_id,
        "occurred_at": _timestamp(payload.get("timestamp")),
        "attempt_number": _small_int(payload.get("attempt_number")),
    }
    # A page moved from one synced kind to another (Humans -> Directions) names its new
    # data source: the kind that has the page re-reads it too (to deactivate it there).
    others = _other_kinds_with(entity_id, kind) if kind and event_type in PAGE_EVENTS else []
    try:
        with transaction.atomic():
            event = Event.objects.create(
                event_id=event_id,
                kind=kind,
                status=Event.Status.PENDING if kind else Event.Status.IGNORED,
                note=note[:300],
                **fields,
            )
            for other in others:
                Event.objects.create(event_id=f"{event_id[:50]}:{other}"[:64], kind=other, **fields)
    except IntegrityError:
        webhook_tally("duplicate")
        return "duplicate"
    if not kind:
        return "ignored"
    if event_type in SCHEMA_EVENTS:
        notion_source_forget(kind=kind)
        transaction.on_commit(lambda: _queue_schema_check(kind, event.pk))
    else:
        for name in (kind, *others):
            transaction.on_commit(lambda name=name: webhook_refresh_request(kind=name))
    return "pending"


def _other_kinds_with(page_id: str, kind: str) -> list[str]:
    return [
        k.name for k in registry.kinds() if k.name != kind and k.has_page and k.has_page(page_id)
    ]


def _queue_schema_check(kind: str, event_pk: int) -> None:
    from django_q.tasks import async_task

    async_task("integrations.tasks.notion_schema_check", kind, event_pk)


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


def waiting_events(*, kind: str | None = None):
    """Events a refresh would take: pending page and content events of a synced kind, not
    held by a run that is still active."""
    events = (
        Event.objects.filter(status=Event.Status.PENDING)
        .exclude(kind="")
        .filter(type__in=PAGE_EVENTS | CONTENT_EVENTS)
        .exclude(run__status__in=ACTIVE_STATUSES)
    )
    return events.filter(kind=kind) if kind else events


def webhook_refresh_request(*, kind: str) -> bool:
    """Ask the worker for a refresh of `kind` once its events are quiet: one queued task per
    kind (a burst of events asks once). Returns whether a task was queued now."""
    now = timezone.now()
    ticket = WebhookRefreshTicket.objects.filter(kind=kind)
    taken = ticket.filter(Q(queued_at=None) | Q(queued_at__lt=now - TICKET_LOST_AFTER)).update(
        queued_at=now
    )
    if not taken:
        if ticket.exists():
            return False  # one is queued already: it takes this event too
        try:
            with transaction.atomic():
                WebhookRefreshTicket.objects.create(kind=kind, queued_at=now)
        except IntegrityError:
            return False  # another request made it first
    from django_q.tasks import async_task

    transaction.on_commit(
        lambda: async_task(
            "integrations.tasks.refresh_webhook_events",
            kind,
            task_name=f"refresh {kind} (webhook)",
            group="webhook",
        )
    )
    return True


def webhook_refresh_run(*, kind: str) -> SyncRun | None:
    """The worker's task: wait until the kind's events are quiet (without holding its
    lock: a member's sync or a schedule tick meanwhile is not refused), then run one
    refresh of them all here. Nothing to do when no event waits, when another run of the
    kind is active (its end asks again), or while a failed refresh backs off (the minute
    schedule asks again)."""
    from integrations.runs.executor import sync_runs_execute
    from integrations.webhooks.refresh import wait_until_quiet

    wait_until_quiet(kind)
    WebhookRefreshTicket.objects.filter(kind=kind).update(queued_at=None)
    if not waiting_events(kind=kind).exists() or _backing_off(kind):
        return None
    try:
        runs = lifecycle.sync_runs_create(
            kind=kind, trigger=SyncRun.Trigger.WEBHOOK, mode=SyncRun.Mode.PAGES, claim=True
        )
    except lifecycle.SyncAlreadyActive:
        return None
    return sync_runs_execute(runs=runs)[0]


def _backing_off(kind: str) -> bool:
    """A refresh of the kind failed less than NOTION_WEBHOOK_RETRY_SECONDS ago (Notion
    down, say): one failed run per event would flood the history and the subscribers."""
    last = (
        SyncRun.objects.filter(kind=kind, trigger=SyncRun.Trigger.WEBHOOK)
        .exclude(status__in=ACTIVE_STATUSES)
        .order_by("-id")
        .first()
    )
    if last is None or last.status != SyncRun.Status.FAILED or last.finished_at is None:
        return False
    return timezone.now() - last.finished_at < timedelta(
        seconds=settings.NOTION_WEBHOOK_RETRY_SECONDS
    )


def webhook_refresh_pending(
    *, older_than: float = 0.0, kinds: list[str] | None = None
) -> list[str]:
    """Ask for a refresh of every kind with events waiting (longer than `older_than`
    seconds): after a run of the kind ends, and every minute as the safety net. Returns
    the kinds a task was queued for."""
    since = timezone.now() - timedelta(seconds=older_than)
    events = waiting_events().filter(received_at__lte=since)
    if kinds is not None:
        events = events.filter(kind__in=kinds)
    asked = []
    for kind in sorted(set(events.values_list("kind", flat=True).distinct())):
        if not _backing_off(kind) and webhook_refresh_request(kind=kind):
            asked.append(kind)
    return asked


def webhook_schema_checks_pending(*, older_than: float) -> int:
    """Schema events whose check never ran (the worker died, the hand-over was lost):
    queue the check again. Returns how many."""
    since = timezone.now() - timedelta(seconds=older_than)
    stuck = Event.objects.filter(
        status=Event.Status.PENDING, type__in=SCHEMA_EVENTS, received_at__lte=since
    ).exclude(kind="")
    count = 0
    for event in stuck:
        _queue_schema_check(event.kind, event.pk)
        count += 1
    return count


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


def webhook_events_prune(*, older_than_days: int = 30) -> int:
    """Events applied, ignored or given up more than `older_than_days` ago: history the
    admin no longer needs (pending ones always stay). Returns how many were deleted."""
    since = timezone.now() - timedelta(days=older_than_days)
    deleted, _by_model = (
        Event.objects.exclude(status=Event.Status.PENDING).filter(received_at__lt=since).delete()
    )
    return deleted
