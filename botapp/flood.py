"""Per-user flood limits of the bot, decided in memory before any database work.

A token bucket per Telegram user (aiolimiter's leaky bucket, the one PTB's rate limiter is
built on): a burst of TELEGRAM_USER_BURST updates, then TELEGRAM_USER_RATE_PER_MINUTE.
Whatever goes beyond is dropped here, so a flood costs neither database work nor threads.
A member over the limit is told once per flood; an outsider is never told (the refusal
they already got is all they hear).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Hashable
from dataclasses import dataclass

from aiolimiter import AsyncLimiter
from django.conf import settings

from botapp.bounded import ForgetfulDict

# Forget users whose bucket is full again once this many are tracked.
MAX_TRACKED_USERS = 10_000


@dataclass
class _User:
    bucket: AsyncLimiter
    member: bool = False  # what the last authorisation said
    told: bool = False  # told about the limit since the bucket was last full


@dataclass(frozen=True)
class Admission:
    allowed: bool
    # Dropped, and the sender (a member) should hear it once: in about `wait` seconds.
    notify: bool = False
    wait: int = 0


class FloodGuard:
    """One per bot process (the Application); used from its event loop only."""

    def __init__(self) -> None:
        self._users: ForgetfulDict[_User] = ForgetfulDict(
            limit=MAX_TRACKED_USERS, idle=lambda user: _full(user.bucket)
        )
        self._locks: ForgetfulDict[asyncio.Lock] = ForgetfulDict(
            limit=MAX_TRACKED_USERS, idle=lambda lock: not lock.locked()
        )

    def serial(self, key: Hashable) -> asyncio.Lock:
        """A lock per sender: their updates are authorised one at a time.

        Database work runs on several threads, so two first messages of one new member
        could otherwise interleave (one binds the id between the other's two lookups, which
        then finds the handle bound and refuses its own member). One bot process per token
        (Telegram's rule) makes an in-process lock enough; waiting on it takes no thread.
        """
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    def _user(self, user_id: int) -> _User:
        found = self._users.get(user_id)
        if found is None:
            burst = max(1, settings.TELEGRAM_USER_BURST)
            per_minute = max(settings.TELEGRAM_USER_RATE_PER_MINUTE, 1e-6)
            found = _User(bucket=AsyncLimiter(burst, time_period=burst * 60.0 / per_minute))
            self._users[user_id] = found
        return found

    async def admit(self, user_id: int, *, may_notify: bool = True) -> Admission:
        """Whether this update of `user_id` goes on; `may_notify=False` where the sender
        must hear nothing about the limit (a group the bot does not serve)."""
        user = self._user(user_id)
        if user.bucket.has_capacity():
            if _full(user.bucket):
                # Quiet long enough for the whole burst to come back: the flood is over (a
                # command let through mid-flood, by the steady rate, does not end it).
                user.told = False
            await user.bucket.acquire()  # immediate: there is capacity
            return Admission(allowed=True)
        if may_notify and user.member and not user.told:
            user.told = True
            per_second = user.bucket.max_rate / user.bucket.time_period
            return Admission(allowed=False, notify=True, wait=max(1, math.ceil(1 / per_second)))
        return Admission(allowed=False)

    def remember(self, user_id: int, *, member: bool) -> None:
        """The authorisation's verdict, so a later flood knows whom it may answer."""
        user = self._users.get(user_id)
        if user is not None:
            user.member = member


def _full(bucket: AsyncLimiter) -> bool:
    return bucket.has_capacity(bucket.max_rate)
