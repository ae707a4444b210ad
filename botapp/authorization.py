"""Who may talk to the bot: active Humans, recognised by the Telegram id written in Notion,
else by the id bound on their first message, else by username (which binds the id)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from botapp import services
from people.models import Human
from people.selectors import TelegramMatchProblem, human_for_telegram, human_is_bound_to
from people.services import human_bind_telegram


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
    # Whether to answer the refusal (outsiders are answered once per cooldown).
    answer: bool = False
    # How a member was recognised: a `TelegramMatchMethod` value.
    method: str | None = None

    @property
    def ok(self) -> bool:
        return self.human is not None


def authorize(sender: Sender) -> Authorization:
    """Authorise one update's sender; binds the Telegram id on a member's first message by
    username (and has the access subscribers told), and records every refused attempt."""
    match = human_for_telegram(user_id=sender.user_id, username=sender.username)
    if match.ok:
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
                # Bound meanwhile, to another account (the handle's previous owner writing
                # at the same moment): that one is the member, not this sender.
                return refuse(sender, TelegramMatchProblem.UNKNOWN.value)
        return Authorization(human=match.human, method=match.method.value)
    return refuse(sender, (match.problem or TelegramMatchProblem.UNKNOWN).value)


def refuse(sender: Sender, reason: str) -> Authorization:
    """Record a refused update; `answer` says whether to tell the sender (or the group)."""
    with transaction.atomic():
        attempt = services.access_attempt_record(
            telegram_user_id=sender.user_id,
            username=sender.username,
            full_name=sender.full_name,
            chat_id=sender.chat_id,
            text=sender.text,
            reason=reason,
        )
    return Authorization(human=None, problem=reason, answer=attempt.answered)
