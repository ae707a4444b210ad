"""The schedule's entry point: busy kinds are recorded as skipped, order is kept."""

from datetime import timedelta

from django.db.models import F

from integrations import services, tasks
from integrations.models import SyncRun
from people.models import Human


def test_scheduled_incremental_runs_every_kind_in_order(org, transactional_db):
    tasks.scheduled_sync("all", "incremental")

    runs = list(SyncRun.objects.order_by("id"))
    assert [(r.kind, r.trigger, r.status) for r in runs] == [
        ("humans", "schedule", "succeeded"),
        ("directions", "schedule", "succeeded"),
    ]
    assert Human.objects.exists()


def test_busy_kind_is_recorded_as_skipped_not_queued_twice(org, transactional_db):
    busy = services.sync_runs_create(kind="humans", trigger=SyncRun.Trigger.CLI)[0]

    tasks.scheduled_sync("all", "incremental")

    skipped = SyncRun.objects.get(kind="humans", status="skipped")
    assert f"#{busy.pk}" in skipped.error
    assert SyncRun.objects.get(kind="directions").status == "succeeded"
    assert SyncRun.objects.filter(kind="humans", status__in=["queued", "running"]).count() == 1


def test_directions_are_skipped_when_humans_fail(org, notion, transactional_db):
    notion.set_shared(org.humans_database_id, False)

    tasks.scheduled_sync("all", "full")

    assert SyncRun.objects.get(kind="humans").status == "failed"
    assert SyncRun.objects.get(kind="directions").status == "skipped"


def test_a_full_run_that_fails_does_not_stop_the_incremental_ticks(org, notion, transactional_db):
    """The guard refuses the due full run until a person decides; meanwhile the ticks stay
    incremental, so a member who left still loses access (found by review)."""
    assert tasks.scheduled_sync("all") and SyncRun.objects.filter(status="succeeded").count() == 2
    SyncRun.objects.update(started_at=F("started_at") - timedelta(days=2))
    active = org.active_human_ids
    for page_id in active[: len(active) * 3 // 10]:
        notion.remove_page(page_id)  # 30% moved out: the full run refuses
    leaver = active[-1]
    notion.update_page(leaver, properties={"Status": "Ушёл"})

    ticks = [tasks.scheduled_sync("all") for _ in range(3)]

    humans = list(SyncRun.objects.filter(kind="humans").order_by("id"))[1:]
    assert [(r.mode, r.status) for r in humans] == [
        ("full", "failed"),
        ("incremental", "succeeded"),
        ("incremental", "succeeded"),
    ], ticks
    assert not Human.objects.get(notion_page_id=leaver).is_active
