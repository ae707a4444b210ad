"""What happens while a run is under way: Notion changes, Ctrl-C, the reaper."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import services
from integrations.models import SyncRun
from people.models import Human


def run_humans(on_progress=None) -> SyncRun:
    runs = services.sync_runs_create(kind="humans", trigger=SyncRun.Trigger.CLI)
    return services.sync_runs_execute(runs=runs, on_progress=on_progress)[0]


def once(action):
    done = []

    def callback(run, progress):
        if progress.fetched and not done:
            done.append(True)
            action(run)

    return callback


def test_page_trashed_mid_run_never_costs_another_page(org, notion, settings, transactional_db):
    settings.SYNC_PROGRESS_SECONDS = 0
    run_humans()
    active = set(Human.objects.filter(is_active=True).values_list("notion_page_id", flat=True))
    oldest = Human.objects.filter(is_active=True).order_by("pk").first().notion_page_id
    # The second query answer comes late; meanwhile a page of the first answer goes to the
    # trash, which shifts Notion's offsets by one under the cursor: the first page of the
    # second answer is never returned.
    notion.inject_fault(endpoint="data_sources.query", status=200, delay=0.5, skip=1)

    run = run_humans(on_progress=once(lambda run: notion.trash_page(oldest)))

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.deactivated == 0  # the skipped page was checked one by one and kept
    assert notion.request_counts["pages.retrieve"] == 1
    assert set(Human.objects.filter(is_active=True).values_list("notion_page_id", flat=True)) == (
        active
    )
    later = run_humans()
    assert later.deactivated == 1
    assert not Human.objects.get(notion_page_id=oldest).is_active


def test_nul_characters_in_notion_text_do_not_abort_the_run(org, notion, transactional_db):
    page_id = org.active_human_ids[0]
    notion.update_page(page_id, properties={"ФИО": "Иванов\x00 Иван", "Email": "a\x00@b.ru"})

    run = run_humans()

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert Human.objects.get(notion_page_id=page_id).full_name == "Иванов Иван"


def test_ctrl_c_ends_the_run_and_frees_the_lock(org, settings, transactional_db):
    settings.SYNC_PROGRESS_SECONDS = 0

    def interrupt(run):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_humans(on_progress=once(interrupt))

    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.FAILED
    assert not Human.objects.exists()
    assert run_humans().status == SyncRun.Status.SUCCEEDED


def test_run_reaped_while_fetching_writes_nothing(org, settings, transactional_db):
    settings.SYNC_PROGRESS_SECONDS = 0

    def reap(run):
        SyncRun.objects.filter(pk=run.pk).update(
            heartbeat_at=timezone.now() - timedelta(seconds=settings.SYNC_STALE_AFTER_SECONDS + 5)
        )
        assert [r.pk for r in services.sync_run_reap_stale()] == [run.pk]

    run = run_humans(on_progress=once(reap))

    assert run.status == SyncRun.Status.FAILED
    assert not Human.objects.exists()
