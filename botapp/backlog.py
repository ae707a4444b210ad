"""Which button presses waited on Telegram while the bot was down.

A command has the date it was sent; a button press has none (the date in a callback query
is its menu's, and for a menu over 48 hours old a placeholder), so the menu's age says
nothing about when it was pressed. What the bot can know is whether a press was already
waiting when it started: those are refused (the member presses again, or sends the command
again), the others run, however old their menu.

In polling mode the updates waiting at start-up are exactly the first getUpdates answer
(`FirstBatchRequest` is the bot's get-updates request and reports it; up to 100, Telegram's
page). In webhook mode Telegram posts them one by one: the first `pending_update_count`
updates (getWebhookInfo at start-up) are taken as the waiting ones.
"""

from __future__ import annotations

import json

from telegram.request import HTTPXRequest


class StartupBacklog:
    """One per bot process (the Application)."""

    def __init__(self) -> None:
        self._last_waiting: int | None = None  # update ids up to this one were waiting
        self._expected: int | None = None  # webhook mode: how many were waiting

    @property
    def known(self) -> bool:
        return self._last_waiting is not None

    def first_batch(self, update_ids: list[int]) -> None:
        """Polling: the update ids of the first getUpdates answer."""
        if self._last_waiting is None:
            self._last_waiting = max(update_ids, default=0)

    def expect(self, count: int) -> None:
        """Webhook mode: `count` updates were waiting at start-up."""
        self._expected = count

    def waited(self, update_id: int) -> bool:
        """Whether this update was already waiting when the bot started."""
        if self._last_waiting is None and self._expected is not None:
            self._last_waiting = update_id + self._expected - 1  # the first one to arrive
        return self._last_waiting is not None and update_id <= self._last_waiting


class FirstBatchRequest(HTTPXRequest):
    """The bot's get-updates request: reports the first answer's update ids to `backlog`."""

    def __init__(self, backlog: StartupBacklog, **kwargs) -> None:
        super().__init__(**kwargs)
        self._backlog = backlog

    async def do_request(self, url: str, method: str, request_data=None, **timeouts):
        code, payload = await super().do_request(url, method, request_data, **timeouts)
        if code == 200 and not self._backlog.known and url.endswith("/getUpdates"):
            try:
                ids = [update["update_id"] for update in json.loads(payload)["result"]]
            except (ValueError, KeyError, TypeError):
                return code, payload  # PTB reports what is wrong with the answer
            self._backlog.first_batch(ids)
        return code, payload
