"""Notion outages and rate limits: each is survived, or the run fails cleanly."""

import pytest

from integrations.models import SyncRun
from people.models import Human


def snapshot():
    return list(
        Human.objects.order_by("pk").values_list(
            "notion_page_id", "full_name", "email", "is_active"
        )
    )


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429, "retry_after": 1},
        {"status": 500},
        {"status": 502},
        {"status": 503},
        {"status": 504},
        {"status": 529},
        {"drop": True},
        {"status": 200, "delay": 3.0},  # slower than NOTION_TIMEOUT=2 s: a timeout
    ],
    ids=["429-retry-after", "500", "502", "503", "504", "529", "dropped-connection", "timeout"],
)
def test_transient_fault_on_the_query_is_survived(org, notion, sync, fault):
    notion.inject_fault(endpoint="data_sources.query", count=2, **fault)

    result = sync("humans")

    run = SyncRun.objects.get()
    assert result.code == 0, result.err
    assert run.status == SyncRun.Status.SUCCEEDED
    assert Human.objects.count() == len(org.live_human_ids) - 1


def test_retry_after_is_honoured(org, notion, sync, monkeypatch):
    import time

    notion.inject_fault(endpoint="data_sources.query", status=429, retry_after=1, count=1)
    started = time.monotonic()

    sync("humans")

    assert time.monotonic() - started >= 1.0


def test_fault_while_completing_relations_is_survived(org, notion, sync):
    notion.inject_fault(endpoint="pages.properties.retrieve", status=500, count=2)

    result = sync("all")

    assert result.code == 0, result.err


def test_persistent_outage_fails_cleanly_and_leaves_data_as_it_was(org, notion, sync):
    sync("humans")
    before = snapshot()
    for page_id in org.active_human_ids[:3]:
        notion.update_page(page_id, properties={"Email": "changed@example.org"})
    notion.inject_fault(endpoint="data_sources.query", status=503, count=1000)

    result = sync("humans")

    run = SyncRun.objects.latest("id")
    assert result.code == 1
    assert run.status == SyncRun.Status.FAILED
    assert "503" in run.error
    assert snapshot() == before
    assert not SyncRun.objects.filter(status__in=["queued", "running"]).exists()


def test_outage_after_the_first_hundred_pages_changes_nothing(org, notion, sync):
    sync("humans")
    before = snapshot()
    for page_id in org.active_human_ids[:3]:
        notion.update_page(page_id, properties={"Email": "changed@example.org"})
    # The first query page (100 humans) answers; the second never does.
    notion.inject_fault(endpoint="data_sources.query", status=500, count=1000, skip=1)

    result = sync("humans")

    run = SyncRun.objects.latest("id")
    assert result.code == 1
    assert run.fetched == 100
    assert snapshot() == before
