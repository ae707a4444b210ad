"""Syncs asked in Telegram: accepted with #id, queued, progress edits, one end message."""

from __future__ import annotations

import re

import pytest

from integrations.models import SyncRun
from integrations.sync import registry
from people.models import Human
from tests.conftest import eventually


def run_ids(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"#(\d+)", text)]


def test_sync_command_is_accepted_with_the_run_id_and_queued(bot, org_member, worker, org):
    reply = org_member.say("/sync_humans")

    run = SyncRun.objects.get()
    assert run_ids(reply.text) == [run.pk]
    assert run.status == SyncRun.Status.QUEUED
    assert (run.trigger, run.kind, run.mode) == ("telegram", "humans", "full")
    assert run.triggered_by == Human.objects.get(telegram_user_id=org_member.id)
    assert run.chat_id == org_member.id
    eventually(lambda: SyncRun.objects.get().message_id == reply.message_id, what="message id")
    # queued on commit of the transaction that stored the message id: a moment later
    eventually(lambda: worker.queued(), what="task queued")
    assert [t["func"] for t in worker.queued()] == ["integrations.tasks.execute_runs"]
    assert worker.queued()[0]["args"] == ([run.pk],)


def test_worker_edits_progress_and_sends_a_new_end_message(bot, org_member, worker, org, telegram):
    accepted = org_member.say("/sync_humans")
    eventually(lambda: worker.queued(), what="task queued")

    worker.run_queued()

    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.SUCCEEDED
    end = telegram.wait_for_message(org_member.id, after=accepted.message_id)
    assert run_ids(end.text) == [run.pk]
    assert end.reply_to_message_id == accepted.message_id
    assert f"new {run.created}" in end.text
    assert accepted.edits, "the accepted message was updated while the run went on"
    assert "done in" in accepted.text
    assert run.end_notified_at is not None


def test_end_of_a_run_is_announced_once(bot, org_member, worker, org, telegram):
    from botapp.tasks import notify_run_finished

    accepted = org_member.say("/sync_humans")
    eventually(lambda: worker.queued(), what="task queued")
    worker.run_queued()
    run = SyncRun.objects.get()

    notify_run_finished(run.pk)
    notify_run_finished(run.pk)

    later = [m for m in org_member.messages() if m.message_id > accepted.message_id]
    assert len(later) == 1


def test_sync_buttons_come_from_the_registry(bot, member):
    menu = member.say("/sync")

    expected = [f"sync:{kind.name}" for kind in registry.enabled_kinds()] + ["sync:all"]
    assert menu.callback_data == expected


def test_pressing_all_starts_one_run_per_kind(bot, member, telegram, worker, org):
    menu = member.say("/sync")

    query = telegram.press_button(member.user, menu, "sync:all")

    telegram.wait_for_callback_answer(query)
    accepted = telegram.wait_for_message(member.id, after=menu.message_id)
    runs = list(SyncRun.objects.order_by("id"))
    assert [r.kind for r in runs] == registry.expand(registry.ALL)  # every enabled kind
    assert run_ids(accepted.text) == [r.pk for r in runs]
    eventually(lambda: worker.queued(), what="task queued")
    worker.run_queued()
    ends = [m for m in member.messages() if m.message_id > accepted.message_id]
    assert sorted(i for m in ends for i in run_ids(m.text)) == [r.pk for r in runs]
    assert all(r.status == "succeeded" for r in SyncRun.objects.all())


def test_sync_with_a_kind_argument_works_like_the_kind_command(bot, member):
    reply = member.say("/sync humans")

    assert run_ids(reply.text) == [SyncRun.objects.get(kind="humans").pk]


def test_duplicate_is_refused_naming_the_active_run_and_who_started_it(bot, member_factory):
    first, second = member_factory("first_one", "Анна Первая"), member_factory("second_one")
    accepted = first.say("/sync_humans")

    refused = second.say("/sync_humans")

    run = SyncRun.objects.get()
    assert run_ids(accepted.text) == [run.pk]
    assert f"#{run.pk}" in refused.text
    assert "Анна Первая" in refused.text
    assert SyncRun.objects.count() == 1


def test_all_is_refused_when_one_kind_is_busy(bot, member):
    member.say("/sync_humans")

    refused = member.say("/sync_all")

    assert f"#{SyncRun.objects.get(kind='humans').pk}" in refused.text
    assert SyncRun.objects.count() == 1


def test_notion_down_gives_a_readable_failure(bot, org_member, worker, org, notion, telegram):
    notion.inject_fault(status=503, count=100)
    accepted = org_member.say("/sync_humans")
    eventually(lambda: worker.queued(), what="task queued")

    worker.run_queued()

    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.FAILED
    end = telegram.wait_for_message(org_member.id, after=accepted.message_id)
    assert f"#{run.pk}" in end.text
    assert "failed" in end.text
    assert "Notion" in end.text
    assert "Traceback" not in end.text


def test_a_reaped_run_is_told_to_its_chat(bot, member, worker, settings, telegram):
    from datetime import timedelta

    from django.utils import timezone

    from integrations.tasks import reap_stale_runs

    accepted = member.say("/sync_humans")
    eventually(lambda: worker.queued(), what="task queued")
    old = timezone.now() - timedelta(seconds=settings.SYNC_STALE_AFTER_SECONDS + 5)
    SyncRun.objects.update(status="running", started_at=old, heartbeat_at=old)

    worker.call(reap_stale_runs)  # on the schedule, in a worker: announced directly

    end = telegram.wait_for_message(member.id, after=accepted.message_id)
    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.FAILED
    assert f"#{run.pk}" in end.text
    assert "worker stopped answering" in end.text


@pytest.fixture
def extra_kind(monkeypatch):
    """A sync kind registered the way a new module would, without touching the bot."""
    from integrations.sync.base import SyncCounts

    kind = registry.SyncKind(
        name="sheets",
        label="Sheets",
        description="lists from Google Sheets",
        run=lambda ctx: SyncCounts(),
        order=50,
    )
    monkeypatch.setitem(registry._kinds, "sheets", kind)
    return kind


def test_a_new_sync_kind_appears_without_handler_changes(extra_kind, bot, member, telegram):
    menu = member.say("/sync")
    reply = member.say("/sync_sheets")

    assert "sync:sheets" in menu.callback_data
    assert run_ids(reply.text) == [SyncRun.objects.get(kind="sheets").pk]
    commands = [c["command"] for c in telegram.commands[next(iter(telegram.commands))]]
    assert "sync_sheets" in commands
