"""The notifier absorbs Telegram trouble: a sync is never failed or repeated by it."""

from __future__ import annotations

import threading

import pytest

from botapp.notifier import Notifier
from integrations.models import SyncRun
from tests.conftest import eventually

# PTB itself reads `RetryAfter.retry_after` in its constructor and warns about its type.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


def start_one_sync(chat, worker):
    accepted = chat.say("/sync_humans")
    eventually(lambda: worker.queued(), what="task queued")
    return accepted


def test_flood_control_on_the_end_message_is_waited_once(bot, org_member, worker, telegram):
    accepted = start_one_sync(org_member, worker)
    telegram.inject("sendMessage", status=429, retry_after=1, chat_id=org_member.id)

    worker.run_queued()

    end = telegram.wait_for_message(org_member.id, after=accepted.message_id)
    assert f"#{SyncRun.objects.get().pk}" in end.text


def test_persistent_flood_control_gives_up_without_failing_the_sync(
    bot, org_member, worker, telegram
):
    accepted = start_one_sync(org_member, worker)
    telegram.inject("sendMessage", status=429, retry_after=1, count=2, chat_id=org_member.id)
    telegram.inject("editMessageText", status=429, retry_after=1, count=50)

    worker.run_queued()

    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.end_notified_at is not None
    assert [m.message_id for m in org_member.messages()] == [accepted.message_id]
    assert len(telegram.calls_to("sendMessage")) == 3  # accepted + one try + one retry


def test_telegram_down_does_not_fail_the_sync(bot, org_member, worker, telegram):
    accepted = org_member.say("/sync_humans")
    eventually(lambda: worker.queued(), what="task queued")
    telegram.inject("sendMessage", status=502, count=5)
    telegram.inject("editMessageText", status=0, count=50)  # dropped connections

    worker.run_queued()

    assert SyncRun.objects.get().status == SyncRun.Status.SUCCEEDED
    assert [m.message_id for m in org_member.messages()] == [accepted.message_id]


def test_blocked_starter_does_not_fail_the_sync(bot, org_member, worker, telegram):
    org_member.say("/sync_humans")
    eventually(lambda: worker.queued(), what="task queued")
    telegram.block(org_member.user)

    worker.run_queued()

    assert SyncRun.objects.get().status == SyncRun.Status.SUCCEEDED


def test_the_final_edit_waits_out_flood_control(telegram, bot_settings, db):
    """One 429 on the last edit of the "sync started" message: the run's database work is
    done by then, so it waits (once) instead of leaving the message on a progress text."""
    user = telegram.create_user(username="member_x")
    notifier = Notifier(token=telegram.token, base_url=telegram.base_url)
    try:
        accepted = notifier.send(user.id, "Accepted #1").message
        notifier.progress.submit(user.id, accepted.message_id, "#1 fetching… 40 pages")
        telegram.wait_for_edit(
            user.id, accepted.message_id, lambda m: m.text == "#1 fetching… 40 pages"
        )
        telegram.inject("editMessageText", status=429, retry_after=1)

        delivery = notifier.progress.finish(user.id, accepted.message_id, "#1 done: 120 pages")
    finally:
        notifier.close()

    assert delivery.ok
    assert telegram.last_message(user.id).text == "#1 done: 120 pages"


def test_the_worker_processes_together_stay_within_telegrams_limits(telegram, bot_settings, db):
    """Each django-q2 worker process has its own notifier: with Q_CLUSTER["workers"] = 2,
    two runs ending together must not send faster than Telegram allows, whatever the
    worker's share of it."""
    bot_settings.Q_CLUSTER = {**bot_settings.Q_CLUSTER, "workers": 2}
    telegram.flood_limits = True
    users = [telegram.create_user(username=f"sub_{n:03d}") for n in range(200)]
    notifiers = [Notifier(token=telegram.token, base_url=telegram.base_url) for _ in range(2)]
    delivered: list[list[bool]] = [[], []]

    def announce(i: int) -> None:  # one worker process's end messages
        for user in users[i * 100 : (i + 1) * 100]:
            delivered[i].append(notifiers[i].send(user.id, "run #1 finished", wait=False).ok)

    threads = [threading.Thread(target=announce, args=(i,)) for i in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        for notifier in notifiers:
            notifier.close()

    assert telegram.flood_refusals == []
    assert delivered == [[True] * 100, [True] * 100]


def test_a_429_is_logged_in_one_line_without_a_traceback(telegram, bot_settings, db, caplog):
    user = telegram.create_user(username="member_y")
    telegram.inject("sendMessage", status=429, retry_after=5, chat_id=user.id)
    notifier = Notifier(token=telegram.token, base_url=telegram.base_url)
    try:
        delivery = notifier.send(user.id, "run #1 finished", wait=False)
    finally:
        notifier.close()

    assert delivery.retry_after == 5
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert any("flood control" in r.getMessage() for r in caplog.records)
