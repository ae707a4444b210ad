"""Write-side operations of the bot: syncs asked in Telegram, subscriptions, access log."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from botapp.models import AccessAttempt, Subscription
from integrations import services as sync_services
from integrations.models import ACTIVE_STATUSES, SyncRun
from people.models import Human

ACCESS_TEXT_LIMIT = 500


def access_attempt_record(
    *,
    telegram_user_id: int,
    username: str | None,
    full_name: str,
    chat_id: int | None,
    text: str,
    reason: str,
    answered: bool,
) -> AccessAttempt:
    """Store a refused update; `answered` says whether the sender (or the group) was told
    (the bot decides that in memory: botapp/refusals.py)."""

    def clean(value: str | None, limit: int) -> str:
        return (value or "").replace("\x00", "")[:limit]  # PostgreSQL text refuses NUL

    return AccessAttempt.objects.create(
        telegram_user_id=telegram_user_id,
        username=clean(username, 64),
        full_name=clean(full_name, 300),
        chat_id=chat_id,
        text=clean(text, ACCESS_TEXT_LIMIT),
        reason=reason,
        answered=answered,
    )


def access_attempts_prune(*, older_than: timedelta) -> int:
    """Forget refused attempts older than `older_than`; returns how many."""
    deleted, _by_model = AccessAttempt.objects.filter(
        created_at__lt=timezone.now() - older_than
    ).delete()
    return deleted


def access_binding_announce(*, human: Human, user_id: int, username: str | None, name: str):
    """Queue the message to the access subscribers: this account now acts as this Human."""
    if not Subscription.objects.filter(scope=Subscription.Scope.ACCESS, is_active=True).exists():
        return
    from django_q.tasks import async_task

    transaction.on_commit(
        lambda: async_task(
            "botapp.tasks.announce_binding",
            human.pk,
            user_id,
            username or "",
            name,
            task_name=f"binding of {user_id}",
            group="notify",
        )
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
    """Subscribe a chat: to run results (`all` or `failures`, one of them) or to `access`."""
    defaults = {"human": human, "scope": scope, "is_active": True, "disabled_reason": ""}
    if scope == Subscription.Scope.ACCESS:
        lookup = {"scope": Subscription.Scope.ACCESS}
    else:
        lookup = {"scope__in": Subscription.RUN_SCOPES}
    subscription, _created = Subscription.objects.update_or_create(
        chat_id=chat_id, **lookup, defaults=defaults
    )
    return subscription


def subscription_cancel(*, chat_id: int) -> bool:
    """The chat asked to stop (everything); returns whether it was subscribed."""
    return bool(
        Subscription.objects.filter(chat_id=chat_id, is_active=True).update(
            is_active=False, disabled_reason="unsubscribed", updated_at=timezone.now()
        )
    )


def subscription_disable(*, chat_id: int, reason: str) -> bool:
    """Switch a chat's subscriptions off because Telegram will not deliver to it."""
    return bool(
        Subscription.objects.filter(chat_id=chat_id, is_active=True).update(
            is_active=False, disabled_reason=reason[:200], updated_at=timezone.now()
        )
    )


def subscriptions_end_for_departed() -> int:
    """Switch off the subscriptions of members who are no longer active (they left the
    organisation, or their Human is gone): their groups stop hearing about runs.

    (A private chat whose binding was cleared by a handle change in Notion is not switched
    off: it is only skipped until its member writes again, see `subscriptions_for_run`.)
    """
    return (
        Subscription.objects.filter(is_active=True)
        .filter(Q(human__isnull=True) | Q(human__is_active=False))
        .update(
            is_active=False,
            disabled_reason="the member who subscribed left",
            updated_at=timezone.now(),
        )
    )


def subscription_migrate(*, old_chat_id: int, new_chat_id: int) -> int:
    """A basic group became a supergroup (new id): its subscriptions follow it."""
    moved = 0
    with transaction.atomic():
        for subscription in Subscription.objects.select_for_update().filter(chat_id=old_chat_id):
            taken = Subscription.objects.filter(chat_id=new_chat_id)
            if subscription.scope == Subscription.Scope.ACCESS:
                taken = taken.filter(scope=Subscription.Scope.ACCESS)
            else:
                taken = taken.filter(scope__in=Subscription.RUN_SCOPES)
            if taken.exists():
                subscription.delete()  # the new chat subscribed itself meanwhile
                continue
            subscription.chat_id = new_chat_id
            subscription.save(update_fields=["chat_id", "updated_at"])
            moved += 1
    return moved


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
