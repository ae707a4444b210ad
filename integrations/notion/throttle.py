import threading
import time
from collections.abc import Callable


class Throttle:
    """Spaces calls at least `1 / max_rps` seconds apart across threads.

    Notion allows about three requests a second per integration; staying under a ceiling
    is cheaper than being told so with a 429. `max_rps <= 0` disables it.
    """

    def __init__(
        self,
        max_rps: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / max_rps if max_rps > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> float:
        """Block until the next call may go; return how long we waited."""
        if not self.interval:
            return 0.0
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return max(delay, 0.0)

    def hold(self, seconds: float) -> None:
        """Push every later call back (after a 429 with Retry-After)."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)
