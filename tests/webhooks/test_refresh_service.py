"""The webhook's refreshes through the tasks the worker runs (in this process, as a qcluster
worker would): the safety net, failures retried a bounded number of times."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connections
from django.utils import timezone

from integrations import services, tasks
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
    values = {
        "event_id": str(uuid.uuid4()),
        "type": "page.properties_updated",
        "entity_id": page_id,
        "entity_type": "page",
        "data_source_id": org.humans_data_source_id,
        "kind": "humans",
        "occurred_at": timezone.now(),
    }
    return NotionWebhookEvent.objects.create(**{**values, **fields})


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
    settings.NOTION_WEBHOOK_RETRY_SECONDS = 0
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


def test_during_an_outage_refreshes_back_off_instead_of_failing_per_event(
    mirrored, notion, settings, queue
):
    """Notion down: the first refresh fails; events that come meanwhile wait for the
    back-off instead of making one failed run each (found by review)."""
    settings.NOTION_WEBHOOK_RETRY_SECONDS = 3600
    notion.inject_fault(endpoint="pages.retrieve", status=503, count=10_000)

    for page_id in mirrored.active_human_ids[2:6]:
        stored_event(mirrored, page_id)
        NotionWebhookEvent.objects.update(
            received_at=timezone.now() - timezone.timedelta(seconds=30)
        )
        tasks.refresh_pending_webhook_events()
        queue.run_queued()

    runs = SyncRun.objects.filter(trigger="webhook")
    assert [r.status for r in runs] == ["failed"]
    assert NotionWebhookEvent.objects.filter(status="pending").count() == 4


def test_a_members_sync_during_the_coalescing_wait_is_not_refused(
    mirrored, notion, settings, queue
):
    """The refresh waits for quiet before it takes the kind's lock (found by review)."""
    settings.NOTION_WEBHOOK_COALESCE_SECONDS = 1.0
    page_id = mirrored.active_human_ids[6]
    notion.update_page(page_id, properties={"ФИО": "Ждёт Тишины"})
    stored_event(mirrored, page_id)
    results = {}

    def refresh() -> None:
        try:
            results["run"] = tasks.refresh_webhook_events("humans")
        finally:
            connections.close_all()

    waiting = threading.Thread(target=refresh)
    waiting.start()
    runs = services.sync_runs_create(kind="humans", trigger=SyncRun.Trigger.TELEGRAM)
    waiting.join(30)
    services.sync_runs_execute(runs=runs)  # as the worker would; its end asks for a refresh
    queue.run_queued()

    assert runs[0].trigger == "telegram"  # created, not refused, while the refresh waited
    assert results["run"] == "nothing to refresh"  # it found the kind busy: it let it be
    assert Human.objects.get(notion_page_id=page_id).full_name == "Ждёт Тишины"
    assert NotionWebhookEvent.objects.get(entity_id=page_id).status == "done"


def test_a_stuck_schema_event_does_not_loop_refreshes_and_is_checked_again(mirrored, notion, queue):
    event = stored_event(
        mirrored, mirrored.humans_data_source_id, type="data_source.schema_updated"
    )
    NotionWebhookEvent.objects.filter(pk=event.pk).update(
        entity_type="data_source", received_at=timezone.now() - timezone.timedelta(minutes=5)
    )
    services.sync_runs_execute(
        runs=services.sync_runs_create(kind="humans", trigger=SyncRun.Trigger.CLI, claim=True)
    )  # its end must not ask for a refresh of a schema event

    assert not queue.queued()
    assert tasks.refresh_pending_webhook_events() == 1  # the lost schema check, queued again
    queue.run_queued()
    event.refresh_from_db()
    assert event.status == "done"
    assert not SyncRun.objects.filter(trigger="webhook").exists()


def test_old_applied_events_are_pruned_and_waiting_ones_kept(org, transactional_db):
    old = timezone.now() - timezone.timedelta(days=31)
    done = stored_event(org, "page-1", status="done")
    waiting = stored_event(org, "page-2")
    recent = stored_event(org, "page-3", status="ignored")
    NotionWebhookEvent.objects.filter(pk__in=[done.pk, waiting.pk]).update(received_at=old)

    assert tasks.prune_webhook_events() == 1

    assert set(NotionWebhookEvent.objects.values_list("pk", flat=True)) == {waiting.pk, recent.pk}
