"""The webhook's refreshes through the tasks the worker runs (in this process, as a qcluster
worker would): the safety net, failures retried a bounded number of times."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from integrations import tasks
from integrations.models import NotionWebhookEvent, SyncRun
from people.models import Human
from tests.bot.conftest import QueueWorker


@pytest.fixture
def queue(transactional_db, monkeypatch) -> QueueWorker:
    return QueueWorker(monkeypatch)


@pytest.fixture
def mirrored(org, sync):
    assert sync("all").code == 0
    return org


def stored_event(org, page_id: str, **fields) -> NotionWebhookEvent:
    """An event as the web process stored it just before it died (no refresh asked)."""
    return NotionWebhookEvent.objects.create(
        event_id=str(uuid.uuid4()),
        type="page.properties_updated",
        entity_id=page_id,
        entity_type="page",
        data_source_id=org.humans_data_source_id,
        kind="humans",
        occurred_at=timezone.now(),
        **fields,
    )


def test_the_minute_schedule_refreshes_events_nobody_picked_up(mirrored, notion, queue):
    page_id = mirrored.active_human_ids[0]
    notion.update_page(page_id, properties={"ФИО": "Подхвачен Расписанием"})
    event = stored_event(mirrored, page_id)
    NotionWebhookEvent.objects.filter(pk=event.pk).update(
        received_at=timezone.now() - timezone.timedelta(seconds=30)
    )

    assert tasks.refresh_pending_webhook_events() == 1
    queue.run_queued()

    assert Human.objects.get(notion_page_id=page_id).full_name == "Подхвачен Расписанием"
    event.refresh_from_db()
    assert event.status == "done"


def test_a_failing_refresh_is_retried_then_left_to_the_schedules(mirrored, notion, settings, queue):
    settings.NOTION_WEBHOOK_MAX_ATTEMPTS = 2
    page_id = mirrored.active_human_ids[1]
    event = stored_event(mirrored, page_id)
    notion.inject_fault(endpoint="pages.retrieve", status=503, count=10_000)

    for _attempt in range(3):
        NotionWebhookEvent.objects.filter(pk=event.pk).update(
            received_at=timezone.now() - timezone.timedelta(seconds=30)
        )
        tasks.refresh_pending_webhook_events()
        queue.run_queued()

    event.refresh_from_db()
    runs = SyncRun.objects.filter(trigger="webhook").order_by("id")
    assert [r.status for r in runs] == ["failed", "failed"]  # then it gave up, no third run
    assert (event.status, event.attempts) == ("gave_up", 2)
    assert Human.objects.get(notion_page_id=page_id).is_active  # nothing changed meanwhile
