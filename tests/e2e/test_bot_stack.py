"""The bot as members meet it: real `runbot` and `qcluster` processes, both emulators."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Task
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from botapp.models import AccessAttempt, Subscription
from integrations.models import SyncRun
from tests.conftest import eventually
from tests.e2e.conftest import ALLOWED_GROUP_ID, STALE_AFTER_SECONDS, run_ids, run_manage

pytestmark = pytest.mark.e2e


def test_outsider_is_refused_and_nothing_runs(live, people):
    outsider = people.outsider()

    reply = outsider.say("/sync_humans")

    assert str(outsider.id) in reply.text
    assert f"@{outsider.user.username}" in reply.text
    assert not SyncRun.objects.exists()
    eventually(AccessAttempt.objects.exists, what="the attempt recorded (in the background)")
    attempt = AccessAttempt.objects.get()
    assert (attempt.telegram_user_id, attempt.text) == (outsider.id, "/sync_humans")


def test_member_sync_is_accepted_followed_and_reported(live, people, telegram_server):
    (member,) = people.members(1)

    accepted = member.say("/sync_humans")

    (run_id,) = run_ids(accepted.text)
    end = telegram_server.wait_for_message(member.id, after=accepted.message_id, timeout=30)
    run = SyncRun.objects.get(pk=run_id)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.trigger, run.triggered_by_id) == ("telegram", member.human.pk)
    assert run_ids(end.text) == [run_id]
    assert end.reply_to_message_id == accepted.message_id
    assert accepted.edits, "progress was shown in the accepted message"
    assert "done in" in accepted.text
    assert run.end_notified_at is not None
    # The worker announced it itself, without queueing a notification task.
    assert not Task.objects.filter(func="botapp.tasks.notify_run_finished").exists()
    assert not any(
        "notify" in str(SignedPackage.loads(q.payload)["func"]) for q in OrmQ.objects.all()
    )


def test_ten_members_at_once_make_one_run_and_all_hear_its_id(
    live, people, telegram_server, notion_server
):
    notion_server.latency = 0.3  # the run outlives the burst of commands
    members = people.members(10)

    sent = [(m, m.send("/sync_humans")) for m in members]
    replies = [
        telegram_server.wait_for_message(m.id, after=s["message_id"], timeout=20) for m, s in sent
    ]

    run = SyncRun.objects.get()
    assert all(run_ids(r.text) == [run.pk] for r in replies)
    assert sum("Sync started" in r.text for r in replies) == 1
    assert sum("already running" in r.text for r in replies) == 9


def test_notion_down_is_a_readable_failure(live, people, telegram_server, notion_server):
    (member,) = people.members(1)
    notion_server.inject_fault(status=503, count=1000)

    accepted = member.say("/sync_directions")

    end = telegram_server.wait_for_message(member.id, after=accepted.message_id, timeout=30)
    (run_id,) = run_ids(accepted.text)
    assert SyncRun.objects.get(pk=run_id).status == SyncRun.Status.FAILED
    assert f"#{run_id}" in end.text
    assert "failed" in end.text
    assert "Notion is unavailable" in end.text


def test_worker_killed_mid_run_is_reaped_and_the_chat_told(
    live, people, telegram_server, notion_server
):
    (member,) = people.members(1)
    notion_server.latency = 0.8
    accepted = member.say("/sync_humans")
    (run_id,) = run_ids(accepted.text)
    eventually(
        lambda: SyncRun.objects.filter(pk=run_id, status="running").exists(),
        timeout=20,
        what="run started",
    )

    live.worker.kill()  # SIGKILL the whole cluster: no cleanup, no final heartbeat
    notion_server.latency = 0.0
    run = SyncRun.objects.get(pk=run_id)
    assert run.status == SyncRun.Status.RUNNING
    stale_at = run.heartbeat_at + timedelta(seconds=STALE_AFTER_SECONDS + 0.5)
    eventually(lambda: timezone.now() > stale_at, timeout=20, what="heartbeat stale")
    # The schedule runs the reaper every minute; here it is queued at once.
    async_task("integrations.tasks.reap_stale_runs")
    live.start_worker()

    end = telegram_server.wait_for_message(member.id, after=accepted.message_id, timeout=30)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED
    assert f"#{run_id}" in end.text
    assert "worker stopped answering" in end.text
    assert not SyncRun.objects.filter(status__in=["queued", "running"]).exists()


def test_subscriber_is_told_of_a_cli_run(live, people, telegram_server, stack_env):
    (member,) = people.members(1)
    menu = member.say("/subscribe")
    query = telegram_server.press_button(member.user, menu, "sub:all")
    confirmation = telegram_server.wait_for_message(member.id, after=menu.message_id)
    assert telegram_server.wait_for_callback_answer(query)
    assert Subscription.objects.filter(chat_id=member.id, is_active=True).exists()

    result = run_manage(["sync", "humans"], stack_env)

    assert result.returncode == 0, result.stderr
    run = SyncRun.objects.get()
    # (a run of an earlier test may still be announced to whoever subscribed: match ours)
    told = telegram_server.wait_for_message(
        member.id, lambda m: f"#{run.pk}" in m.text, after=confirmation.message_id, timeout=20
    )
    assert "the command line" in told.text


def test_junk_input_is_answered_and_the_bot_survives(live, people, telegram_server):
    (member,) = people.members(1)

    huge = member.say("ж" * 4096)
    unknown = member.say("/launch_rockets")
    wrong = member.say("/sync_humans right now")
    stranger_kind = member.say("/sync everything_please")

    assert "only understand commands" in huge.text
    assert "/launch_rockets" in unknown.text
    assert "takes nothing after it" in wrong.text
    assert "cannot sync" in stranger_kind.text
    assert not SyncRun.objects.exists()
    assert "Running now" in member.say("/status").text
    assert live.bot.alive


def test_member_who_left_is_refused(live, people, sample_org, telegram_server):
    from people.models import Human

    page_id = sample_org.departed_human_id
    handle = sample_org.telegram_by_human[page_id] or "departed_member"
    Human.objects.create(
        notion_page_id=page_id,
        full_name=sample_org.names[page_id],
        telegram_username=handle,
        is_active=False,
    )
    user = telegram_server.create_user(username=handle, first_name="Бывший")

    sent = telegram_server.send_message(user, "/sync_all")
    reply = telegram_server.wait_for_message(user.id, after=sent["message_id"])

    assert str(user.id) in reply.text
    eventually(AccessAttempt.objects.exists, what="the attempt recorded (in the background)")
    assert AccessAttempt.objects.get().reason == "inactive"
    assert not SyncRun.objects.exists()


def test_two_members_pressing_the_same_button_in_a_group(live, people, telegram_server):
    first, second = people.members(2)
    group = telegram_server.create_group(
        title="Штаб", id=ALLOWED_GROUP_ID, members=[first.user, second.user]
    )
    menu = first.say("/sync@org_admin_bot", chat=group.id)

    queries = [telegram_server.press_button(p.user, menu, "sync:humans") for p in (first, second)]

    for query in queries:
        telegram_server.wait_for_callback_answer(query)
    answers = [
        telegram_server.wait_for_message(group.id, after=menu.message_id, timeout=20),
        telegram_server.wait_for_message(
            group.id,
            lambda m: "already running" in m.text or "Sync started" in m.text,
            after=menu.message_id + 1,
            timeout=20,
        ),
    ]
    run = SyncRun.objects.get()
    assert all(run_ids(a.text)[:1] == [run.pk] for a in answers)


def test_a_group_that_is_not_allowed_hears_one_hint(live, people, telegram_server, capsys):
    first, second = people.members(2)
    outsider = people.outsider()
    group = telegram_server.create_group(
        title="Болталка", members=[first.user, second.user, outsider.user]
    )

    hint = first.say("/history@org_admin_bot", chat=group.id)
    first.send("/sync_humans@org_admin_bot", chat=group.id)
    second.send("/status@org_admin_bot", chat=group.id)
    outsider.send("/whoami@org_admin_bot", chat=group.id)
    # The bot logs this line for each of them once it has answered (or not): then what the
    # group got is all it gets.
    live.bot.wait_for_log(f"Group {group.id} is not allowed", timeout=20, count=4)
    eventually(  # recorded in the background, one per command
        lambda: AccessAttempt.objects.filter(chat_id=group.id).count() == 4,
        timeout=20,
        what="four commands recorded",
    )
    private = first.say("/status")

    assert "privately" in hint.text and str(group.id) in hint.text
    assert [m.message_id for m in telegram_server.sent_messages(group.id)] == [hint.message_id]
    assert not SyncRun.objects.exists()
    assert "Running now" in private.text
    with capsys.disabled():
        print("\n" + telegram_server.transcript(group.id))


def test_commands_sent_while_the_bot_was_down(live, people, telegram_server, capsys):
    (member,) = people.members(1)
    sent = {}

    def write_while_down() -> None:
        now = time.time()
        sent["old"] = member.telegram.send_message(member.user, "/sync_humans", date=now - 7200)
        sent["fresh"] = member.telegram.send_message(member.user, "/status", date=now - 5)

    live.restart_bot(write_while_down)

    old = telegram_server.wait_for_message(
        member.id, lambda m: m.reply_to_message_id == sent["old"]["message_id"], timeout=20
    )
    fresh = telegram_server.wait_for_message(
        member.id, lambda m: "Running now" in m.text, after=sent["fresh"]["message_id"]
    )
    assert "while I was unavailable" in old.text and "send it again" in old.text
    assert "Running now" in fresh.text
    assert not SyncRun.objects.exists()
    with capsys.disabled():
        print("\n" + telegram_server.transcript(member.id))
