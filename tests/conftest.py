"""Shared fixtures: the Notion emulator over real HTTP, a sample organisation, commands."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.management import CommandError, call_command

from sandbox.notion_emulator import NotionEmulator
from sandbox.sample_data import INACTIVE_STATUSES, build_organisation

NOTION_TOKEN = "secret_test_token"


def eventually(check: Callable[[], object], *, timeout: float = 10.0, what: str = "condition"):
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:g}s")
        time.sleep(0.02)


@pytest.fixture
def notion_emulator():
    with NotionEmulator(token=NOTION_TOKEN) as emulator:
        yield emulator


@pytest.fixture
def notion(settings, notion_emulator):
    """The emulator, with settings pointing at it and retries fast enough for tests."""
    settings.NOTION_TOKEN = NOTION_TOKEN
    settings.NOTION_API_BASE_URL = notion_emulator.base_url
    settings.NOTION_MAX_RPS = 0
    settings.NOTION_TIMEOUT = 2.0
    settings.NOTION_MAX_RETRIES = 4
    settings.NOTION_RETRY_BASE_DELAY = 0.02
    settings.NOTION_RETRY_MAX_DELAY = 2.0
    settings.NOTION_INACTIVE_STATUSES = list(INACTIVE_STATUSES)
    return notion_emulator


@pytest.fixture
def org(settings, notion):
    """A sample organisation (120 humans, 8 directions) in the emulator, wired in settings."""
    organisation = build_organisation(notion, humans=120, directions=8, seed=7)
    settings.NOTION_HUMANS_DATABASE_ID = organisation.humans_database_id
    settings.NOTION_DIRECTIONS_DATABASE_ID = organisation.directions_database_id
    return organisation


@dataclass
class CommandResult:
    code: int
    out: str
    err: str


def run_command(name: str, *args: str) -> CommandResult:
    """Run a management command in-process as the CLI would; never raises for exit codes."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        err.write(f"CommandError: {exc}\n")
        code = exc.returncode
    except SystemExit as exc:
        code = int(exc.code or 0)
    return CommandResult(code=code, out=out.getvalue(), err=err.getvalue())


@pytest.fixture
def sync(transactional_db):
    """`sync("humans", "--incremental")` -> CommandResult of `manage.py sync`."""

    def _sync(*args: str) -> CommandResult:
        return run_command("sync", *args)

    return _sync
