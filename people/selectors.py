"""Read-side queries about people."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Q
from django.db.models.functions import Lower

from people.models import Human
from people.normalize import normalize_telegram_username


class TelegramMatchProblem(StrEnum):
    UNKNOWN = "unknown"  # no Human has this id or handle (or the handle is bound to another id)
    INACTIVE = "inactive"  # the Human left: is_active=False in Notion
    AMBIGUOUS = "ambiguous"  # two active Humans share the handle (or the id): fix Notion


class TelegramMatchMethod(StrEnum):
    """How a Telegram user was recognised, from the most trusted to the least."""

    NOTION_ID = "notion_id"  # the numeric id written in Notion
    BOUND_ID = "bound_id"  # the id bound on their first message (matched by handle then)
    USERNAME = "username"  # the handle, now: the id is bound after this message


@dataclass(frozen=True)
class TelegramMatch:
    """Who a Telegram user is for us: an active Human, or why nobody."""

    human: Human | None
    problem: TelegramMatchProblem | None = None
    method: TelegramMatchMethod | None = None

    @property
    def ok(self) -> bool:
        return self.human is not None

    @property
    def by_username(self) -> bool:
        """The match came from the handle and the id still has to be bound."""
        return self.method == TelegramMatchMethod.USERNAME


def _with_handle(handle: str):
    # Matches the functional index on Lower(telegram_username).
    return Human.objects.alias(tg_handle=Lower("telegram_username")).filter(tg_handle=handle)


def _one(humans, method: TelegramMatchMethod) -> TelegramMatch | None:
    found = list(humans[:2])
    if len(found) > 1:
        return TelegramMatch(human=None, problem=TelegramMatchProblem.AMBIGUOUS)
    if found:
        return TelegramMatch(human=found[0], method=method)
    return None


def human_for_telegram(*, user_id: int, username: str | None) -> TelegramMatch:
    """Find the active Human behind a Telegram user, most trusted evidence first:

    1. the Telegram id written in Notion (`notion_telegram_user_id`): nobody else can claim it;
    2. the id bound on their first message, unless Notion names another id for that Human;
    3. the handle, for a Human with no bound id and no id in Notion (the caller binds it).

    The id wins because a member keeps access after renaming their Telegram handle. A handle
    whose Human is bound to a *different* id, or has a different id in Notion, does not
    match: Telegram handles are reused, and the new owner of an old handle is not our member.
    """
    active = Human.objects.filter(is_active=True)
    match = _one(active.filter(notion_telegram_user_id=user_id), TelegramMatchMethod.NOTION_ID)
    if match is not None:
        return match
    bound = active.filter(telegram_user_id=user_id, notion_telegram_user_id__isnull=True)
    match = _one(bound, TelegramMatchMethod.BOUND_ID)
    if match is not None:
        return match

    handle, _ok = normalize_telegram_username(username)
    if handle:
        match = _one(_with_handle(handle).filter(is_active=True), TelegramMatchMethod.USERNAME)
        if match is not None and match.human is not None:
            human = match.human
            if human.telegram_user_id is None and human.notion_telegram_user_id is None:
                return match
            return TelegramMatch(human=None, problem=TelegramMatchProblem.UNKNOWN)
        if match is not None:
            return match  # ambiguous

    left = Human.objects.filter(is_active=False).filter(
        Q(telegram_user_id=user_id) | Q(notion_telegram_user_id=user_id)
    )
    if handle:
        left = left | _with_handle(handle).filter(is_active=False)
    if left.exists():
        return TelegramMatch(human=None, problem=TelegramMatchProblem.INACTIVE)
    return TelegramMatch(human=None, problem=TelegramMatchProblem.UNKNOWN)


def human_is_bound_to(*, human: Human, user_id: int) -> bool:
    """Whether the Human's bound Telegram id (as stored now) is `user_id`."""
    return Human.objects.filter(pk=human.pk, telegram_user_id=user_id).exists()
