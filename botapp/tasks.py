"""django-q2 entry points of the bot: thin, take ids, call the announcements."""

from __future__ import annotations

from botapp.announcements import announce_run_finished


def notify_run_finished(run_id: int) -> None:
    """Announce the end of a run that ended outside a worker (CLI, reaper in the bot...)."""
    announce_run_finished(run_id=run_id)
