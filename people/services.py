"""Write-side operations on people."""

from __future__ import annotations

from people.models import Human


def human_bind_telegram(*, human: Human, user_id: int) -> bool:
    """Remember the member's Telegram id so a later handle change keeps their access.

    Binds only an unbound Human (a concurrent first message from the same member is
    harmless); returns whether this call bound it. The sync clears the binding when the
    handle changes in Notion, or when Notion names another Telegram id.
    """
    bound = Human.objects.filter(pk=human.pk, telegram_user_id__isnull=True).update(
        telegram_user_id=user_id
    )
    if bound:
        human.telegram_user_id = user_id
    return bool(bound)
