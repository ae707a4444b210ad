"""The bot's commands for lists from Google Sheets: `/import_list <link>` and `/lists`.

Thin like the rest: parse, call one service, answer with a text. `/import_list` is a run of
the `lists` kind: accepted with its `#id`, queued for the worker once the accepted message
exists, followed and reported like any sync (the end message comes from the kind's summary).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from botapp import services, texts
from botapp.handlers import bot_handler, db, human_of, reply
from integrations.models import SyncRun
from integrations.services import SyncAlreadyActive
from integrations.sheets.errors import NotASheetsLink
from lists import selectors as list_selectors
from lists import services as list_services


@bot_handler
async def import_list(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/import_list <link> [tab]`: register the sheet (or find it) and load it now."""
    if not context.args:
        email = await db(list_selectors.google_service_account_email)
        await reply(update, texts.import_list_usage(email))
        return
    link, sheet = context.args[0], " ".join(context.args[1:]) or None
    try:
        runs = await db(
            list_services.list_import_start,
            link=link,
            sheet=sheet,
            trigger=SyncRun.Trigger.TELEGRAM,
            triggered_by=human_of(context),
            chat_id=update.effective_chat.id,
        )
    except NotASheetsLink as exc:
        await reply(update, texts.import_list_not_a_link(str(exc)))
        return
    except list_services.GoogleNotConfigured:
        await reply(update, texts.import_list_not_configured())
        return
    except SyncAlreadyActive as busy:
        await reply(update, texts.sync_busy(busy.run))
        return
    message = None
    try:
        message = await reply(update, texts.list_import_accepted(runs[0], link=link))
    finally:
        # Queue even when the answer failed: the run must not wait for the queued-timeout.
        await db(
            services.telegram_sync_dispatch,
            runs=runs,
            message_id=message.message_id if message else None,
        )


def _render_lists() -> str:
    return texts.lists_overview(
        list_selectors.people_lists_overview(),
        share_with=list_selectors.google_service_account_email(),
        total=list_selectors.people_lists_count(),
    )


@bot_handler
async def lists(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/lists`: each list with its last load."""
    if context.args:
        await reply(update, texts.no_arguments("lists"))
        return
    await reply(update, await db(_render_lists))
