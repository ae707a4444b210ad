"""Receivers of the integrations signals: the bridge from sync runs to Telegram.

Connected in `BotappConfig.ready()`; they do nothing when no bot token is configured.
In a django-q2 worker the end of a run is announced directly (lowest latency); anywhere
else (`manage.py sync`, and the reaper it calls first) it is queued as
`botapp.tasks.notify_run_finished`, so those processes never wait on Telegram.
"""

from __future__ import annotations

import logging

from django.conf import settings

from botapp import selectors

logger = logging.getLogger(__name__)

_state = {"worker": False}


def mark_worker_process(**kwargs) -> None:
    """django-q2's `post_spawn`: this process is a queue worker."""
    _state["worker"] = True


def in_worker() -> bool:
    return _state["worker"]


def on_sync_run_progress(sender, run, progress, **kwargs) -> None:
    if not settings.TELEGRAM_BOT_TOKEN:
        return
    try:
        from botapp import announcements  # imports telegram: only where a bot is configured

        announcements.announce_run_progress(run=run, progress=progress)
    except Exception:
        logger.exception("Progress of run #%s not announced", run.pk)


def on_sync_run_finished(sender, run, **kwargs) -> None:
    if not settings.TELEGRAM_BOT_TOKEN:
        return
    try:
        if in_worker():
            from botapp import announcements

            announcements.announce_run_finished(run_id=run.pk)
        elif run.chat_id is not None or selectors.subscriptions_exist():
            from django_q.tasks import async_task

            async_task(
                "botapp.tasks.notify_run_finished",
                run.pk,
                task_name=f"notify #{run.pk}",
                group="notify",
            )
    except Exception:
        logger.exception("End of run #%s not announced", run.pk)


def on_notion_schema_problems(sender, kind, problems, **kwargs) -> None:
    if not settings.TELEGRAM_BOT_TOKEN:
        return
    try:
        from botapp import announcements

        announcements.announce_schema_problems(kind=kind, problems=problems)
    except Exception:
        logger.exception("Schema problems of %s not announced", kind)
