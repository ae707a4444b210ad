"""Worker -> Telegram: a standalone `telegram.Bot` with a delivery policy that never fails a sync.

- 403 (the user blocked the bot, the bot was removed from the group): the chat's
  subscription is switched off.
- 429 (flood control): wait `retry_after` once (when the caller allows waiting and it is
  short), then give up.
- 400 with `migrate_to_chat_id` (a group became a supergroup): the chat's subscriptions
  move to the new id, and a message is sent there once if that group is allowed.
- Network errors, timeouts, other API errors: logged, given up.

Every request goes through `TelegramRateLimiter` (this worker process's share of Telegram's
limits),
so a burst of subscriber messages is paced instead of refused. Progress edits go through
`ProgressEdits` (botapp/edits.py): the sync thread never waits for Telegram (only the final
edit, after the run's work, waits out a short flood control).

The Bot lives on one background event loop per process (django-q2 workers are separate
processes), so sync code calls it without touching an event loop of its own.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from telegram import LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from botapp.edits import ProgressEdits
from botapp.ratelimit import TelegramRateLimiter, worker_share

logger = logging.getLogger(__name__)

# Longest flood-control pause we sit through for an end message; beyond it we give up.
MAX_RETRY_AFTER = 30.0
CALL_TIMEOUT = 30.0


@dataclass
class Delivery:
    ok: bool
    message: Message | None = None
    blocked: bool = False
    retry_after: float | None = None


class Notifier:
    def __init__(self, *, token: str, base_url: str) -> None:
        self._token = token
        self._base_url = base_url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="telegram-notifier", daemon=True
        )
        self._thread.start()
        self._bot: ExtBot | None = None
        self.progress = ProgressEdits(deliver=self._progress_edit)

    def close(self) -> None:
        async def shutdown() -> None:
            if self._bot is not None:
                await self._bot.shutdown()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(timeout=5)
        except Exception:
            logger.debug("Notifier shutdown failed", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)

    def _get_bot(self) -> ExtBot:
        # Built on the notifier's loop: httpx binds its connection pool to it.
        if self._bot is None:
            request = HTTPXRequest(
                connection_pool_size=4,
                connect_timeout=5.0,
                read_timeout=10.0,
                write_timeout=10.0,
                pool_timeout=5.0,
            )
            self._bot = ExtBot(
                self._token,
                base_url=self._base_url,
                request=request,
                rate_limiter=TelegramRateLimiter(worker_share()),
            )
        return self._bot

    def _call(self, method: str, **kwargs):
        async def go():
            return await getattr(self._get_bot(), method)(**kwargs)

        future = asyncio.run_coroutine_threadsafe(go(), self._loop)
        try:
            return future.result(timeout=CALL_TIMEOUT)
        except TimeoutError:
            future.cancel()
            raise

    def _deliver(self, method: str, chat_id: int, *, wait: bool, **kwargs) -> Delivery:
        waited = followed = False
        while True:
            try:
                return Delivery(ok=True, message=self._call(method, chat_id=chat_id, **kwargs))
            except Forbidden as exc:
                logger.info("Telegram chat %s refuses messages (%s)", chat_id, exc)
                _chat_blocked(chat_id, str(exc))
                return Delivery(ok=False, blocked=True)
            except RetryAfter as exc:
                delay = retry_seconds(exc)
                if wait and not waited and delay <= MAX_RETRY_AFTER:
                    logger.warning("Telegram flood control: waiting %.0f s once", delay)
                    time.sleep(delay)
                    waited = True
                    continue
                logger.warning("Telegram flood control on %s to chat %s: gave up", method, chat_id)
                return Delivery(ok=False, retry_after=delay)
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return Delivery(ok=True)
                logger.warning("Telegram refused %s to chat %s: %s", method, chat_id, exc)
                return Delivery(ok=False)
            except ChatMigrated as exc:
                new_chat_id = exc.new_chat_id
                logger.warning("Telegram chat %s became %s", chat_id, new_chat_id)
                _chat_migrated(chat_id, new_chat_id)
                # A new message can follow the group; an edit cannot (other message ids).
                if method != "send_message" or followed:
                    return Delivery(ok=False)
                if new_chat_id not in settings.TELEGRAM_GROUP_CHATS:
                    logger.warning(
                        "Group %s is not in TELEGRAM_GROUP_CHATS: nothing sent there", new_chat_id
                    )
                    return Delivery(ok=False)
                chat_id, followed = new_chat_id, True
                kwargs.pop("reply_parameters", None)  # its message is in the old chat
            except TelegramError as exc:  # network errors and timeouts included
                logger.warning("Telegram %s to chat %s failed: %s", method, chat_id, exc)
                return Delivery(ok=False)
            except Exception:
                logger.exception("Telegram %s to chat %s crashed", method, chat_id)
                return Delivery(ok=False)

    def _progress_edit(self, chat_id: int, message_id: int, text: str, *, wait: bool) -> Delivery:
        """An edit for ProgressEdits: a progress one (`wait=False`, in its thread) never waits
        out flood control; the final one does."""
        try:
            return self.edit(chat_id, message_id, text, wait=wait)
        finally:
            connections.close_all()  # this thread's own, if a 403 touched the database

    def send(
        self, chat_id: int, text: str, *, reply_to: int | None = None, wait: bool = True
    ) -> Delivery:
        kwargs = {
            "text": text,
            "parse_mode": ParseMode.HTML,
            "link_preview_options": LinkPreviewOptions(is_disabled=True),
        }
        if reply_to is not None:
            kwargs["reply_parameters"] = ReplyParameters(
                message_id=reply_to, allow_sending_without_reply=True
            )
        return self._deliver("send_message", chat_id, wait=wait, **kwargs)

    def edit(self, chat_id: int, message_id: int, text: str, *, wait: bool = False) -> Delivery:
        return self._deliver(
            "edit_message_text",
            chat_id,
            wait=wait,
            message_id=message_id,
            text=text,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )


def retry_seconds(exc: RetryAfter) -> float:
    """`RetryAfter.retry_after` in seconds (an int today, a timedelta in a later PTB)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


def _chat_blocked(chat_id: int, reason: str) -> None:
    from botapp.services import subscription_disable

    try:
        if subscription_disable(chat_id=chat_id, reason=f"Telegram: {reason}"):
            logger.info("Subscription of chat %s switched off", chat_id)
    except Exception:
        logger.exception("Could not switch off the subscription of chat %s", chat_id)


def _chat_migrated(old_chat_id: int, new_chat_id: int) -> None:
    from botapp.services import subscription_migrate

    try:
        if subscription_migrate(old_chat_id=old_chat_id, new_chat_id=new_chat_id):
            logger.info("Subscriptions of chat %s moved to %s", old_chat_id, new_chat_id)
    except Exception:
        logger.exception("Could not move the subscriptions of chat %s", old_chat_id)


_notifier: Notifier | None = None
_notifier_key: tuple | None = None
_lock = threading.Lock()


def get_notifier() -> Notifier | None:
    """This process's notifier, or None when no bot token is configured."""
    global _notifier, _notifier_key
    token = settings.TELEGRAM_BOT_TOKEN
    if not token:
        return None
    key = (os.getpid(), token, settings.TELEGRAM_API_BASE_URL)
    with _lock:
        if _notifier is None or _notifier_key != key:
            if _notifier is not None and _notifier_key[0] == key[0]:
                _notifier.close()
            _notifier = Notifier(token=token, base_url=settings.TELEGRAM_API_BASE_URL)
            _notifier_key = key
        return _notifier
