"""Write-side operations of the bot: syncs asked in Telegram, subscriptions, access log."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from botapp.models import AccessAttempt, Subscription
from integrations import services as sync_services
from integrations.models import ACTIVE_STATUSES, SyncRun
from people.models import Human

# An outsider who keeps writing is answered once per this period (every attempt is stored).
REFUSAL_COOLDOWN = timedelta(minutes=10)
ACCESS_TEXT_LIMIT = 500


def access_attempt_record(
    *,
    telegram_user_id: int,
    username: str | None,
    full_name: str,
    chat_id: int | None,
    text: str,
    reason: str,
) -> AccessAttempt:
    """Store a refused update; `answered` says whether the sender should get the refusal.

    Only the first attempt in `REFUSAL_COOLDOWN` is answered, so a flood of messages (or
    several outsiders' spam in a group) does not make the bot spam back.
    """
    since = timezone.now() - REFUSAL_COOLDOWN
    answered_recently = AccessAttempt.objects.filter(
        telegram_user_id=telegram_user_id, answered=True, created_at__gte=since
    ).exists()

    def clean(value: str | None, limit: int) -> str:
        return (value or "").replace("\x00", "")[:limit]  # PostgreSQL text refuses NUL

    return AccessAttempt.objects.create(
        telegram_user_id=telegram_user_id,
        username=clean(username, 64),
        full_name=clean(full_name, 300),
        chat_id=chat_id,
        text=clean(text, ACCESS_TEXT_LIMIT),
        reason=reason,
        answered=not answered_recently,
    )


def telegram_sync_request(*, human: Human, kind: str, chat_id: int) -> list[SyncRun]:
    """Queue a full sync of `kind` (or `all`) asked by a member; the lock may refuse it.

    Raises `integrations.services.SyncAlreadyActive` naming the active run. The runs are
    not handed to the worker yet: `telegram_sync_dispatch` does it once the accepted
    message exists, so the worker always knows which message to update.
    """
    return sync_services.sync_runs_create(
        kind=kind,
        trigger=SyncRun.Trigger.TELEGRAM,
        mode=SyncRun.Mode.FULL,
        triggered_by=human,
        chat_id=chat_id,
    )


def telegram_sync_dispatch(*, runs: list[SyncRun], message_id: int | None) -> None:
    """Remember the accepted message on the runs and queue them for the worker."""
    with transaction.atomic():
        if message_id is not None:
            SyncRun.objects.filter(pk__in=[run.pk for run in runs]).update(message_id=message_id)
        sync_services.sync_runs_enqueue(runs=runs)


def subscription_set(*, chat_id: int, human: Human | None, scope: str) -> Subscription:
    subscription, _created = Subscription.objects.update_or_create(
        chat_id=chat_id,
        defaults={"human": human, "scope": scope, "is_active": True, "disabled_reason": ""},
    )
    return subscription


def subscription_cancel(*, chat_id: int) -> bool:
    """The chat asked to stop; returns whether it was subscribed."""
    return bool(
        Subscription.objects.filter(chat_id=chat_id, is_active=True).update(
            is_active=False, disabled_reason="unsubscribed", updated_at=timezone.now()
        )
    )


def subscription_disable(*, chat_id: int, reason: str) -> bool:
    """Switch a chat's subscription off because Telegram will not deliver to it."""
    return bool(
        Subscription.objects.filter(chat_id=chat_id, is_active=True).update(
            is_active=False, disabled_reason=reason[:200], updated_at=timezone.now()
        )
    )


def sync_run_claim_end_notification(*, run: SyncRun) -> bool:
    """Mark the run's end as announced; only the first caller gets True (never twice)."""
    now = timezone.now()
    claimed = (
        SyncRun.objects.filter(pk=run.pk, end_notified_at__isnull=True)
        .exclude(status__in=ACTIVE_STATUSES)
        .update(end_notified_at=now)
    )
    if claimed:
        run.end_notified_at = now
    return bool(claimed)
