"""The bot's update callbacks: parse the update, call one service, answer with a text.

Every callback runs under `bot_handler`, which activates the bot's language for the update.
Database work goes through `db()` (botapp/dbcalls.py: a bounded pool of threads, connections
closed around each call): nothing blocks the event loop, and one slow call does not hold up
the others. The gate (`botapp.guard.guard`) runs first, in handler group -1, and stops the
update unless it is a member's fresh command in a chat the bot serves.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Awaitable, Callable

from django.conf import settings
from django.utils import translation
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from botapp import selectors, services, texts
from botapp.dbcalls import db
from botapp.replies import reply
from integrations.services import SyncAlreadyActive
from integrations.sync import registry

logger = logging.getLogger(__name__)

Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]

# callback_data prefixes (Telegram allows 64 bytes).
SYNC_PREFIX = "sync:"
SUBSCRIBE_PREFIX = "sub:"


def bot_handler(callback: Callback) -> Callback:
    @functools.wraps(callback)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if getattr(context, "human", None) is None:
            # Only the guard lets an update through, and only with a member: never answer
            # anyone else, whatever went wrong before.
            logger.warning("Update %s reached %s unauthorised", update.update_id, callback.__name__)
            return
        with translation.override(settings.LANGUAGE_CODE):
            await callback(update, context)

    return wrapper


def human_of(context: ContextTypes.DEFAULT_TYPE):
    return context.human  # set by the guard


# --- help ------------------------------------------------------------------------------


@bot_handler
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    first_name = update.effective_user.first_name
    await reply(update, texts.help_text(registry.enabled_kinds(), first_name=first_name))


@bot_handler
async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await reply(update, texts.help_text(registry.enabled_kinds()))


@bot_handler
async def whoami(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if context.args:
        await reply(update, texts.no_arguments("whoami"))
        return
    user = update.effective_user
    subscriptions = await db(selectors.subscriptions_for_chat, chat_id=update.effective_chat.id)
    await reply(
        update,
        texts.whoami(
            full_name=human_of(context).full_name,
            user_id=user.id,
            username=user.username,
            method=getattr(context, "recognised_by", None) or "bound_id",
            subscriptions=subscriptions,
        ),
    )


@bot_handler
async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    command = (update.message.text or "").split(maxsplit=1)[0]
    await reply(update, texts.unknown_command(command))


@bot_handler
async def plain_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await reply(update, texts.plain_text_hint())


@bot_handler
async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer(texts.stale_button(), show_alert=True)


# --- syncs -----------------------------------------------------------------------------


def _sync_keyboard() -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(str(kind.label), callback_data=f"{SYNC_PREFIX}{kind.name}")
        for kind in registry.enabled_kinds()
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    everything = InlineKeyboardButton(
        texts.sync_button_all(), callback_data=f"{SYNC_PREFIX}{registry.ALL}"
    )
    rows.append([everything])
    return InlineKeyboardMarkup(rows)


async def run_sync(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str) -> None:
    """Create the runs (the database lock decides), answer with #id, then queue them."""
    chat = update.effective_chat
    if kind != registry.ALL and not registry.get(kind).is_enabled:
        await reply(update, texts.sync_kind_disabled(registry.get(kind)))
        return
    try:
        runs = await db(
            services.telegram_sync_request, human=human_of(context), kind=kind, chat_id=chat.id
        )
    except SyncAlreadyActive as busy:
        await reply(update, texts.sync_busy(busy.run))
        return
    message = None
    try:
        message = await reply(update, texts.sync_accepted(runs))
    finally:
        # Queue even when the answer failed: the run must not wait for the queued-timeout.
        await db(
            services.telegram_sync_dispatch,
            runs=runs,
            message_id=message.message_id if message else None,
        )


def sync_kind_command(kind: str) -> Callback:
    """`/sync_<kind>` (and `/sync_all`) for one registered kind."""

    @bot_handler
    async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.args:
            command = "sync_all" if kind == registry.ALL else registry.get(kind).command
            await reply(update, texts.no_arguments(command))
            return
        await run_sync(update, context, kind)

    callback.__name__ = f"sync_{kind}"
    return callback


