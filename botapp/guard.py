"""The gate every update passes first (handler group -1): floods, the chat, the sender, the
age of the command. Only a member's fresh update in a private chat or an allowed group goes
on to the command handlers, with `context.human` set.

In that order, so that the cheap checks come first: the flood limit is decided in memory
(no database work for a flood), the chat by settings, the sender by one database read (a
first message by username also binds), and freshness last (only a member is told): a
forwarded message is never run, a command by its age, a button press by whether it waited
while the bot was down (botapp/backlog.py). A refusal writes nothing on the members' database
threads: whether it is answered is decided in memory (botapp/refusals.py) and its record
goes to the background writer (botapp/dbwriter.py).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import translation
from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes

from botapp import authorization, services, texts
from botapp.backlog import StartupBacklog
from botapp.dbcalls import db
from botapp.dbwriter import BackgroundWriter
from botapp.flood import FloodGuard
from botapp.models import AccessAttempt
from botapp.refusals import RefusalCooldown
from botapp.replies import reply

logger = logging.getLogger(__name__)

# Keys of the guard's state in the Application's bot_data (one bot process per token).
FLOOD_GUARD = "flood_guard"
REFUSALS = "refusals"
WRITER = "db_writer"
BACKLOG = "startup_backlog"


def install(application) -> None:
    """The guard's in-memory state, for one Application."""
    application.bot_data[FLOOD_GUARD] = FloodGuard()
    application.bot_data[REFUSALS] = RefusalCooldown()
    application.bot_data[WRITER] = BackgroundWriter()
    application.bot_data.setdefault(BACKLOG, StartupBacklog())


def uninstall(application) -> None:
    """At shutdown: the records still queued are written (for a few seconds at most)."""
    writer = application.bot_data.get(WRITER)
    if writer is not None:
        writer.shutdown()


def _addressed_to_bot(message: Message, bot_username: str) -> bool:
    """In groups only commands for this bot (or mentions of it) are ours to answer."""
    text = message.text or ""
    mention = "@" + bot_username.lower()
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0].lower()
        return "@" not in command or command.endswith(mention)
    return mention in text.lower()


def _is_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type != ChatType.PRIVATE


def group_allowed(chat_id: int) -> bool:
    return chat_id in settings.TELEGRAM_GROUP_CHATS


