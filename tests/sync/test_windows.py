"""A full sync pages disjoint `created_time` windows concurrently (issue 11): every page
exactly once, the 10,000-result cap and the verification of missing records still work,
and the requests stay at the minimum plus about one per window."""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections import Counter

import pytest

from integrations import services
from integrations.models import SyncRun
from integrations.notion.client import NotionGateway
from integrations.notion.windows import WindowPlan
from people.models import Human
from sandbox.notion_emulator import NotionEmulator
from sandbox.sample_data import HUMANS_SCHEMA, add_humans
from tests.conftest import NOTION_TOKEN, eventually

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def minute(n: int) -> dt.datetime:
    return START + dt.timedelta(minutes=n)


@pytest.fixture
def humans_db(settings, notion: NotionEmulator):
    """An empty Humans database wired in settings; windows of 200 records, at most 4."""
    database = notion.add_database(title="Люди", properties=HUMANS_SCHEMA)
    settings.NOTION_HUMANS_DATABASE_ID = database.database_id
    settings.NOTION_WINDOW_RECORDS = 200
    settings.NOTION_MAX_WINDOWS = 4
    settings.SYNC_PROGRESS_SECONDS = 0
    return database


def window_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("notion-window")]


def last_run() -> SyncRun:
    return SyncRun.objects.latest("id")


def minimum_requests(pages: int) -> int:
    return 2 + math.ceil(pages / 100)  # databases.retrieve + data_sources.retrieve + queries


# -- through `manage.py sync` -----------------------------------------------------------
def test_full_sync_keeps_each_pages_created_time(notion, humans_db, sync):
    ids = add_humans(notion, humans_db.database_id, 30, seed=1, per_minute=7, start=START)

    assert sync("humans").code == 0

    stored = dict(Human.objects.values_list("notion_page_id", "notion_created_time"))
    assert stored == {
        pid: dt.datetime.fromisoformat(notion.page(pid)["created_time"].replace("Z", "+00:00"))
        for pid in ids
    }


def test_created_times_are_filled_in_without_counting_as_changes(notion, humans_db, sync):
    """Rows synced before the field existed get it from the next run, counted unchanged."""
    add_humans(notion, humans_db.database_id, 30, seed=1, per_minute=7, start=START)
    assert sync("humans").code == 0
    Human.objects.update(notion_created_time=None)

    assert sync("humans").code == 0

    run = last_run()
    assert (run.unchanged, run.updated) == (30, 0)
    assert not Human.objects.filter(notion_created_time__isnull=True).exists()


def test_second_full_sync_pages_windows_concurrently(notion, humans_db, sync):
    add_humans(notion, humans_db.database_id, 1000, seed=2, per_minute=10, start=START)
    assert sync("humans").code == 0
    notion.latency = 0.05
    notion.reset_counts()

    result = sync("humans")

    run = last_run()
    assert result.code == 0, result.err
    assert (run.fetched, run.unchanged, run.created) == (1000, 1000, 0)
    assert notion.max_in_flight >= 2
    assert run.notion_requests <= minimum_requests(1000) + 4  # + one per window


def test_first_sync_of_an_empty_mirror_splits_after_the_first_answer(notion, humans_db, sync):
    add_humans(notion, humans_db.database_id, 1000, seed=3, per_minute=10, start=START)
    notion.latency = 0.05
    notion.reset_counts()

    result = sync("humans")

    run = last_run()
    assert result.code == 0, result.err
    assert (run.fetched, run.created) == (1000, 1000)
    assert notion.max_in_flight >= 2
    assert run.notion_requests <= minimum_requests(1000) + 4


def test_dense_recent_pages_behind_years_of_sparse_ones_are_still_shared_out(
    settings, notion, humans_db, sync
):
    """Found by review: a database whose first pages are years of a few members, then many
    recent ones. The first answer promises little, so the window never split and paged the
    dense part alone, one answer after another; or a first split took every slot and no part
    could split where the pages turned dense."""
    old = dt.datetime(2019, 1, 7, 9, 0, tzinfo=dt.UTC)
    for i in range(150):  # one member every 16 days for six and a half years
        start = old + i * dt.timedelta(days=16)
        add_humans(notion, humans_db.database_id, 1, seed=1000 + i, start=start)
    add_humans(notion, humans_db.database_id, 1850, seed=31, per_minute=25)  # the last ~75 min
    notion.latency = 0.02
    notion.reset_counts()

    result = sync("humans")

    run = last_run()
    assert result.code == 0, result.err
    assert (run.fetched, run.created) == (2000, 2000)
    chains = sorted(notion.query_chains.values())  # requests per window, one after another
    assert chains[-1] <= minimum_requests(2000) // 2, chains
    assert run.notion_requests <= minimum_requests(2000) + settings.NOTION_MAX_WINDOWS


