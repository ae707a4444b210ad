"""`manage.py setup_schedules`: regular syncs from settings, idempotent."""

from __future__ import annotations

from django_q.models import Schedule

from tests.conftest import run_command


def schedules() -> dict[str, tuple[str, str, str]]:
    return {s.name: (s.func, s.args or "", s.cron) for s in Schedule.objects.all()}


def test_creates_incremental_full_and_reaper_schedules(db):
    result = run_command("setup_schedules")

    assert result.code == 0, result.err
    assert schedules() == {
        "integrations: sync of everything (incremental; full when due)": (
            "integrations.tasks.scheduled_sync",
            "'all'",
            "*/15 * * * *",
        ),
        "integrations: nightly full sync of everything": (
            "integrations.tasks.scheduled_sync",
            "'all'",
            "30 3 * * *",
        ),
        "integrations: webhook events waiting for a refresh": (
            "integrations.tasks.refresh_pending_webhook_events",
            "",
            "* * * * *",
        ),
        "integrations: prune old webhook events": (
            "integrations.tasks.prune_webhook_events",
            "",
            "50 4 * * *",
        ),
        "integrations: stale run reaper": ("integrations.tasks.reap_stale_runs", "", "* * * * *"),
        "integrations: prune old access attempts": (
            "botapp.tasks.prune_access_attempts",
            "",
            "40 4 * * *",
        ),
    }
    assert all(s.schedule_type == Schedule.CRON for s in Schedule.objects.all())


def test_running_it_again_updates_instead_of_duplicating(db, settings):
    run_command("setup_schedules")
    settings.SYNC_SCHEDULE_FULL = "0 4 * * *"

    result = run_command("setup_schedules")

    assert Schedule.objects.count() == 6
    assert schedules()["integrations: nightly full sync of everything"][2] == "0 4 * * *"
    assert "updated    integrations: nightly full sync of everything" in result.out
    assert result.out.count("unchanged") == 5


def test_a_bad_cron_string_is_one_clear_line(db, settings):
    settings.SYNC_SCHEDULE_INCREMENTAL = "every 15 minutes"

    result = run_command("setup_schedules")

    assert result.code == 1
    assert "SYNC_SCHEDULE_INCREMENTAL" in result.err
    assert not Schedule.objects.exists()


def test_old_access_attempts_are_pruned_by_a_schedule(worker):
    from datetime import timedelta
    from pydoc import locate

    from django.utils import timezone

    from botapp.models import AccessAttempt

    old = AccessAttempt.objects.create(telegram_user_id=1, text="/start")
    recent = AccessAttempt.objects.create(telegram_user_id=2, text="/start")
    AccessAttempt.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    AccessAttempt.objects.filter(pk=recent.pk).update(
        created_at=timezone.now() - timedelta(days=89)
    )
    assert run_command("setup_schedules").code == 0
    (schedule,) = Schedule.objects.filter(func__startswith="botapp.")

    worker.call(locate(schedule.func))

    assert list(AccessAttempt.objects.values_list("pk", flat=True)) == [recent.pk]
    assert schedule.cron == "40 4 * * *"
