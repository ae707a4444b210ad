"""Read-side queries about people."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db.models.functions import Lower

from people.models import Human
from people.normalize import normalize_telegram_username


class TelegramMatchProblem(StrEnum):
    UNKNOWN = "unknown"  # no Human has this id or handle (or the handle is bound to another id)
    INACTIVE = "inactive"  # the Human left: is_active=False in Notion
    AMBIGUOUS = "ambiguous"  # two active Humans share the handle: Notion must be fixed


@dataclass(frozen=True)
class TelegramMatch:
    """Who a Telegram user is for us: an active Human, or why nobody."""

    human: Human | None
    problem: TelegramMatchProblem | None = None
    # True when the match came from the handle and the id still has to be bound.
    by_username: bool = False

    @property
    def ok(self) -> bool:
        return self.human is not None


def _with_handle(handle: str):
    # Matches the functional index on Lower(telegram_username).
    return Human.objects.alias(tg_handle=Lower("telegram_username")).filter(tg_handle=handle)


def human_for_telegram(*, user_id: int, username: str | None) -> TelegramMatch:
    """Find the active Human behind a Telegram user: by the bound id first, else by handle.

    The id wins because a member keeps access after renaming their Telegram handle. A handle
    whose Human is already bound to a *different* id does not match: Telegram handles are
    reused, and the new owner of an old handle is not our member.
    """
    by_id = list(Human.objects.filter(telegram_user_id=user_id, is_active=True)[:2])
    if len(by_id) == 1:
        return TelegramMatch(human=by_id[0])
    if len(by_id) > 1:
        return TelegramMatch(human=None, problem=TelegramMatchProblem.AMBIGUOUS)

    handle, _ok = normalize_telegram_username(username)
    if handle:
        by_handle = list(_with_handle(handle).filter(is_active=True)[:2])
        if len(by_handle) > 1:
            return TelegramMatch(human=None, problem=TelegramMatchProblem.AMBIGUOUS)
        if len(by_handle) == 1:
            human = by_handle[0]
            if human.telegram_user_id is None:
                return TelegramMatch(human=human, by_username=True)
            return TelegramMatch(human=None, problem=TelegramMatchProblem.UNKNOWN)

    left = Human.objects.filter(is_active=False, telegram_user_id=user_id)
    if handle:
        left = left | _with_handle(handle).filter(is_active=False)
    if left.exists():
        return TelegramMatch(human=None, problem=TelegramMatchProblem.INACTIVE)
    return TelegramMatch(human=None, problem=TelegramMatchProblem.UNKNOWN)
