"""`manage.py setup_schedules`: create or update the django-q2 schedules of regular syncs.

Idempotent: schedules are found by their stable names, so running it again (after changing
the cron strings in `.env`, or registering a new sync kind) updates them instead of adding
copies. Schedules under our prefix that no longer apply are deleted. Cron strings are read
in TIME_ZONE. The deployment's release step runs it (Procfile `release`, compose's
`migrate` service, `make run`): a deployment never runs without its schedules and reaper.
"""

from __future__ import annotations

from dataclasses import dataclass

from croniter import croniter
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_q.models import Schedule

from integrations.sync import registry

PREFIX = "integrations: "


@dataclass(frozen=True)
class Wanted:
    name: str
    func: str
    args: str
    cron: str
    setting: str


def wanted_schedules() -> list[Wanted]:
    # Every tick syncs every kind in registry order (humans before directions), each in the
    # mode that is due (integrations/runs/schedule.py): incremental, or full when no full
    # run has succeeded since SYNC_SCHEDULE_FULL last came round. The nightly schedule only
    # makes the full run start on its minute; when the two ticks collide, nothing is lost.
    return [
        Wanted(
            name=f"{PREFIX}sync of everything (incremental; full when due)",
            func="integrations.tasks.scheduled_sync",
            args=repr(registry.ALL),
            cron=settings.SYNC_SCHEDULE_INCREMENTAL,
            setting="SYNC_SCHEDULE_INCREMENTAL",
        ),
        Wanted(
            name=f"{PREFIX}nightly full sync of everything",
            func="integrations.tasks.scheduled_sync",
            args=repr(registry.ALL),
            cron=settings.SYNC_SCHEDULE_FULL,
            setting="SYNC_SCHEDULE_FULL",
        ),
        Wanted(
            name=f"{PREFIX}webhook events waiting for a refresh",
            func="integrations.tasks.refresh_pending_webhook_events",
            args="",
            cron=settings.SYNC_SCHEDULE_REAPER,
            setting="SYNC_SCHEDULE_REAPER",
        ),
        Wanted(
            name=f"{PREFIX}prune old webhook events",
            func="integrations.tasks.prune_webhook_events",
            args="",
            cron="50 4 * * *",
            setting="",
        ),
        Wanted(
            name=f"{PREFIX}stale run reaper",
            func="integrations.tasks.reap_stale_runs",
            args="",
            cron=settings.SYNC_SCHEDULE_REAPER,
            setting="SYNC_SCHEDULE_REAPER",
        ),
        Wanted(
            name=f"{PREFIX}prune old access attempts",
            func="botapp.tasks.prune_access_attempts",
            args="",
            cron=settings.ACCESS_ATTEMPTS_PRUNE_SCHEDULE,
            setting="ACCESS_ATTEMPTS_PRUNE_SCHEDULE",
        ),
    ]


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules of regular syncs (idempotent)."

    def handle(self, *args, **options) -> None:
        wanted = wanted_schedules()
        for item in wanted:
            if not item.cron.strip() or not croniter.is_valid(item.cron):
                raise CommandError(
                    f"{item.setting}={item.cron!r} is not a cron string "
                    "(five fields, e.g. '*/15 * * * *')."
                )
        with transaction.atomic():
            for item in wanted:
                self.stdout.write(self._apply(item))
            names = [item.name for item in wanted]
            for stale in Schedule.objects.filter(name__startswith=PREFIX).exclude(name__in=names):
                stale.delete()
                self.stdout.write(f"removed    {stale.name}")
        self.stdout.write(f"Schedules run in `manage.py qcluster` (times in {settings.TIME_ZONE}).")

    def _apply(self, item: Wanted) -> str:
        found = list(Schedule.objects.filter(name=item.name).order_by("id"))
        for duplicate in found[1:]:
            duplicate.delete()
        values = {
            "func": item.func,
            "args": item.args or None,
            "kwargs": None,
            "schedule_type": Schedule.CRON,
            "cron": item.cron,
            "repeats": -1,
        }
        if not found:
            schedule = Schedule.objects.create(name=item.name, **values)
            return f"created    {item.name}: {item.cron} (next {self._next(schedule)})"
        schedule = found[0]
        changed = [key for key, value in values.items() if getattr(schedule, key) != value]
        if not changed:
            return f"unchanged  {item.name}: {item.cron} (next {self._next(schedule)})"
        cron_changed = "cron" in changed or "schedule_type" in changed
        for key, value in values.items():
            setattr(schedule, key, value)
        if cron_changed:
            schedule.next_run = schedule.calculate_next_run()
        schedule.save()
        return f"updated    {item.name}: {item.cron} (next {self._next(schedule)})"

    @staticmethod
    def _next(schedule: Schedule) -> str:
        from django.utils import timezone

        if schedule.next_run is None:
            return "—"
        return timezone.localtime(schedule.next_run).strftime("%Y-%m-%d %H:%M")
