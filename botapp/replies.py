"""Answering an update: in its chat, quoting the command, with a short flood-control wait."""

from __future__ import annotations

import asyncio

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import RetryAfter

from botapp.notifier import retry_seconds

MAX_REPLY_WAIT = 10.0


async def reply(
    update: Update,
    text: str,
    *,
    markup: InlineKeyboardMarkup | None = None,
    quote: bool | None = None,
) -> Message | None:
    """Answer in the chat of the update, quoting the command in groups (it says to whom)
    or when `quote` asks for it.

    Flood control (429) is sat through once when it is short; other errors go to the error
    handler.
    """
    chat = update.effective_chat
    if chat is None:
        return None
    kwargs = {
        "text": text,
        "parse_mode": ParseMode.HTML,
        "reply_markup": markup,
        "link_preview_options": LinkPreviewOptions(is_disabled=True),
    }
    for attempt in (1, 2):
        try:
            if update.message is not None:
                return await update.message.reply_text(**kwargs, do_quote=quote)
            return await chat.send_message(**kwargs)
        except RetryAfter as exc:
            seconds = retry_seconds(exc)
            if attempt == 2 or seconds > MAX_REPLY_WAIT:
                raise
            await asyncio.sleep(seconds)
    return None