@bot_handler
async def sync_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/sync` shows buttons; `/sync humans` works as `/sync_humans`."""
    if context.args:
        wanted = " ".join(context.args).strip().lower().removeprefix("sync_")
        if len(context.args) == 1 and wanted in registry.choices():
            await run_sync(update, context, wanted)
        else:
            await reply(
                update, texts.sync_unknown_kind(" ".join(context.args), registry.enabled_kinds())
            )
        return
    await reply(update, texts.sync_choose(), markup=_sync_keyboard())


@bot_handler
async def sync_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    kind = (query.data or "").removeprefix(SYNC_PREFIX)
    if kind not in registry.choices():
        await query.answer(texts.stale_button(), show_alert=True)
        return
    await query.answer()
    await run_sync(update, context, kind)


# --- status and history ----------------------------------------------------------------


def _render_status() -> str:
    last, success = selectors.sync_runs_last_by_kind()
    return texts.status(
        active=selectors.sync_runs_active(), last_by_kind=last, last_success_by_kind=success
    )


@bot_handler
async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if context.args:
        await reply(update, texts.no_arguments("status"))
        return
    await reply(update, await db(_render_status))


def _render_history(limit: int) -> str:
    return texts.history(selectors.sync_runs_recent(limit=limit))


@bot_handler
async def history(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    limit = selectors.HISTORY_DEFAULT
    if context.args:
        if len(context.args) != 1 or not re.fullmatch(r"[0-9]{1,3}", context.args[0]):
            await reply(update, texts.history_bad_argument())
            return
        limit = max(1, min(int(context.args[0]), selectors.HISTORY_MAX))
    await reply(update, await db(_render_history, limit))


# --- subscriptions ---------------------------------------------------------------------


def _subscribe_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.subscribe_button_all(), callback_data=f"{SUBSCRIBE_PREFIX}all"
                ),
                InlineKeyboardButton(
                    texts.subscribe_button_failures(),
                    callback_data=f"{SUBSCRIBE_PREFIX}failures",
                ),
            ],
            [
                InlineKeyboardButton(
                    texts.subscribe_button_access(), callback_data=f"{SUBSCRIBE_PREFIX}access"
                )
            ],
        ]
    )


SCOPES = {
    "all": "all",
    "failures": "failures",
    "failed": "failures",
    "errors": "failures",
    "access": "access",
    "bindings": "access",
}


async def _subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE, scope: str) -> None:
    subscription = await db(
        services.subscription_set,
        chat_id=update.effective_chat.id,
        human=human_of(context),
        scope=scope,
    )
    await reply(update, texts.subscribed(subscription.scope))


@bot_handler
async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if context.args:
        scope = SCOPES.get(" ".join(context.args).strip().lower())
        if scope is None:
            await reply(update, texts.subscription_bad_argument())
            return
        await _subscribe(update, context, scope)
        return
    await reply(update, texts.subscribe_choose(), markup=_subscribe_keyboard())


@bot_handler
async def subscribe_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    scope = SCOPES.get((query.data or "").removeprefix(SUBSCRIBE_PREFIX))
    if scope is None:
        await query.answer(texts.stale_button(), show_alert=True)
        return
    await query.answer()
    await _subscribe(update, context, scope)


@bot_handler
async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if context.args:
        await reply(update, texts.no_arguments("unsubscribe"))
        return
    was = await db(services.subscription_cancel, chat_id=update.effective_chat.id)
    await reply(update, texts.unsubscribed() if was else texts.not_subscribed())


# --- errors ----------------------------------------------------------------------------


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error and tell the member, rather than leaving them in silence."""
    logger.error("Update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        text = texts.something_went_wrong()
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):  # already answered by the handler, maybe
            await update.callback_query.answer()
    try:
        await update.effective_chat.send_message(text, parse_mode=ParseMode.HTML)
    except TelegramError as exc:
        logger.warning("Could not tell chat %s about the error: %s", update.effective_chat.id, exc)
