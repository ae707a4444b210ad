"""Subscriptions: chats told about runs they did not start, or about failures only."""

from __future__ import annotations

from botapp.models import Subscription
from integrations.models import SyncRun
from people.models import Human
from tests.conftest import eventually


def subscribe(chat, telegram, scope: str = "all"):
    menu = chat.say("/subscribe")
    query = telegram.press_button(chat.user, menu, f"sub:{scope}")
    telegram.wait_for_callback_answer(query)
    return telegram.wait_for_message(chat.id, after=menu.message_id)


def test_subscribe_buttons_save_the_chat_and_scope(bot, member, telegram):
    confirmation = subscribe(member, telegram, "failures")

    subscription = Subscription.objects.get()
    assert (subscription.chat_id, subscription.scope, subscription.is_active) == (
        member.id,
        "failures",
        True,
    )
    assert subscription.human.telegram_user_id == member.id
    assert "failed" in confirmation.text


def test_unsubscribe_switches_it_off(bot, member, telegram):
    subscribe(member, telegram)

    reply = member.say("/unsubscribe")

    assert not Subscription.objects.get().is_active
    assert "not write here" in reply.text
    assert "was not subscribed" in member.say("/unsubscribe").text


def test_subscriber_is_told_of_a_cli_run(bot, org_member, telegram, worker, sync):
    subscribe(org_member, telegram)
    before = org_member.messages()[-1].message_id

    result = sync("humans")  # `manage.py sync` queues the announcement for the worker
    assert worker.run_queued(as_worker=True) == ["botapp.tasks.notify_run_finished"]

    run = SyncRun.objects.get()
    told = telegram.wait_for_message(org_member.id, after=before)
    assert result.code == 0
    assert f"#{run.pk}" in told.text
    assert "the command line" in told.text


def test_subscriber_is_not_told_of_their_own_run(bot, org_member, telegram, worker):
    subscribe(org_member, telegram)
    accepted = org_member.say("/sync_humans")
    eventually(lambda: worker.queued(), what="task queued")

    worker.run_queued()

    after = [m for m in org_member.messages() if m.message_id > accepted.message_id]
    assert len(after) == 1  # the end message, no extra subscriber copy
    assert "🔔" not in after[0].text


def test_failures_only_subscriber_hears_failures_only(
    bot, org_member, member_factory, telegram, worker, notion
):
    other = member_factory("other_member", "Другой Участник")
    subscribe(other, telegram, "failures")
    before = other.messages()[-1].message_id
    # (directions, not humans: a full humans sync would deactivate the locally made
    # subscriber, who is not in the emulated Notion, and members who left hear nothing)
    org_member.say("/sync_directions")
    eventually(lambda: worker.queued(), what="task queued")
    worker.run_queued()
    notion.inject_fault(status=503, count=100)
    org_member.say("/sync_directions")
    eventually(lambda: worker.queued(), what="task queued")

    worker.run_queued()

    failed = SyncRun.objects.filter(kind="directions").latest("id")
    assert failed.status == SyncRun.Status.FAILED
    told = [m for m in other.messages() if m.message_id > before]
    assert [f"#{failed.pk}" in m.text for m in told] == [True]


def test_a_subscriber_who_blocked_the_bot_is_switched_off(
    bot, org_member, member_factory, telegram, worker
):
    other = member_factory("blocker_one", "Блокирующий Участник")
    subscribe(other, telegram)
    telegram.block(other.user)
    org_member.say("/sync_directions")  # a humans sync would deactivate the local subscriber
    eventually(lambda: worker.queued(), what="task queued")

    worker.run_queued()

    subscription = Subscription.objects.get(chat_id=other.id)
    assert not subscription.is_active
    assert "blocked" in subscription.disabled_reason
    assert SyncRun.objects.get().status == SyncRun.Status.SUCCEEDED


def test_a_member_who_left_hears_nothing_more(bot, org_member, member_factory, telegram, worker):
    other = member_factory("leaving_member", "Уходящий Участник")
    subscribe(other, telegram)
    before = other.messages()[-1].message_id
    Human.objects.filter(telegram_username="leaving_member").update(is_active=False)

    org_member.say("/sync_directions")
    eventually(lambda: worker.queued(), what="task queued")
    worker.run_queued()

    assert [m for m in other.messages() if m.message_id > before] == []


def test_an_account_notion_contradicts_hears_no_more_run_results(
    bot, org_member, member_factory, telegram, worker
):
    """The account took the handle and was bound; then an admin wrote the real owner's id
    in Notion: the bot refuses it, and its old subscription is silent too."""
    taker = member_factory("handle_taker", "Настоящий Владелец")
    subscribe(taker, telegram)
    before = taker.messages()[-1].message_id
    Human.objects.filter(telegram_user_id=taker.id).update(notion_telegram_user_id=999_000_999)

    org_member.say("/sync_directions")
    eventually(lambda: worker.queued(), what="task queued")
    worker.run_queued()

    assert SyncRun.objects.get().status == SyncRun.Status.SUCCEEDED
    assert [m for m in taker.messages() if m.message_id > before] == []


def test_an_account_notion_contradicts_hears_no_more_access_notices(
    bot, member_factory, telegram, worker
):
    taker = member_factory("handle_taker", "Настоящий Владелец")
    subscribed = taker.say("/subscribe access")
    Human.objects.filter(telegram_user_id=taker.id).update(notion_telegram_user_id=999_000_999)
    newcomer = member_factory("fresh_face", "Новичок Новиков")

    newcomer.say("/start")  # a first binding by username: announced to access subscribers
    worker.run_queued()

    assert [m for m in taker.messages() if m.message_id > subscribed.message_id] == []
