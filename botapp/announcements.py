"""What the bot tells chats about runs it does not drive itself: progress and results.

Called in the process executing a run (progress, and the end when a worker finishes it)
or from the `notify_run_finished` task (runs ended by `manage.py sync`, which reaps too).
Nothing here raises into a sync: Telegram trouble is the notifier's to absorb.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation

from botapp import selectors, services, texts
from botapp.notifier import get_notifier
from integrations.models import SyncRun
from integrations.sync.base import Progress

logger = logging.getLogger(__name__)


@dataclass
class _EditState:
    at: float = 0.0
    text: str = ""
    quiet_until: float = 0.0


# (chat_id, message_id) -> the last progress edit of that message in this process.
_edits: dict[tuple[int, int], _EditState] = {}
_edits_lock = threading.Lock()


def announce_run_progress(*, run: SyncRun, progress: Progress) -> None:
    """Edit the accepted message with progress, at most every TELEGRAM_PROGRESS_INTERVAL."""
    notifier = get_notifier()
    if notifier is None or run.chat_id is None or run.message_id is None:
        return
    key = (run.chat_id, run.message_id)
    now = time.monotonic()
    with _edits_lock:
        state = _edits.setdefault(key, _EditState())
        if state.at and now - state.at < settings.TELEGRAM_PROGRESS_INTERVAL:
            return
        if now < state.quiet_until:
            return
        state.at = now
    with translation.override(settings.LANGUAGE_CODE):
        runs = selectors.sync_runs_sharing_message(run=run)
        text = texts.sync_progress(runs, current=run, progress=progress)
    if text == state.text:
        return
    delivery = notifier.edit(run.chat_id, run.message_id, text, wait=False)
    if delivery.ok:
        state.text = text
    elif delivery.retry_after:
        state.quiet_until = time.monotonic() + delivery.retry_after
    elif delivery.blocked:
        state.quiet_until = float("inf")


def announce_run_finished(*, run_id: int) -> None:
    """Tell the chat that started the run (a new message, replying to the accepted one) and
    the subscribers. At most once per run: `end_notified_at` is claimed first."""
    notifier = get_notifier()
    if notifier is None:
        return
    run = SyncRun.objects.select_related("triggered_by").filter(pk=run_id).first()
    if run is None or run.is_active:
        return
    if not services.sync_run_claim_end_notification(run=run):
        return
    with translation.override(settings.LANGUAGE_CODE):
        if run.chat_id is not None:
            _finish_accepted_message(notifier, run)
            notifier.send(run.chat_id, texts.run_finished(run), reply_to=run.message_id)
        subscribers = selectors.subscriptions_for_run(run=run)
        if subscribers:
            text = texts.run_finished(run, for_subscriber=True)
            for subscription in subscribers:
                notifier.send(subscription.chat_id, text)


def _finish_accepted_message(notifier, run: SyncRun) -> None:
    """Bring the accepted message up to date, so it never stays at "fetching… 40 pages"."""
    if run.message_id is None:
        return
    key = (run.chat_id, run.message_id)
    runs = selectors.sync_runs_sharing_message(run=run)
    text = texts.sync_progress(runs)
    with _edits_lock:
        state = _edits.get(key)
        if not any(r.is_active for r in runs):
            _edits.pop(key, None)
    if state is not None and state.text == text:
        return
    notifier.edit(run.chat_id, run.message_id, text, wait=False)
    if state is not None:
        state.text = text


def announce_schema_problems(*, kind: str, problems: list[str]) -> None:
    """A Notion database's schema changed and our mapping no longer fits: tell subscribers."""
    notifier = get_notifier()
    if notifier is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        text = texts.schema_problems(kind=kind, problems=problems)
        for subscription in selectors.subscriptions_for_problems():
            notifier.send(subscription.chat_id, text)
