"""Who may talk to the bot: active Humans, recognised by the Telegram id written in Notion,
else by the id bound on their first message, else by username (which binds the id)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from botapp import services
from people.models import Human
from people.selectors import TelegramMatchProblem, human_for_telegram, human_is_bound_to
from people.services import human_bind_telegram

UNKNOWN = TelegramMatchProblem.UNKNOWN


@dataclass(frozen=True)
class Sender:
    """The parts of a Telegram update authorisation looks at."""

    user_id: int
    username: str | None
    full_name: str
    chat_id: int | None
    text: str


@dataclass(frozen=True)
class Authorization:
    human: Human | None
    # Why the sender was refused: a `TelegramMatchProblem` value.
    problem: str | None = None
    # How a member was recognised: a `TelegramMatchMethod` value.
    method: str | None = None

    @property
    def ok(self) -> bool:
        return self.human is not None


def authorize(sender: Sender) -> Authorization:
    """Authorise one update's sender; binds the Telegram id on a member's first message by
    username (and has the access subscribers told).

    A refusal writes nothing here: the caller records it (`record_refusal`) off the
    members' path, so an outsider never waits on a database lock in their place.
    """
    match = human_for_telegram(user_id=sender.user_id, username=sender.username)
    if not match.ok:
        return Authorization(human=None, problem=(match.problem or UNKNOWN).value)
    if match.by_username:
        with transaction.atomic():
            bound = human_bind_telegram(human=match.human, user_id=sender.user_id)
            if bound:
                services.access_binding_announce(
                    human=match.human,
                    user_id=sender.user_id,
                    username=sender.username,
                    name=sender.full_name,
                )
        if not bound and not human_is_bound_to(human=match.human, user_id=sender.user_id):
            # Bound meanwhile, to another account (the handle's previous owner writing at
            # the same moment): that one is the member, not this sender.
            return Authorization(human=None, problem=UNKNOWN.value)
    return Authorization(human=match.human, method=match.method.value)


def record_refusal(sender: Sender, *, reason: str, answered: bool) -> None:
    """Keep a refused update for the admin (`answered`: whether the sender was told)."""
    services.access_attempt_record(
        telegram_user_id=sender.user_id,
        username=sender.username,
        full_name=sender.full_name,
        chat_id=sender.chat_id,
        text=sender.text,
        reason=reason,
        answered=answered,
    )
