"""The refresh run's side of the webhook: which pages it re-reads, and the events it applied.

Called by the executor for runs of mode `pages` (trigger `webhook`). The run holds its
kind's lock meanwhile, like any run; the events it takes point at it, and are marked done
in its apply transaction (with the data) or stay pending for the next refresh.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.models import ACTIVE_STATUSES, NotionWebhookEvent, SyncRun
from integrations.webhooks.services import CONTENT_EVENTS, PAGE_EVENTS

Event = NotionWebhookEvent


@dataclass(frozen=True)
class RefreshPlan:
    #: pages the events named, in the order they happened (each once)
    targets: list[str]
    #: the earliest event, less the lookback: what changed since may be read with one query
    since: datetime | None
    #: whether what changed since must be read (an event named no page: content updated)
    read_changes: bool
    events: int


def refresh_plan(*, run: SyncRun) -> RefreshPlan:
    """Take every event of the run's kind that waits (the task that started the run waited
    until they were quiet: a burst is one run)."""
    with transaction.atomic():
        waiting = Event.objects.filter(kind=run.kind, status=Event.Status.PENDING).filter(
            Q(type__in=PAGE_EVENTS) | Q(type__in=CONTENT_EVENTS)
        )
        free = Q(run=None) | Q(run=run) | ~Q(run__status__in=ACTIVE_STATUSES)
        taken = list(waiting.filter(free).order_by("occurred_at", "id"))
        Event.objects.filter(pk__in=[e.pk for e in taken]).update(
            run=run, attempts=F("attempts") + 1
        )
    targets = list(dict.fromkeys(e.entity_id for e in taken if e.type in PAGE_EVENTS))
    since = None
    if taken:
        since = min(e.occurred_at for e in taken) - timedelta(
            seconds=settings.SYNC_INCREMENTAL_LOOKBACK_SECONDS
        )
    return RefreshPlan(
        targets=targets,
        since=since,
        read_changes=any(e.type in CONTENT_EVENTS for e in taken),
        events=len(taken),
    )


def refresh_applied(*, run: SyncRun) -> int:
    """In the run's apply transaction: its events are applied."""
    return Event.objects.filter(run=run, status=Event.Status.PENDING).update(
        status=Event.Status.DONE, processed_at=timezone.now()
    )


def refresh_failed(*, run: SyncRun) -> int:
    """The run failed: its events wait for the next refresh, unless they were tried
    NOTION_WEBHOOK_MAX_ATTEMPTS times (then the regular syncs cover them)."""
    return Event.objects.filter(
        run=run, status=Event.Status.PENDING, attempts__gte=settings.NOTION_WEBHOOK_MAX_ATTEMPTS
    ).update(
        status=Event.Status.GAVE_UP,
        processed_at=timezone.now(),
        note=_("Given up after %(n)d failed refreshes; the regular syncs will cover it.")
        % {"n": settings.NOTION_WEBHOOK_MAX_ATTEMPTS},
    )


def wait_until_quiet(kind: str) -> None:
    """Until no event of the kind arrived for NOTION_WEBHOOK_COALESCE_SECONDS, at most
    NOTION_WEBHOOK_COALESCE_MAX_SECONDS (a page edited without pause is refreshed anyway)."""
    quiet = settings.NOTION_WEBHOOK_COALESCE_SECONDS
    deadline = time.monotonic() + settings.NOTION_WEBHOOK_COALESCE_MAX_SECONDS
    while time.monotonic() < deadline:
        latest = Event.objects.filter(kind=kind, status=Event.Status.PENDING).aggregate(
            at=Max("received_at")
        )["at"]
        if latest is None or (timezone.now() - latest).total_seconds() >= quiet:
            return
        time.sleep(min(0.1, quiet))
