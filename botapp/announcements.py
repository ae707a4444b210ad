"""What the bot tells chats about things it does not drive itself: run progress and
results, and new Telegram bindings.

Called in the process executing a run (progress, and the end when a worker finishes it)
or from tasks (runs ended by the CLI or the reaper, bindings made by the bot), and from
the worker's schema check (a webhook said a Notion schema changed).
Nothing here raises into a sync: Telegram trouble is the notifier's to absorb, and progress
edits are handed to the notifier's sender thread (the sync never waits for Telegram).
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.utils import translation

from botapp import selectors, services, texts
from botapp.notifier import get_notifier
from integrations.models import SyncRun
from integrations.sync.base import Progress
from people.models import Human

# (chat_id, message_id) -> when its progress was last handed over, in this process.
_last_progress: dict[tuple[int, int], float] = {}
_lock = threading.Lock()


def announce_run_progress(*, run: SyncRun, progress: Progress) -> None:
    """Hand the accepted message's new text to the notifier, at most every
    TELEGRAM_PROGRESS_INTERVAL; returns without waiting for Telegram."""
    notifier = get_notifier()
    if notifier is None or run.chat_id is None or run.message_id is None:
        return
    key = (run.chat_id, run.message_id)
    now = time.monotonic()
    with _lock:
        last = _last_progress.get(key)
        if last is not None and now - last < settings.TELEGRAM_PROGRESS_INTERVAL:
            return
        _last_progress[key] = now
    with translation.override(settings.LANGUAGE_CODE):
        runs = selectors.sync_runs_sharing_message(run=run)
        text = texts.sync_progress(runs, current=run, progress=progress)
    notifier.progress.submit(run.chat_id, run.message_id, text)


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
    # The database work first, Telegram after: once the starter has the end message, this
    # run needs nothing more from the database (unless a chat refuses or moved).
    services.subscriptions_end_for_departed()
    subscribers = selectors.subscriptions_for_run(run=run)
    with translation.override(settings.LANGUAGE_CODE):
        if run.chat_id is not None:
            _finish_accepted_message(notifier, run)
            notifier.send(run.chat_id, texts.run_finished(run), reply_to=run.message_id)
        if subscribers:
            text = texts.run_finished(run, for_subscriber=True)
            for subscription in subscribers:
                notifier.send(subscription.chat_id, text)


def _finish_accepted_message(notifier, run: SyncRun) -> None:
    """Bring the accepted message up to date, so it never stays at "fetching… 40 pages"."""
    if run.message_id is None:
        return
    runs = selectors.sync_runs_sharing_message(run=run)
    if not any(r.is_active for r in runs):
        with _lock:
            _last_progress.pop((run.chat_id, run.message_id), None)
    # After an edit still in flight, instead of those waiting (a later run of the same
    # /sync_all hands over its own progress afterwards).
    notifier.progress.finish(run.chat_id, run.message_id, texts.sync_progress(runs))


def announce_binding(*, human_id: int, user_id: int, username: str, name: str) -> None:
    """Tell the access subscribers that a Telegram account was bound to a Human by username."""
    notifier = get_notifier()
    human = Human.objects.filter(pk=human_id).first()
    if notifier is None or human is None:
        return
    services.subscriptions_end_for_departed()
    subscribers = selectors.subscriptions_for_access(except_human_id=human.pk)
    with translation.override(settings.LANGUAGE_CODE):
        text = texts.access_bound(human=human, user_id=user_id, username=username, name=name)
    for subscription in subscribers:
        notifier.send(subscription.chat_id, text)


def announce_schema_problems(*, kind: str, problems: list[str]) -> None:
    """A Notion database's schema changed and our mapping no longer fits: tell subscribers."""
    notifier = get_notifier()
    if notifier is None:
        return
    services.subscriptions_end_for_departed()
    with translation.override(settings.LANGUAGE_CODE):
        text = texts.schema_problems(kind=kind, problems=problems)
    for subscription in selectors.subscriptions_for_problems():
        notifier.send(subscription.chat_id, text)
