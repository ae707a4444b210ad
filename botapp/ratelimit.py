"""Outgoing messages within Telegram's limits: PTB's AIORateLimiter, plus a per-chat pace.

Telegram's Bots FAQ: about 30 messages a second overall, no more than 20 a minute in one
group, and about one a second in one chat. The bot (`runbot`) and the worker's notifiers
share one token, and each process limits only itself: so the bot gets `BOT_SHARE` of the
overall and group budgets, and the workers together `WORKER_SHARE`, split evenly between
django-q2's worker processes (`Q_CLUSTER["workers"]`, each with its own notifier). Two
processes cannot lend each other what one of them leaves unused: the price of needing no
shared state. `AIORateLimiter` throttles every request that names a chat (edits too) against
the overall and group budgets; this subclass also paces sends to one private chat: a burst
of 3, then one a second. A 429 that still happens is not retried here (`max_retries=0`): the
callers decide whether waiting is worth it.
"""

from __future__ import annotations

from aiolimiter import AsyncLimiter
from django.conf import settings
from telegram.ext import AIORateLimiter

from botapp.bounded import ForgetfulDict

# (messages per second overall, messages per minute per group): of the bot process, and of
# all worker processes together (`worker_share()` is one process's part).
BOT_SHARE = (10, 10)
WORKER_SHARE = (20, 10)
CHAT_BURST, CHAT_PER_SECOND = 3, 1.0
SEND_ENDPOINTS = frozenset({"sendMessage", "copyMessage", "forwardMessage"})
MAX_TRACKED_CHATS = 512


def worker_share() -> tuple[float, float]:
    """One worker process's part of `WORKER_SHARE`."""
    processes = max(1, int(settings.Q_CLUSTER.get("workers") or 1))
    per_second, per_group_minute = WORKER_SHARE
    return per_second / processes, per_group_minute / processes


class TelegramRateLimiter(AIORateLimiter):
    def __init__(self, share: tuple[float, float]) -> None:
        per_second, per_group_minute = share
        super().__init__(
            overall_max_rate=per_second,
            overall_time_period=1,
            group_max_rate=per_group_minute,
            group_time_period=60,
            max_retries=0,
        )
        self._chat_limiters: ForgetfulDict[AsyncLimiter] = ForgetfulDict(
            limit=MAX_TRACKED_CHATS, idle=lambda limiter: limiter.has_capacity(limiter.max_rate)
        )

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter:
        limiter = self._chat_limiters.get(chat_id)
        if limiter is None:
            limiter = AsyncLimiter(CHAT_BURST, time_period=CHAT_BURST / CHAT_PER_SECOND)
            self._chat_limiters[chat_id] = limiter
        return limiter

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        chat_id = data.get("chat_id")
        if endpoint in SEND_ENDPOINTS and isinstance(chat_id, int) and chat_id > 0:
            async with self._chat_limiter(chat_id):
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
