"""A registered kind keeps nothing between runs: each run gets its own object, so one process
can run a kind twice at once (a dry run beside a run, a targeted refresh beside a sync), and
`notion_check` finds every kind's check in the registry."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from integrations.sync import registry
from integrations.sync.base import SyncContext
from integrations.sync.engine import CheckRow
from people.models import Human
from tests.conftest import run_command


def dry_run(kind: str, *, run_id: int, on_first_batch=None) -> SyncContext:
    ctx = SyncContext(run_id=run_id, kind=kind, mode="full", dry_run=True)
    told = []

    def progress(p):
        if p.fetched and not told and on_first_batch:
            told.append(True)
            on_first_batch()

    ctx.on_progress = progress
    registry.get(kind).run(ctx)
    ctx.close()
    return ctx


def test_two_runs_of_one_kind_in_one_process_do_not_share_state(org, notion, transactional_db):
    notion.inject_fault(endpoint="data_sources.query", status=200, delay=0.3, count=2)
    results: dict[str, SyncContext] = {}
    inside = threading.Event()

    def first() -> None:
        try:
            results["first"] = dry_run("humans", run_id=1, on_first_batch=inside.set)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(30)
    results["second"] = dry_run("humans", run_id=2)  # while the first is still paging
    thread.join(30)

    live = len(org.live_human_ids)
    assert set(results) == {"first", "second"}  # the first run was not broken by the second
    for ctx in results.values():
        assert ctx.counts.fetched == live
        assert ctx.counts.created + ctx.counts.skipped == live
    assert not Human.objects.exists()  # dry runs


@pytest.fixture
def extra_kind():
    """A kind registered for one test only, with a check of its own."""
    saved = dict(registry._kinds)

    def check(gateway) -> list[CheckRow]:
        return [CheckRow("sheets", "access", "Volunteers", "readable", "no", ok=False)]

    registry.register(
        registry.SyncKind(
            name="sheets",
            label="Sheets",
            run=lambda ctx: ctx.counts,
            check=check,
            settings=("NOTION_TOKEN",),
            order=30,
        )
    )
    yield
    registry._kinds.clear()
    registry._kinds.update(saved)


def test_notion_check_runs_the_checks_of_every_registered_kind(org, extra_kind, db):
    result = run_command("notion_check")

    assert result.code == 1  # the extra kind's problem
    line = next(line for line in result.out.splitlines() if "Volunteers" in line)
    assert "sheets" in line
    assert "Organizers" in result.out  # the others are still checked
