"""Floods: per-user limits, database work that is not serialised on one thread, progress
edits off the run's path, and outgoing messages within Telegram's limits."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import close_old_connections, transaction

from botapp.models import AccessAttempt, Subscription
from integrations import signals
from integrations.models import SyncRun
from people.models import Human
from tests.conftest import eventually

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


def test_a_member_flood_is_cut_and_told_once(bot, member, telegram, settings):
    settings.TELEGRAM_USER_BURST = 5
    settings.TELEGRAM_USER_RATE_PER_MINUTE = 0.01  # no refill within the test
    member.say("/whoami")  # one token spent
    first = member.messages()[-1].message_id

    for _ in range(30):
        member.send("/status")

    def answers():
        return [m for m in member.messages() if m.message_id > first]

    eventually(lambda: len(answers()) >= 5, timeout=20, what="four answers and a notice")
    other = type(member)(telegram, telegram.create_user(username="someone_else"))
    other.say("/start")  # the bot went on to later updates
    assert sum("Running now" in m.text for m in answers()) == 4
    assert sum("too many" in m.text.lower() for m in answers()) == 1
    assert len(answers()) == 5


def test_a_steady_flood_is_told_once_not_after_every_admitted_command(
    bot, member, telegram, settings
):
    """Above the rate for a while, the bucket lets a command through now and then: the
    member is told once for the whole flood, not again after each of those."""
    settings.TELEGRAM_USER_BURST = 3
    settings.TELEGRAM_USER_RATE_PER_MINUTE = 30  # one every 2 s; full again after 6 s
    flood_ends = time.monotonic() + 5  # a few commands get through on the way
    while time.monotonic() < flood_ends:
        member.send("/status")
        time.sleep(0.05)  # the member's pace: 20 a second
    bot.wait_idle(telegram, timeout=60)

    answers = [m.text for m in member.messages()]
    assert sum("Running now" in text for text in answers) >= 4  # the burst, then more
    assert sum("too many" in text.lower() for text in answers) == 1


def test_an_outsider_flood_is_cut_before_the_database(bot, outsider, member, settings, telegram):
    settings.TELEGRAM_USER_RATE_PER_MINUTE = 0.01  # the burst only, no refill in the test
    for _ in range(300):
        outsider.send("/sync_humans")

    reply = member.say("/status", timeout=30)
    bot.wait_idle(telegram)  # all 300 handled: a count now is final

    assert "Running now" in reply.text
    assert AccessAttempt.objects.count() == settings.TELEGRAM_USER_BURST
    # The burst is authorised on several database threads at once: still one refusal.
    assert len(outsider.messages()) == 1
    assert AccessAttempt.objects.filter(answered=True).count() == 1
    assert not SyncRun.objects.exists()


@pytest.fixture
def database_writer_busy(transactional_db):
    """Another process holds a write: SQLite's one write lock, or a PostgreSQL row lock on
    every Human, until `release` is set."""
    release, holding = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                list(Human.objects.select_for_update().all())  # PostgreSQL: row locks
                Human.objects.filter(pk=-1).update(full_name="")  # SQLite: the write lock
                holding.set()
                release.wait(30)
        finally:
            close_old_connections()

    thread = threading.Thread(target=hold, daemon=True)
    yield thread, holding, release
    release.set()
    thread.join(10)


def test_one_blocked_write_does_not_freeze_the_bot(
    bot, member_factory, telegram, database_writer_busy
):
    waiting = member_factory("first_time_member", "Новый Участник")  # its binding must write
    known = member_factory("known_member", "Знакомый Участник")
    Human.objects.filter(telegram_username="known_member").update(telegram_user_id=known.id)
    thread, holding, release = database_writer_busy
    thread.start()
    assert holding.wait(10)
    calls = len(telegram.calls)

    sent = waiting.send("/whoami")
    telegram.wait_for_call("getUpdates", lambda p: p.get("offset", 0) > 0, after=calls)
    reply = known.say("/status", timeout=10)  # while the first member's write still waits

    assert "Running now" in reply.text
    assert not [m for m in waiting.messages() if m.message_id > sent["message_id"]]
    release.set()
    assert "Новый Участник" in telegram.wait_for_message(waiting.id, after=sent["message_id"]).text


def test_outsiders_refused_while_the_database_is_locked_do_not_hold_up_members(
    bot, member_factory, telegram, database_writer_busy
):
    """Eight strangers write while a sync holds SQLite's write lock: their refusals are
    recorded by the background writer, not on the threads a member's /status (a read)
    needs. (On PostgreSQL the held lock is on Humans, which a refusal never waits for.)"""
    known = member_factory("known_member", "Знакомый Участник")
    Human.objects.filter(telegram_username="known_member").update(telegram_user_id=known.id)
    thread, holding, release = database_writer_busy
    thread.start()
    assert holding.wait(10)
    strangers = [telegram.create_user(username=f"stranger_{n:02d}") for n in range(8)]
    for stranger in strangers:
        telegram.send_message(stranger, "/start")
    telegram.wait_until_fetched()  # the bot has them all

    reply = known.say("/status", timeout=15)  # the lock is held for 30 s

    assert "Running now" in reply.text
    for stranger in strangers:  # refused meanwhile, without waiting for the lock
        assert "only for members" in telegram.wait_for_message(stranger.id, timeout=5).text
    release.set()
    bot.wait_idle(telegram)
    assert AccessAttempt.objects.filter(answered=True).count() == 8  # recorded afterwards


def test_a_slow_telegram_does_not_hold_the_sync(bot, org_member, worker, telegram):
    accepted = org_member.say("/sync_humans")
    eventually(lambda: worker.queued(), what="task queued")
    slow = telegram.inject("editMessageText", status=200, delay=8, count=1)
    seen: list[int] = []

    def on_progress(sender, run, progress, **kwargs) -> None:
        seen.append(slow.answered)  # after the bot's own receiver has done its part

    signals.sync_run_progress.connect(on_progress, dispatch_uid="test-slow-telegram")
    try:
        worker.run_queued()
    finally:
        signals.sync_run_progress.disconnect(dispatch_uid="test-slow-telegram")

    # Every progress step of the run went on while Telegram still held the first edit.
    assert len(seen) >= 3 and set(seen) == {0}
    # Coalesced: the held edit, then at most the latest progress, then the final state.
    assert len(telegram.calls_to("editMessageText")) <= 3
    assert SyncRun.objects.get().status == SyncRun.Status.SUCCEEDED
    end = telegram.wait_for_message(org_member.id, after=accepted.message_id, timeout=20)
    assert "done in" in end.text


def test_a_burst_of_subscriber_messages_stays_within_telegrams_limits(
    bot, org_member, member_factory, telegram, worker, sync
):
    telegram.flood_limits = True
    for n in range(45):
        chat = member_factory(f"subscriber_{n:02d}", "Подписчик Номер")
        human = Human.objects.get(telegram_username=f"subscriber_{n:02d}")
        Human.objects.filter(pk=human.pk).update(telegram_user_id=chat.id)
        Subscription.objects.create(chat_id=chat.id, human=human, scope="all")

    assert sync("directions").code == 0
    worker.run_queued()

    told = {m.chat_id for m in telegram.sent_messages() if "the command line" in m.text}
    assert len(told) == 45
    assert telegram.flood_refusals == []


def test_a_burst_of_replies_stays_within_telegrams_limits(bot, member_factory, telegram):
    telegram.flood_limits = True
    chats = [member_factory(f"busy_member_{n:02d}", "Занятой Участник") for n in range(45)]

    sent = [(chat, chat.send("/help")) for chat in chats]
    for chat, message in sent:
        telegram.wait_for_message(chat.id, after=message["message_id"], timeout=30)

    assert telegram.flood_refusals == []
