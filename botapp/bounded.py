"""Per-key state kept in memory (a bucket per user, a limiter per chat), bounded.

One helper for every such table of the bot: it forgets the entries that are idle (whose
state is back to "never seen") once it holds `limit` of them. A scan that frees little
would otherwise repeat at every new key; so the next scan waits until the table doubled
what survived the last one: the work stays proportional to the keys added, and the table
to twice the keys that are not idle.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

V = TypeVar("V")


class ForgetfulDict(dict[Hashable, V]):
    def __init__(self, *, limit: int, idle: Callable[[V], bool]) -> None:
        super().__init__()
        self._limit = limit
        self._idle = idle
        self._next_scan = limit

    def __setitem__(self, key: Hashable, value: V) -> None:
        if key not in self and len(self) >= self._next_scan:
            for old in [k for k, v in self.items() if self._idle(v)]:
                del self[old]
            self._next_scan = max(self._limit, 2 * len(self))
        super().__setitem__(key, value)
