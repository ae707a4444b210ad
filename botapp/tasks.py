"""django-q2 entry points of the bot: thin, take ids, call the announcements or services."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from botapp import services
from botapp.announcements import announce_binding as _announce_binding
from botapp.announcements import announce_run_finished


def notify_run_finished(run_id: int) -> None:
    """Announce the end of a run that ended outside a worker (CLI, reaper in the bot...)."""
    announce_run_finished(run_id=run_id)


def announce_binding(human_id: int, user_id: int, username: str, name: str) -> None:
    """Tell the access subscribers about a first binding by username (queued by the bot)."""
    _announce_binding(human_id=human_id, user_id=user_id, username=username, name=name)


def prune_access_attempts() -> int:
    """The daily schedule: forget refused attempts older than ACCESS_ATTEMPTS_KEEP_DAYS."""
    return services.access_attempts_prune(
        older_than=timedelta(days=settings.ACCESS_ATTEMPTS_KEEP_DAYS)
    )