def test_every_window_waits_for_the_shared_rate_limit(settings, notion, humans_db, sync):
    add_humans(notion, humans_db.database_id, 1000, seed=24, per_minute=10, start=START)
    assert sync("humans").code == 0
    notion.rate_limit_rps = 12  # answers 429 above it
    settings.NOTION_MAX_RPS = 10
    notion.latency = 0.2
    notion.reset_counts()

    result = sync("humans")

    run = last_run()
    assert result.code == 0, result.err
    assert notion.rate_limited_count == 0
    assert notion.max_in_flight >= 2
    assert run.notion_requests == sum(notion.request_counts.values())


def test_small_mirror_costs_no_extra_request(notion, humans_db, sync):
    add_humans(notion, humans_db.database_id, 150, seed=4, per_minute=10, start=START)
    assert sync("humans").code == 0
    notion.reset_counts()

    assert sync("humans").code == 0

    assert last_run().notion_requests == minimum_requests(150)
    assert notion.max_in_flight == 1


def test_windows_past_the_result_cap_still_get_every_page(notion, humans_db, sync):
    add_humans(notion, humans_db.database_id, 1000, seed=5, per_minute=10, start=START)
    notion.query_result_limit = 150  # every window of ~250 pages hits the cap
    assert sync("humans").code == 0
    notion.reset_counts()

    result = sync("humans")

    run = last_run()
    assert result.code == 0, result.err
    assert (run.fetched, run.unchanged) == (1000, 1000)
    assert Human.objects.count() == 1000


def test_a_burst_in_one_minute_stays_in_one_window(notion, humans_db, sync):
    add_humans(notion, humans_db.database_id, 200, seed=6, per_minute=10, start=START)
    add_humans(notion, humans_db.database_id, 500, seed=7, per_minute=500, start=minute(30))
    add_humans(notion, humans_db.database_id, 200, seed=8, per_minute=10, start=minute(40))
    assert sync("humans").code == 0

    result = sync("humans")

    run = last_run()
    assert result.code == 0, result.err
    assert (run.fetched, run.unchanged) == (900, 900)


def test_a_page_gone_is_verified_once_whatever_its_window(notion, humans_db, sync):
    add_humans(notion, humans_db.database_id, 1000, seed=9, per_minute=10, start=START)
    assert sync("humans").code == 0
    gone = Human.objects.filter(is_active=True).order_by("notion_created_time")[500]
    notion.trash_page(gone.notion_page_id)
    notion.reset_counts()

    result = sync("humans")

    run = last_run()
    assert result.code == 0, result.err
    assert run.deactivated == 1
    assert notion.request_counts["pages.retrieve"] == 1  # no other record looked missing
    assert not Human.objects.get(pk=gone.pk).is_active


def test_incremental_run_still_picks_up_an_edit(notion, humans_db, sync):
    ids = add_humans(notion, humans_db.database_id, 1000, seed=10, per_minute=10, start=START)
    assert sync("humans").code == 0
    notion.update_page(ids[10], properties={"Email": "edited@example.org"})

    result = sync("humans", "--incremental")

    assert result.code == 0, result.err
    assert Human.objects.get(notion_page_id=ids[10]).email == "edited@example.org"
    assert last_run().updated == 1


