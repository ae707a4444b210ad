"""The schedule's entry point: busy kinds are recorded as skipped, order is kept."""

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