async def guard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Let members through (context.human), answer the others once, drop the rest.

    Fails closed: whatever goes wrong while deciding or refusing (the database busy,
    Telegram refusing the answer), the update stops here. PTB would otherwise run the
    error handler and then go on to the command handlers.
    """
    try:
        await _guard(update, context)
    except ApplicationHandlerStop:
        raise
    except Exception:
        logger.exception("Authorisation of update %s failed; dropped", update.update_id)
        context.human = None
        raise ApplicationHandlerStop from None


async def _guard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user, chat = update.effective_user, update.effective_chat
    message, query = update.message, update.callback_query
    if message is not None and message.migrate_to_chat_id:
        await _group_migrated(update, context)
        raise ApplicationHandlerStop
    if user is None or user.is_bot or (message is None and query is None):
        raise ApplicationHandlerStop
    if message is not None and message.is_automatic_forward:
        # A channel post Telegram copied into its discussion group: nobody sent it to us.
        raise ApplicationHandlerStop
    in_group = _is_group(update)
    if message is not None and in_group and not _addressed_to_bot(message, context.bot.username):
        raise ApplicationHandlerStop

    served_chat = not in_group or group_allowed(chat.id)
    state = context.application.bot_data
    flood: FloodGuard = state[FLOOD_GUARD]
    # In a group the bot does not serve, a member hears the one hint and nothing else.
    admission = await flood.admit(user.id, may_notify=served_chat)
    if not admission.allowed:
        if admission.notify:
            with translation.override(settings.LANGUAGE_CODE):
                await _answer(update, texts.too_many_commands(seconds=admission.wait))
        raise ApplicationHandlerStop

    text = (message.text or message.caption or "") if message is not None else (query.data or "")
    sender = authorization.Sender(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        chat_id=chat.id if chat else None,
        text=text,
    )
    if not served_chat:
        await _refuse_group(update, context, sender)
        raise ApplicationHandlerStop

    async with flood.serial(user.id):
        result = await db(authorization.authorize, sender)
    flood.remember(user.id, member=result.ok)
    if not result.ok:
        await _refuse(update, context, sender, result)
        raise ApplicationHandlerStop

    if message is not None and message.forward_origin is not None:
        # Someone else's message (its date is the forward's): never run, whatever its age.
        with translation.override(settings.LANGUAGE_CODE):
            await reply(update, texts.forwarded_command(command=_command(text)), quote=True)
        logger.info("Forwarded update %s: not run", update.update_id)
        raise ApplicationHandlerStop

    if query is not None:
        if state[BACKLOG].waited(update.update_id):
            with translation.override(settings.LANGUAGE_CODE):
                await query.answer(texts.plain(texts.stale_press()), show_alert=True)
            logger.info("Button press %s waited while the bot was down: not run", update.update_id)
            raise ApplicationHandlerStop
    elif _too_late(message):
        with translation.override(settings.LANGUAGE_CODE):
            await reply(
                update,
                texts.stale_command(command=_command(text), sent_at=message.date),
                quote=True,
            )
        logger.info("Stale update %s (sent %s): not run", update.update_id, message.date)
        raise ApplicationHandlerStop

    context.human = result.human
    context.recognised_by = result.method


def _command(text: str) -> str:
    return text.split(maxsplit=1)[0] if text else ""


def _too_late(message: Message) -> bool:
    """A command that waited on Telegram longer than TELEGRAM_STALE_COMMAND_SECONDS (the
    bot was down): its date is when it was sent."""
    limit = settings.TELEGRAM_STALE_COMMAND_SECONDS
    return bool(limit) and datetime.now(UTC) - message.date > timedelta(seconds=limit)


async def _answer(update: Update, text: str) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(texts.plain(text, limit=190), show_alert=True)
    else:
        await reply(update, text)


def _record(
    context: ContextTypes.DEFAULT_TYPE, sender: authorization.Sender, *, key, reason: str
) -> bool:
    """Decide whether this refusal is answered, and have it recorded in the background."""
    state = context.application.bot_data
    answer = state[REFUSALS].answer(key)
    state[WRITER].submit(authorization.record_refusal, sender, reason=reason, answered=answer)
    return answer


async def _refuse(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    sender: authorization.Sender,
    result: authorization.Authorization,
) -> None:
    user = update.effective_user
    answered = _record(context, sender, key=("user", user.id), reason=result.problem)
    with translation.override(settings.LANGUAGE_CODE):
        if result.problem == "ambiguous":
            answer = texts.access_ambiguous(user_id=user.id, username=user.username)
        else:
            answer = texts.access_refused(user_id=user.id, username=user.username)
        if update.callback_query is not None:
            await update.callback_query.answer(
                texts.plain(answer, limit=190) if answered else None,
                show_alert=answered,
            )
        elif answered:
            await reply(update, answer)
    logger.info(
        "Refused %s (id %s, @%s): %s", user.full_name, user.id, user.username, result.problem
    )


async def _refuse_group(
    update: Update, context: ContextTypes.DEFAULT_TYPE, sender: authorization.Sender
) -> None:
    """A group that is not allowed: a hint (no data), once per cooldown; a button presser
    always gets it privately, as an alert."""
    chat_id = update.effective_chat.id
    answered = _record(context, sender, key=("group", chat_id), reason=AccessAttempt.Reason.GROUP)
    with translation.override(settings.LANGUAGE_CODE):
        if update.callback_query is not None:
            alert = texts.group_not_allowed_alert(chat_id=chat_id)
            await update.callback_query.answer(texts.plain(alert), show_alert=True)
        elif answered:
            await reply(update, texts.group_not_allowed(chat_id=chat_id))
    logger.info("Group %s is not allowed: command not served", chat_id)


async def _group_migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A basic group became a supergroup: its subscriptions follow the new id, and an
    allowed group is told which id an admin must allow now."""
    old_id, new_id = update.effective_chat.id, update.message.migrate_to_chat_id
    moved = await db(services.subscription_migrate, old_chat_id=old_id, new_chat_id=new_id)
    logger.warning(
        "Group %s became supergroup %s (%d subscriptions moved); allowed: %s",
        old_id,
        new_id,
        moved,
        group_allowed(new_id),
    )
    if group_allowed(old_id) and not group_allowed(new_id):
        with translation.override(settings.LANGUAGE_CODE):
            text = texts.group_migrated(old_chat_id=old_id, new_chat_id=new_id)
        await context.bot.send_message(new_id, text, parse_mode="HTML")
