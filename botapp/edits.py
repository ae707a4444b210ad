"""Progress edits of the "sync started" message, off the run's path and coalesced.

The thread that runs a sync hands the latest text over and goes on at once. One sender
thread per process delivers them: for each message only the latest text is kept (an older
one waiting is replaced), and at most one edit per message is in flight. Telegram being slow
or refusing therefore costs the sync nothing: a progress edit never waits out flood control
(a later one will say more anyway). The final edit of a message (the run's end) waits for
an edit still in flight, drops the ones waiting, and goes last; it does wait out flood
control (once, when short): the run's database work is done by then, and nothing would
correct a message left on its progress text.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

Key = tuple[int, int]  # (chat_id, message_id)
# How long the final edit waits for an edit in flight (the notifier's own timeouts are
# shorter, so this is only a safety net).
FINAL_WAIT = 35.0


@dataclass
class _Slot:
    pending: str | None = None
    in_flight: bool = False
    sent: str = ""  # the text Telegram has
    quiet_until: float = 0.0  # flood control or a blocked chat: no progress until then
    closed: bool = False  # the final edit took over


class ProgressEdits:
    """`deliver(chat_id, message_id, text, *, wait) -> Delivery` is the notifier's blocking
    edit; `wait` says whether it may sit out flood control."""

    def __init__(self, deliver: Callable) -> None:
        self._deliver = deliver
        self._slots: dict[Key, _Slot] = {}
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, chat_id: int, message_id: int, text: str) -> None:
        """Queue `text` as the message's next progress state; returns at once."""
        key = (chat_id, message_id)
        with self._cond:
            slot = self._slots.setdefault(key, _Slot())
            if slot.closed or text == slot.sent or time.monotonic() < slot.quiet_until:
                return
            slot.pending = text
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="telegram-progress", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def finish(self, chat_id: int, message_id: int, text: str):
        """The last edit of a message: after the one in flight, instead of those waiting.
        Returns the notifier's Delivery (None when the text is already there)."""
        key = (chat_id, message_id)
        deadline = time.monotonic() + FINAL_WAIT
        with self._cond:
            slot = self._slots.setdefault(key, _Slot())
            slot.closed, slot.pending = True, None
            while slot.in_flight and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            self._slots.pop(key, None)
            if slot.sent == text:
                return None
        return self._deliver(chat_id, message_id, text, wait=True)

    def _next(self) -> tuple[Key, _Slot, str] | None:
        for key, slot in self._slots.items():
            if slot.pending is not None and not slot.in_flight and not slot.closed:
                text, slot.pending = slot.pending, None
                slot.in_flight = True
                return key, slot, text
        return None

    def _run(self) -> None:
        while True:
            with self._cond:
                job = self._next()
                while job is None:
                    woken = self._cond.wait(timeout=60)
                    job = self._next()
                    if job is None and not woken:
                        self._thread = None  # idle for a minute: a later submit restarts it
                        return
            key, slot, text = job
            delivery = None
            try:
                delivery = self._deliver(key[0], key[1], text, wait=False)
            except Exception:
                logger.exception("Progress edit of message %s in chat %s failed", key[1], key[0])
            with self._cond:
                slot.in_flight = False
                if delivery is not None and delivery.ok:
                    slot.sent = text
                elif delivery is not None and delivery.retry_after:
                    slot.quiet_until = time.monotonic() + delivery.retry_after
                elif delivery is not None and delivery.blocked:
                    slot.quiet_until = float("inf")
                self._cond.notify_all()
