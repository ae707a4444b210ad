"""Assembles the bot: the PTB Application, its handlers (from the sync registry), the menu,
the outgoing rate limiter (the bot's share of Telegram's limits)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import translation
from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from botapp import dbcalls, guard, handlers, list_commands, texts
from botapp.backlog import FirstBatchRequest, StartupBacklog
from botapp.ratelimit import BOT_SHARE, TelegramRateLimiter
from integrations.sync import registry

logger = logging.getLogger(__name__)

# Updates the bot reads; anything else (edits, reactions, members) is not asked for.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
MENU_LANGUAGES = ("ru", "en")
CONCURRENT_UPDATES = 32


def build_application(*, token: str, base_url: str | None = None) -> Application:
    backlog = StartupBacklog()
    builder = (
        Application.builder()
        .token(token)
        .base_url(base_url or settings.TELEGRAM_API_BASE_URL)
        .concurrent_updates(CONCURRENT_UPDATES)
        .connection_pool_size(CONCURRENT_UPDATES + 4)
        # PTB's default for getUpdates (one connection), which also tells what was waiting
        .get_updates_request(FirstBatchRequest(backlog, connection_pool_size=1))
        .rate_limiter(TelegramRateLimiter(BOT_SHARE))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    application = builder.build()
    application.bot_data[guard.BACKLOG] = backlog
    guard.install(application)
    add_handlers(application)
    return application


def add_handlers(application: Application) -> None:
    application.add_handler(TypeHandler(Update, guard.guard), group=-1)
    commands = [
        CommandHandler("start", handlers.start),
        CommandHandler("help", handlers.help_command),
        CommandHandler("sync", handlers.sync_menu),
        *[
            CommandHandler(kind.command, handlers.sync_kind_command(kind.name))
            for kind in registry.kinds()
        ],
        CommandHandler("sync_all", handlers.sync_kind_command(registry.ALL)),
        CommandHandler("import_list", list_commands.import_list),
        CommandHandler("lists", list_commands.lists),
        CommandHandler("status", handlers.status),
        CommandHandler("history", handlers.history),
        CommandHandler("subscribe", handlers.subscribe),
        CommandHandler("unsubscribe", handlers.unsubscribe),
        CommandHandler("whoami", handlers.whoami),
        CallbackQueryHandler(handlers.sync_button, pattern=f"^{handlers.SYNC_PREFIX}"),
        CallbackQueryHandler(handlers.subscribe_button, pattern=f"^{handlers.SUBSCRIBE_PREFIX}"),
        CallbackQueryHandler(handlers.stale_button),
        MessageHandler(filters.COMMAND, handlers.unknown_command),
        MessageHandler(filters.ALL, handlers.plain_text),
    ]
    application.add_handlers(commands)
    application.add_error_handler(handlers.on_error)


def menu(language: str) -> list[BotCommand]:
    with translation.override(language):
        return [
            BotCommand(command, description)
            for command, description in texts.command_descriptions(registry.enabled_kinds())
        ]


async def post_init(application: Application) -> None:
    """Register the command menu: the default one in LANGUAGE_CODE, plus ru and en."""
    bot = application.bot
    if settings.TELEGRAM_WEBHOOK_URL:  # polling learns it from its first getUpdates answer
        info = await bot.get_webhook_info()
        application.bot_data[guard.BACKLOG].expect(info.pending_update_count)
    await bot.set_my_commands(menu(settings.LANGUAGE_CODE))
    for language in MENU_LANGUAGES:
        await bot.set_my_commands(menu(language), language_code=language)
    logger.info("Bot @%s is ready", bot.username)


async def post_shutdown(application: Application) -> None:
    """The database threads finish their calls and go (their connections are closed)."""
    guard.uninstall(application)
    dbcalls.shutdown()