def test_a_large_incremental_run_splits_by_created_time(notion, humans_db, sync):
    ids = add_humans(notion, humans_db.database_id, 1000, seed=22, per_minute=10, start=START)
    assert sync("humans").code == 0
    now = dt.datetime.now(dt.UTC)
    SyncRun.objects.update(started_at=now - dt.timedelta(minutes=20))
    edited = ids[::2]  # 500 edits, ending 2.5 minutes before the run (none during it)
    for i, page_id in enumerate(edited):
        notion.update_page(
            page_id,
            properties={"Email": f"edited.{i}@example.org"},
            edited_at=now - dt.timedelta(minutes=15) + dt.timedelta(seconds=i * 1.5),
        )
    notion.latency = 0.05
    notion.reset_counts()

    result = sync("humans", "--incremental")

    run = last_run()
    assert result.code == 0, result.err
    assert (run.fetched, run.updated) == (500, 500)
    assert notion.max_in_flight >= 2
    assert run.notion_requests <= math.ceil(500 / 100) + 4
    emails = dict(Human.objects.values_list("notion_page_id", "email"))
    assert all(emails[p] == f"edited.{i}@example.org" for i, p in enumerate(edited))


def test_quiet_incremental_run_with_windows_costs_one_request(notion, humans_db, sync):
    add_humans(notion, humans_db.database_id, 1000, seed=23, per_minute=10, start=START)
    assert sync("humans").code == 0
    notion.reset_counts()

    result = sync("humans", "--incremental")

    run = last_run()
    assert result.code == 0, result.err
    assert run.notion_requests == 1
    assert (run.created, run.updated, run.deactivated) == (0, 0, 0)


def test_a_failing_window_fails_the_run_and_stops_the_others(notion, humans_db, sync):
    add_humans(notion, humans_db.database_id, 1000, seed=11, per_minute=10, start=START)
    assert sync("humans").code == 0
    before = set(Human.objects.values_list("notion_page_id", "email"))
    threads = threading.active_count()
    notion.inject_fault(endpoint="data_sources.query", status=500, count=1000, skip=3)

    result = sync("humans")

    run = last_run()
    assert result.code == 1
    assert run.status == SyncRun.Status.FAILED
    assert "500" in run.error, run.error
    assert set(Human.objects.values_list("notion_page_id", "email")) == before
    assert threading.active_count() <= threads  # no window thread left behind


def test_a_window_waiting_out_a_retry_stops_with_the_failed_run(settings, notion, humans_db, sync):
    """Found by review: a window sleeping on a 429's Retry-After when another window failed
    slept it out, then sent a request for a run already ended (uncounted)."""
    add_humans(notion, humans_db.database_id, 1000, seed=14, per_minute=10, start=START)
    assert sync("humans").code == 0
    notion.reset_counts()
    settings.NOTION_RETRY_MAX_DELAY = 10  # Retry-After honoured up to 50 s
    notion.inject_fault(endpoint="data_sources.query", status=429, retry_after=30, count=1)
    notion.inject_fault(endpoint="data_sources.query", status=400, count=1)

    result = sync("humans")

    assert result.code == 1
    assert last_run().status == SyncRun.Status.FAILED
    eventually(lambda: not window_threads(), timeout=5, what="the window threads ended")
    # Nothing was sent for the run after it ended: every request Notion saw is counted.
    assert sum(notion.request_counts.values()) == last_run().notion_requests


def test_ctrl_c_stops_every_window(notion, humans_db, transactional_db):
    add_humans(notion, humans_db.database_id, 1000, seed=12, per_minute=10, start=START)
    runs = services.sync_runs_create(kind="humans", trigger=SyncRun.Trigger.CLI)
    services.sync_runs_execute(runs=runs)
    notion.latency = 0.02
    threads = threading.active_count()
    done = []

    def interrupt(run, progress):
        if progress.fetched and not done:
            done.append(True)
            raise KeyboardInterrupt

    runs = services.sync_runs_create(kind="humans", trigger=SyncRun.Trigger.CLI)
    with pytest.raises(KeyboardInterrupt):
        services.sync_runs_execute(runs=runs, on_progress=interrupt)

    assert last_run().status == SyncRun.Status.FAILED
    assert threading.active_count() <= threads


