"""The real stack: `manage.py runbot` and `manage.py qcluster` subprocesses against the
Telegram and Notion emulators running in the test process, sharing the test database.

Emulators and processes live for the module (starting Django twice per test would dominate
the run time); the database is flushed between tests (`transactional_db`), and every test
creates the members it needs. Subprocesses are always killed in teardown.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django_q.models import OrmQ

from people.models import Human
from sandbox.notion_emulator import NotionEmulator
from sandbox.sample_data import INACTIVE_STATUSES, build_organisation
from sandbox.telegram_emulator import TelegramEmulator, User
from tests.e2e.processes import (
    ServiceProcess,
    database_url_for_subprocesses,
    run_manage,
    service_env,
)

NOTION_TOKEN = "secret_e2e_token"
# A run whose worker died is failed this long after its last heartbeat.
STALE_AFTER_SECONDS = 3
# The group chat the bot serves in these tests (TELEGRAM_GROUP_CHATS); tests create it.
ALLOWED_GROUP_ID = -1_009_000_000_001


@pytest.fixture(scope="module")
def notion_server():
    with NotionEmulator(token=NOTION_TOKEN) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def sample_org(notion_server):
    return build_organisation(notion_server, humans=60, directions=8, seed=7)


@pytest.fixture(scope="module")
def telegram_server():
    with TelegramEmulator() as emulator:
        yield emulator
        if os.environ.get("E2E_TRANSCRIPT"):
            # `E2E_TRANSCRIPT=1 pytest tests/e2e -s`: every conversation, for reading
            for chat_id in sorted({m.chat_id for m in emulator.sent_messages()}):
                print(f"\n{emulator.transcript(chat_id)}")


@pytest.fixture(autouse=True)
def _reset_emulators(notion_server, telegram_server):
    yield
    notion_server.clear_faults()
    notion_server.latency = 0.0
    telegram_server.clear_faults()


class Stack:
    """runbot + qcluster, restartable (a test may kill the worker)."""

    def __init__(self, env: dict[str, str], log_dir: Path, telegram: TelegramEmulator) -> None:
        self.env = env
        self.log_dir = log_dir
        self.telegram = telegram
        self.bot = ServiceProcess("runbot", ["runbot"], env, log_dir)
        self.worker = ServiceProcess("qcluster", ["qcluster"], env, log_dir)

    def start(self) -> Stack:
        calls = len(self.telegram.calls)
        self.bot.start()
        self.start_worker()
        self.telegram.wait_for_call("getUpdates", after=calls, timeout=30)
        return self

    def restart_bot(self, while_down=None) -> None:
        """Stop the bot, call `while_down()` (users write meanwhile), start it again."""
        self.bot.stop(timeout=5)
        if while_down is not None:
            while_down()
        calls = len(self.telegram.calls)
        self.bot = ServiceProcess("runbot", ["runbot"], self.env, self.log_dir)
        self.bot.start()
        self.telegram.wait_for_call("getUpdates", after=calls, timeout=30)

    def start_worker(self) -> None:
        self.worker = ServiceProcess("qcluster", ["qcluster"], self.env, self.log_dir)
        self.worker.start()
        self.worker.wait_for_log("ready for work", timeout=30)

    def stop(self) -> None:
        for process in (self.bot, self.worker):
            process.stop(timeout=3)

    def logs(self) -> str:
        return "\n".join(f"===== {p.name}\n{p.log()[-4000:]}" for p in (self.bot, self.worker))


@pytest.fixture(scope="module")
def stack_env(django_db_setup, django_db_blocker, notion_server, sample_org, telegram_server):
    with django_db_blocker.unblock():
        database_url = database_url_for_subprocesses()
    return service_env(
        database_url=database_url,
        telegram=telegram_server,
        notion=notion_server,
        org=sample_org,
        inactive_statuses=INACTIVE_STATUSES,
        LANGUAGE_CODE="en",
        SYNC_STALE_AFTER_SECONDS=STALE_AFTER_SECONDS,
        TELEGRAM_GROUP_CHATS=ALLOWED_GROUP_ID,
    )


@pytest.fixture(scope="module")
def stack(stack_env, telegram_server, tmp_path_factory):
    running = Stack(stack_env, tmp_path_factory.mktemp("e2e-logs"), telegram_server)
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture
def live(stack, transactional_db, request):
    """The stack, for one test; its logs are printed when the test fails."""
    if not stack.worker.alive:
        stack.start_worker()
    yield stack
    # Let the worker take what the test queued before the database is flushed under it (a
    # TRUNCATE racing the worker's own queries can deadlock on PostgreSQL).
    deadline = time.monotonic() + 10
    while stack.worker.alive and OrmQ.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(stack.logs())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@dataclass
class Person:
    telegram: TelegramEmulator
    user: User
    human: Human | None = None

    @property
    def id(self) -> int:
        return self.user.id

    def send(self, text: str, chat=None) -> dict:
        return self.telegram.send_message(self.user, text, chat=chat)

    def say(self, text: str, *, chat=None, timeout: float = 15.0):
        sent = self.send(text, chat=chat)
        return self.telegram.wait_for_message(
            chat if chat is not None else self.id, after=sent["message_id"], timeout=timeout
        )

    def transcript(self) -> str:
        return self.telegram.transcript(self.id)


_pick = itertools.count()


@pytest.fixture
def people(transactional_db, sample_org, telegram_server):
    """`people.members(3)` -> active members of the sample organisation; `people.outsider()`."""

    class People:
        def members(self, count: int) -> list[Person]:
            candidates = [
                h
                for h in sample_org.active_human_ids
                if sample_org.telegram_by_human[h] and sample_org.names[h]
            ]
            chosen = []
            for _ in range(count):
                page_id = candidates[next(_pick) % len(candidates)]
                handle = sample_org.telegram_by_human[page_id]
                human, _created = Human.objects.get_or_create(
                    notion_page_id=page_id,
                    defaults={"full_name": sample_org.names[page_id], "telegram_username": handle},
                )
                name = sample_org.names[page_id].split()
                user = telegram_server.create_user(
                    username=handle, first_name=name[1] if len(name) > 1 else name[0]
                )
                chosen.append(Person(telegram_server, user, human))
            return chosen

        def outsider(self) -> Person:
            n = next(_pick)
            user = telegram_server.create_user(username=f"random_guest_{n}", first_name="Гость")
            return Person(telegram_server, user)

    return People()


def run_ids(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"#(\d+)", text)]


__all__ = ["Person", "run_ids", "run_manage"]
