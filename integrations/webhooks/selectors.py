"""Read-side of the webhook: its state, for the admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count

from integrations.models import NotionWebhookEvent, NotionWebhookHandshake, WebhookTally


@dataclass(frozen=True)
class WebhookState:
    #: "setting", "confirmed", "awaiting" (a handshake nobody confirmed) or "none"
    key: str
    confirmed_at: datetime | None
    last_event_at: datetime | None
    received: int
    by_status: dict[str, int]
    refused: int
    last_refused_at: datetime | None
    duplicates: int


def webhook_state() -> WebhookState:
    handshakes = NotionWebhookHandshake.objects.all()
    confirmed = handshakes.exclude(confirmed_at=None).order_by("-confirmed_at").first()
    if settings.NOTION_WEBHOOK_VERIFICATION_TOKEN:
        key = "setting"
    elif confirmed is not None:
        key = "confirmed"
    elif handshakes.exists():
        key = "awaiting"
    else:
        key = "none"
    by_status = dict(
        NotionWebhookEvent.objects.order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    last = NotionWebhookEvent.objects.order_by("-received_at").first()
    tallies = {t.name: t for t in WebhookTally.objects.all()}
    refused, duplicates = tallies.get("refused"), tallies.get("duplicate")
    return WebhookState(
        key=key,
        confirmed_at=confirmed.confirmed_at if confirmed else None,
        last_event_at=last.received_at if last else None,
        received=sum(by_status.values()),
        by_status=by_status,
        refused=refused.count if refused else 0,
        last_refused_at=refused.last_at if refused else None,
        duplicates=duplicates.count if duplicates else 0,
    )