def test_windows_stop_while_the_interrupted_caller_still_holds_the_exception(
    notion, humans_db, transactional_db
):
    """Found by review: the stream was told to stop only when its generator was collected,
    and the traceback of the interruption keeps it alive; windows waiting for a full queue
    stayed, each with its database connection, as long as anyone held the exception."""
    add_humans(notion, humans_db.database_id, 3000, seed=13, per_minute=10, start=START)
    runs = services.sync_runs_create(kind="humans", trigger=SyncRun.Trigger.CLI)
    services.sync_runs_execute(runs=runs)
    threads = threading.active_count()
    done = []

    def slow_then_interrupt(run, progress):
        if progress.fetched and not done:
            done.append(True)
            time.sleep(1.0)  # a slow consumer: every window's answer waits in the queues
            raise KeyboardInterrupt

    runs = services.sync_runs_create(kind="humans", trigger=SyncRun.Trigger.CLI)
    with pytest.raises(KeyboardInterrupt) as held:
        services.sync_runs_execute(runs=runs, on_progress=slow_then_interrupt)

    assert held.value is not None  # the exception, and its traceback, are still held
    eventually(
        lambda: threading.active_count() <= threads,
        timeout=5,
        what=f"the window threads ended: {[t.name for t in threading.enumerate()]}",
    )
    assert last_run().status == SyncRun.Status.FAILED


# -- the gateway: which pages each window yields ----------------------------------------
@pytest.fixture
def gateway(notion):
    gw = NotionGateway(token=NOTION_TOKEN, base_url=notion.base_url)
    yield gw
    gw.close()


def fetched(gateway, data_source_id: str, plan: WindowPlan, during=None) -> Counter:
    seen: Counter = Counter()
    for pages in gateway.iter_page_batches(data_source_id, window="created_time", plan=plan):
        if during is not None:
            during()
            during = None
        seen.update(p["id"] for p in pages)
    return seen


def test_pages_on_window_boundaries_come_exactly_once(notion, humans_db, gateway):
    ids = add_humans(notion, humans_db.database_id, 400, seed=13, per_minute=20, start=START)
    plan = WindowPlan(boundaries=(minute(5), minute(6), minute(12)), max_windows=4)

    seen = fetched(gateway, humans_db.data_source_id, plan)

    assert seen == Counter(ids)
    # three boundaries, four windows: one partial answer each at most
    assert gateway.requests <= math.ceil(400 / 100) + 4


def test_a_burst_on_a_boundary_minute_comes_exactly_once(notion, humans_db, gateway):
    ids = add_humans(notion, humans_db.database_id, 100, seed=14, per_minute=10, start=START)
    ids += add_humans(notion, humans_db.database_id, 350, seed=15, per_minute=350, start=minute(10))
    ids += add_humans(notion, humans_db.database_id, 100, seed=16, per_minute=10, start=minute(11))
    plan = WindowPlan(boundaries=(minute(10), minute(11)), max_windows=3)

    assert fetched(gateway, humans_db.data_source_id, plan) == Counter(ids)


def test_a_window_past_the_result_cap_comes_exactly_once(notion, humans_db, gateway):
    ids = add_humans(notion, humans_db.database_id, 600, seed=17, per_minute=20, start=START)
    notion.query_result_limit = 150
    plan = WindowPlan(boundaries=(minute(5),), max_windows=2)  # 100 pages, then 500

    assert fetched(gateway, humans_db.data_source_id, plan) == Counter(ids)


def test_windows_split_after_the_first_answer_come_exactly_once(notion, humans_db, gateway):
    ids = add_humans(notion, humans_db.database_id, 1200, seed=18, per_minute=10, start=START)
    plan = WindowPlan(max_windows=4, split_records=200)

    seen = fetched(gateway, humans_db.data_source_id, plan)

    assert seen == Counter(ids)
    assert gateway.requests <= math.ceil(1200 / 100) + 4


def test_pages_created_during_the_run_never_come_twice(notion, humans_db, gateway):
    ids = add_humans(notion, humans_db.database_id, 800, seed=19, per_minute=10, start=START)
    plan = WindowPlan(boundaries=(minute(20), minute(40), minute(60)), max_windows=4)
    added: list[str] = []

    def create_pages():  # created now: after every boundary, in the open last window
        added.extend(add_humans(notion, humans_db.database_id, 5, seed=20, per_minute=5))

    seen = fetched(gateway, humans_db.data_source_id, plan, during=create_pages)

    assert max(seen.values()) == 1
    assert set(ids) <= set(seen)  # every page that was there when the run started
    assert set(seen) <= set(ids) | set(added)
