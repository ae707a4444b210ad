"""`manage.py runbot`: the Telegram bot, by long polling (or a webhook when configured)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from telegram.error import InvalidToken, NetworkError

from botapp.bot import ALLOWED_UPDATES, build_application
from config.log_filters import redact
from config.security import refuse_unsafe_secret_key_in_command


class Command(BaseCommand):
    help = "Run the Telegram admin bot (long polling; a webhook if TELEGRAM_WEBHOOK_URL is set)."

    def handle(self, *args, **options) -> None:
        refuse_unsafe_secret_key_in_command()  # the bot signs the tasks it queues with it
        token = settings.TELEGRAM_BOT_TOKEN
        if not token:
            raise CommandError(
                "TELEGRAM_BOT_TOKEN is not set: add the token from @BotFather to the "
                "environment or .env."
            )
        application = build_application(token=token, base_url=settings.TELEGRAM_API_BASE_URL)
        # run_polling/run_webhook use (and close) the current loop: give them a fresh one.
        asyncio.set_event_loop(asyncio.new_event_loop())
        try:
            if settings.TELEGRAM_WEBHOOK_URL:
                self._run_webhook(application)
            else:
                self.stdout.write(
                    f"Polling {settings.TELEGRAM_API_BASE_URL.split('//')[-1].split('/')[0]} "
                    "for updates; Ctrl+C to stop."
                )
                self.stdout.flush()
                application.run_polling(
                    allowed_updates=ALLOWED_UPDATES,
                    drop_pending_updates=False,
                    poll_interval=0.0,
                    timeout=10,
                )
        except InvalidToken as exc:
            # PTB's message quotes the token: CommandError goes to stderr, not through logging.
            raise CommandError(
                redact(
                    f"Telegram rejected TELEGRAM_BOT_TOKEN ({exc}): check the token from "
                    "@BotFather."
                )
            ) from None
        except NetworkError as exc:
            raise CommandError(
                redact(f"Cannot reach Telegram at {settings.TELEGRAM_API_BASE_URL}: {exc}")
            ) from None

    def _run_webhook(self, application) -> None:
        if not settings.TELEGRAM_WEBHOOK_SECRET:
            raise CommandError(
                "TELEGRAM_WEBHOOK_SECRET is not set: webhook mode needs a secret token "
                "(1-256 characters A-Z, a-z, 0-9, _ and -)."
            )
        host, _sep, port = settings.TELEGRAM_WEBHOOK_LISTEN.rpartition(":")
        if not host or not port.isdigit():
            raise CommandError(
                "TELEGRAM_WEBHOOK_LISTEN must be host:port, "
                f"not {settings.TELEGRAM_WEBHOOK_LISTEN!r}"
            )
        url = settings.TELEGRAM_WEBHOOK_URL
        self.stdout.write(f"Listening on {host}:{port} for the webhook {url}; Ctrl+C to stop.")
        self.stdout.flush()
        try:
            application.run_webhook(
                listen=host,
                port=int(port),
                url_path=urlsplit(url).path.lstrip("/"),
                webhook_url=url,
                secret_token=settings.TELEGRAM_WEBHOOK_SECRET,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
        except RuntimeError as exc:
            if "webhooks" in str(exc):
                raise CommandError(
                    "Webhook mode needs the webhooks extra: "
                    'pip install "python-telegram-bot[webhooks]"'
                ) from None
            raise
