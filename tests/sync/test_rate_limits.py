"""Notion's ~3 requests/s limit: the throttle stays under it; a 429 is waited out."""

from integrations.models import SyncRun
from people.models import Human
from sandbox.notion_emulator import NotionEmulator
from sandbox.sample_data import build_organisation
from tests.conftest import NOTION_TOKEN


def _limited(settings, max_rps: float) -> NotionEmulator:
    emulator = NotionEmulator(token=NOTION_TOKEN, rate_limit_rps=3).start()
    organisation = build_organisation(emulator, humans=450, directions=4, seed=3)
    settings.NOTION_API_BASE_URL = emulator.base_url
    settings.NOTION_HUMANS_DATABASE_ID = organisation.humans_database_id
    settings.NOTION_MAX_RPS = max_rps
    return emulator


def test_throttle_keeps_under_the_limit(notion, settings, sync):
    emulator = _limited(settings, max_rps=2.5)
    try:
        result = sync("humans")
    finally:
        emulator.stop()

    run = SyncRun.objects.get()
    assert result.code == 0, result.err
    assert run.notion_requests == 2 + 5  # no request was refused, none repeated
    assert Human.objects.count() > 400


def test_without_throttle_429s_are_waited_out(notion, settings, sync):
    emulator = _limited(settings, max_rps=0)
    try:
        result = sync("humans")
    finally:
        emulator.stop()

    run = SyncRun.objects.get()
    assert result.code == 0, result.err
    assert run.notion_requests > 2 + 5  # some were refused with 429 and sent again
    assert Human.objects.count() > 400
