"""Lists from Google Sheets: the Sheets emulator over real HTTP, a service account whose key
is made at test time (never committed), the sample organisation's Humans in the database."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import translation

from people.models import Human
from sandbox.google_sheets_emulator import GoogleSheetsEmulator, generate_private_key
from sandbox.sample_sheets import build_signup_sheet

# The bot in-process against the Telegram emulator (tests/bot/conftest.py).
from tests.bot.conftest import (  # noqa: F401 - fixtures
    Chat,
    bot,
    bot_settings,
    member,
    member_factory,
    telegram,
    worker,
)
from tests.conftest import run_command


@pytest.fixture(autouse=True)
def english(settings):
    """Assertions read English (the bot, the CLI and these tests); Russian, the default, comes
    from the .po and has a test of its own."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(scope="session")
def private_key():
    """One RSA key for the whole session: making one takes a noticeable moment."""
    return generate_private_key()


@pytest.fixture
def sheets_emulator():
    with GoogleSheetsEmulator() as emulator:
        yield emulator


@dataclass
class Google:
    emulator: GoogleSheetsEmulator
    email: str
    key_file: Path
    project_id: str

    def sheet(self, rows, *, title="Список", tab="Лист1", shared=True, **kwargs):
        """A spreadsheet with one tab of `rows`, shared with our service account."""
        return self.emulator.add_spreadsheet(
            title, {tab: rows}, shared_with=[self.email] if shared else [], **kwargs
        )


@pytest.fixture
def google(settings, sheets_emulator, private_key, tmp_path) -> Google:
    """Settings pointing at the emulator with a service account key; retries fast."""
    info = sheets_emulator.add_service_account(
        "lists-bot@volunteers-lists.iam.gserviceaccount.com", private_key=private_key
    )
    key_file = tmp_path / "service-account.json"
    key_file.write_text(json.dumps(info))
    settings.GOOGLE_SERVICE_ACCOUNT_FILE = str(key_file)
    settings.GOOGLE_SHEETS_API_BASE_URL = sheets_emulator.base_url
    settings.GOOGLE_SHEETS_MAX_REQUESTS_PER_MINUTE = 0
    settings.GOOGLE_SHEETS_TIMEOUT = 5.0
    settings.GOOGLE_SHEETS_MAX_RETRIES = 4
    settings.GOOGLE_SHEETS_RETRY_BASE_DELAY = 0.02
    settings.GOOGLE_SHEETS_RETRY_MAX_DELAY = 0.2
    return Google(sheets_emulator, info["client_email"], key_file, info["project_id"])


@pytest.fixture
def synced_org(org, transactional_db):
    """The sample organisation's Humans, as `manage.py sync humans` copies them."""
    result = run_command("sync", "humans")
    assert result.code == 0, result.err
    return org


@pytest.fixture
def signup(google, synced_org):
    """The sample sign-up sheet, shared with the service account."""
    return build_signup_sheet(google.emulator, synced_org, share_with=google.email)


@pytest.fixture
def import_list(transactional_db):
    """`import_list("<link>", "--dry-run")` -> CommandResult of `manage.py import_list`."""

    def _import(*args: str):
        return run_command("import_list", *args)

    return _import


def human_of(page_id: str) -> Human:
    return Human.objects.get(notion_page_id=page_id)


@pytest.fixture
def organiser(synced_org, telegram, transactional_db):  # noqa: F811 - the fixture
    """A member of the synced organisation, writing to the bot."""
    human = (
        Human.objects.filter(is_active=True)
        .exclude(telegram_username=None)
        .order_by("full_name")
        .first()
    )
    user = telegram.create_user(
        username=human.telegram_username, first_name=human.full_name.split()[1]
    )
    return Chat(telegram, user)
