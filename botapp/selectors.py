"""Read-side queries of the bot: what /status and /history show, who hears about a run."""

from __future__ import annotations

from django.conf import settings
from django.db.models import F, Q

from botapp.models import Subscription
from integrations import services as sync_services
from integrations.models import ACTIVE_STATUSES, SyncRun
from integrations.sync import registry

HISTORY_DEFAULT = 10
HISTORY_MAX = 30


def sync_runs_active() -> list[SyncRun]:
    return list(
        SyncRun.objects.select_related("triggered_by")
        .filter(status__in=ACTIVE_STATUSES)
        .order_by("queued_at", "id")
    )


def sync_runs_last_by_kind() -> tuple[dict[str, SyncRun | None], dict[str, SyncRun | None]]:
    """For every registered kind: its last finished run (skips ignored) and last success."""
    last: dict[str, SyncRun | None] = {}
    success: dict[str, SyncRun | None] = {}
    finished = SyncRun.objects.select_related("triggered_by").filter(
        status__in=(SyncRun.Status.SUCCEEDED, SyncRun.Status.FAILED)
    )
    for name in registry.names():
        last[name] = finished.filter(kind=name).order_by("-finished_at", "-id").first()
        success[name] = sync_services.sync_run_last_success(kind=name)
    return last, success


def sync_runs_recent(*, limit: int = HISTORY_DEFAULT) -> list[SyncRun]:
    runs = SyncRun.objects.select_related("triggered_by").order_by("-queued_at", "-id")
    return list(runs[:limit])


def sync_runs_sharing_message(*, run: SyncRun) -> list[SyncRun]:
    """Runs announced in the same message (one `/sync_all`), in order."""
    if run.chat_id is None or run.message_id is None:
        return [run]
    return list(
        SyncRun.objects.select_related("triggered_by")
        .filter(chat_id=run.chat_id, message_id=run.message_id)
        .order_by("id")
    )


def subscriptions_for_chat(*, chat_id: int) -> list[Subscription]:
    return list(Subscription.objects.filter(chat_id=chat_id, is_active=True).order_by("scope"))


def _deliverable(subs):
    """Subscriptions whose chat may still hear from us.

    A private chat hears only while its member is an active member recognised in that chat,
    as the bot recognises them (`people.selectors.human_for_telegram`): by the id written in
    Notion, or by the bound id when Notion names none. Someone who left, whose handle moved
    to someone else, or whose bound account Notion contradicts hears nothing more. A group
    hears only while it is allowed (TELEGRAM_GROUP_CHATS) and its member is active.
    """
    member_here = Q(human__notion_telegram_user_id=F("chat_id")) | Q(
        human__notion_telegram_user_id__isnull=True, human__telegram_user_id=F("chat_id")
    )
    allowed_group = Q(chat_id__lt=0, chat_id__in=settings.TELEGRAM_GROUP_CHATS)
    return subs.filter(is_active=True, human__is_active=True).filter(
        allowed_group | (Q(chat_id__gt=0) & member_here)
    )


def subscriptions_for_run(*, run: SyncRun) -> list[Subscription]:
    """Chats to tell about a finished run, besides the chat that started it.

    A subscriber hears about runs it did not start itself: a private chat skips the runs
    its member started (wherever), a group skips runs started from that group. Skipped runs
    (a schedule finding the kind busy) are noise and never announced; failures-only
    subscribers hear about failures only, and so does everybody of the refreshes webhooks
    start (one per edit in Notion would be a flood).
    """
    if run.status == SyncRun.Status.SKIPPED:
        return []
    if run.trigger == SyncRun.Trigger.WEBHOOK and (
        run.status != SyncRun.Status.FAILED or _refresh_failed_before(run)
    ):
        return []
    subs = _deliverable(Subscription.objects.filter(scope__in=Subscription.RUN_SCOPES))
    if run.status != SyncRun.Status.FAILED:
        subs = subs.filter(scope=Subscription.Scope.ALL)
    if run.chat_id is not None:
        subs = subs.exclude(chat_id=run.chat_id)
    if run.triggered_by_id is not None:
        subs = subs.exclude(Q(chat_id__gt=0) & Q(human_id=run.triggered_by_id))
    return list(subs.order_by("id"))


def _refresh_failed_before(run: SyncRun) -> bool:
    """Whether the webhook refresh of the kind before this one failed too: subscribers hear
    of the first failure of a series, not of every retry during an outage."""
    previous = (
        SyncRun.objects.filter(kind=run.kind, trigger=SyncRun.Trigger.WEBHOOK, pk__lt=run.pk)
        .order_by("-pk")
        .values_list("status", flat=True)
        .first()
    )
    return previous == SyncRun.Status.FAILED


def subscriptions_for_access(*, except_human_id: int | None = None) -> list[Subscription]:
    """Chats to tell about a new Telegram binding (not the newly bound member's own)."""
    subs = _deliverable(Subscription.objects.filter(scope=Subscription.Scope.ACCESS))
    if except_human_id is not None:
        subs = subs.exclude(Q(chat_id__gt=0) & Q(human_id=except_human_id))
    return list(subs.order_by("id"))


def subscriptions_exist() -> bool:
    return Subscription.objects.filter(is_active=True).exists()


def subscriptions_for_problems() -> list[Subscription]:
    """Chats to tell about a problem that is nobody's run (a Notion schema change): every
    chat subscribed to run results that may still hear from us."""
    subs = _deliverable(Subscription.objects.filter(scope__in=Subscription.RUN_SCOPES))
    return list(subs.order_by("id"))
