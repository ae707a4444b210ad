"""The bot in-process: the real PTB Application built by `botapp.bot`, polling the Telegram
emulator from a background thread, against the test database (`transactional_db`).

The queue is played by the test: `worker.run_queued()` takes what the bot (or a receiver)
put into django-q2's ORM queue and executes it here, as a qcluster worker would.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import close_old_connections
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from botapp import guard, receivers
from botapp.bot import ALLOWED_UPDATES, build_application
from people.models import Human
from sandbox.telegram_emulator import BotMessage, TelegramEmulator, User


@pytest.fixture
def telegram():
    with TelegramEmulator() as emulator:
        yield emulator


@pytest.fixture
def bot_settings(settings, telegram):
    settings.TELEGRAM_BOT_TOKEN = telegram.token
    settings.TELEGRAM_API_BASE_URL = telegram.base_url
    settings.LANGUAGE_CODE = "en"  # assertions read English; Russian comes from the .po
    settings.TELEGRAM_PROGRESS_INTERVAL = 0.0
    settings.SYNC_PROGRESS_SECONDS = 0.0
    return settings


class RunningBot:
    """`Application.run_polling()` (as `runbot` calls it) in a thread, stoppable."""

    def __init__(self, application) -> None:
        self.application = application
        self.loop: asyncio.AbstractEventLoop | None = None
        self.ready = threading.Event()
        self.error: BaseException | None = None
        original = application.post_init

        async def post_init(app) -> None:
            self.loop = asyncio.get_running_loop()
            await original(app)
            self.ready.set()

        application.post_init = post_init
        self.thread = threading.Thread(target=self._run, name="bot", daemon=True)

    def _run(self) -> None:
        try:
            self.application.run_polling(
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
                poll_interval=0.0,
                timeout=1,
                stop_signals=None,
            )
        except BaseException as exc:  # noqa: BLE001 - reported by start()
            self.error = exc
            self.ready.set()

    def start(self) -> RunningBot:
        self.thread.start()
        if not self.ready.wait(10) or self.error is not None:
            raise RuntimeError(f"the bot did not start: {self.error!r}")
        return self

    def wait_idle(self, telegram: TelegramEmulator, *, timeout: float = 20.0) -> None:
        """Wait until the bot has taken every update made so far, finished handling them,
        and written what it queued for the database (refused attempts): then counts can
        be compared for equality."""
        telegram.wait_until_fetched(timeout=timeout)
        handled = asyncio.run_coroutine_threadsafe(self.application.update_queue.join(), self.loop)
        handled.result(timeout)
        writer = self.application.bot_data[guard.WRITER]
        assert writer.wait_idle(timeout), "the bot's database writes did not finish"

    def stop(self) -> None:
        # stop_running() is a no-op until the application runs: repeat it until it stops.
        deadline = time.monotonic() + 15
        while self.thread.is_alive() and time.monotonic() < deadline:
            if self.loop is not None and not self.loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    self.loop.call_soon_threadsafe(self.application.stop_running)
            self.thread.join(0.2)


@pytest.fixture
def bot(transactional_db, bot_settings, telegram):
    running = RunningBot(build_application(token=telegram.token, base_url=telegram.base_url))
    running.start()
    try:
        yield running
    finally:
        running.stop()
        close_old_connections()


@dataclass
class Chat:
    """A user of the emulator who talks to the bot and waits for its answers."""

    telegram: TelegramEmulator
    user: User

    @property
    def id(self) -> int:
        return self.user.id

    def say(self, text: str, *, chat=None, timeout: float = 10.0) -> BotMessage:
        """Send `text` and return the bot's first message after it."""
        sent = self.telegram.send_message(self.user, text, chat=chat)
        return self.telegram.wait_for_message(
            chat if chat is not None else self.user.id, after=sent["message_id"], timeout=timeout
        )

    def send(self, text: str, *, chat=None) -> dict:
        return self.telegram.send_message(self.user, text, chat=chat)

    def messages(self) -> list[BotMessage]:
        return self.telegram.sent_messages(self.user.id)


@pytest.fixture
def member_factory(transactional_db, telegram):
    """`member_factory("ivan_petrov", "Иван Петров")` -> Chat of an active Human."""
    counter = iter(range(1, 10_000))

    def make(
        username: str | None = None,
        full_name: str = "Иван Петров",
        *,
        is_active: bool = True,
        telegram_username: str | None = "same",
    ) -> Chat:
        n = next(counter)
        username = username or f"member_{n:03d}"
        handle = username.lower() if telegram_username == "same" else telegram_username
        Human.objects.create(
            notion_page_id=f"00000000-0000-0000-0000-{n:012d}",
            full_name=full_name,
            telegram_username=handle,
            is_active=is_active,
        )
        user = telegram.create_user(username=username, first_name=full_name.split()[0])
        return Chat(telegram, user)

    return make


@pytest.fixture
def member(member_factory) -> Chat:
    return member_factory("Ivan_Petrov", "Иван Петров")


@pytest.fixture
def outsider(telegram) -> Chat:
    return Chat(telegram, telegram.create_user(username="stranger_x", first_name="Пётр"))


class QueueWorker:
    """Executes django-q2 ORM-queue tasks in the test process, like a qcluster worker."""

    def __init__(self, monkeypatch) -> None:
        self.monkeypatch = monkeypatch
        self.done: list[str] = []

    def queued(self) -> list[dict]:
        return [SignedPackage.loads(item.payload) for item in OrmQ.objects.order_by("id")]

    def call(self, func: Callable, *args, **kwargs):
        """Run `func` as a task in a worker would (e.g. a schedule's task)."""
        with self.monkeypatch.context() as patch:
            patch.setitem(receivers._state, "worker", True)
            return func(*args, **kwargs)

    def run_queued(self, *, as_worker: bool = True) -> list[str]:
        """Run every queued task (and the ones they queue), in order; returns their names."""
        from pydoc import locate

        ran = []
        with self.monkeypatch.context() as patch:
            patch.setitem(receivers._state, "worker", as_worker)
            while True:
                item = OrmQ.objects.order_by("id").first()
                if item is None:
                    break
                task = SignedPackage.loads(item.payload)
                item.delete()
                func = task["func"] if callable(task["func"]) else locate(task["func"])
                func(*task["args"], **task["kwargs"])
                ran.append(str(task["func"]))
        self.done += ran
        return ran


@pytest.fixture
def worker(transactional_db, monkeypatch) -> QueueWorker:
    return QueueWorker(monkeypatch)


@pytest.fixture
def org_member(org, telegram, transactional_db) -> Chat:
    """An active member of the sample organisation, as the last sync left them."""
    page_id = next(h for h in org.active_human_ids if org.telegram_by_human.get(h))
    handle = org.telegram_by_human[page_id]
    Human.objects.create(
        notion_page_id=page_id, full_name=org.names[page_id], telegram_username=handle
    )
    user = telegram.create_user(username=handle, first_name=org.names[page_id].split()[1])
    return Chat(telegram, user)
