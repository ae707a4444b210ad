"""Whether a refused update is answered: once per REFUSAL_COOLDOWN per sender, and per chat
for a group the bot does not serve (its hint is for everyone there).

Decided in memory, on the event loop: no database work and no lock stands between an
outsider and the decision, so a flood of strangers costs the members nothing (the record of
each attempt is written in the background, botapp/dbwriter.py). One bot process per token
(Telegram's rule) makes the memory of one process the whole truth; a restart forgets it,
which costs at most one more refusal per sender.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from datetime import timedelta

from botapp.bounded import ForgetfulDict

# An outsider who keeps writing is answered once per this period (every attempt is stored).
REFUSAL_COOLDOWN = timedelta(minutes=10)
MAX_TRACKED = 10_000


class RefusalCooldown:
    """One per bot process (the Application); used from its event loop only."""

    def __init__(self, period: timedelta = REFUSAL_COOLDOWN) -> None:
        self._period = period.total_seconds()
        self._answered: ForgetfulDict[float] = ForgetfulDict(
            limit=MAX_TRACKED, idle=lambda at: time.monotonic() - at >= self._period
        )

    def answer(self, key: Hashable) -> bool:
        """Whether to answer this refusal of `key` (("user", id) or ("group", chat id))."""
        now = time.monotonic()
        last = self._answered.get(key)
        if last is not None and now - last < self._period:
            return False
        self._answered[key] = now
        return True
