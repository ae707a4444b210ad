"""Group chats: served only when allowed (TELEGRAM_GROUP_CHATS), subscriptions that end
with their member, and groups upgraded to supergroups."""

from __future__ import annotations

import pytest

from botapp.models import AccessAttempt, Subscription
from integrations.models import SyncRun
from people.models import Human
from tests.conftest import eventually


def test_a_group_that_is_not_allowed_gets_one_hint_and_no_data(bot, telegram, member):
    member.say("/whoami")  # a member, bound
    SyncRun.objects.create(kind="humans", trigger="cli", status="failed", error="secret XYZ")
    group = telegram.create_group(title="Чужая группа", members=[member.user])

    hint = member.say("/history@org_admin_bot", chat=group.id)
    member.send("/sync_humans@org_admin_bot", chat=group.id)
    member.send("/status@org_admin_bot", chat=group.id)
    bot.wait_idle(telegram)  # every command handled: what the group got is all it gets

    assert "privately" in hint.text
    assert str(group.id) in hint.text  # what an admin adds to TELEGRAM_GROUP_CHATS
    assert AccessAttempt.objects.filter(chat_id=group.id).count() == 3
    assert [m.text for m in telegram.sent_messages(group.id)] == [hint.text]
    assert "XYZ" not in hint.text and "Иван" not in hint.text
    assert SyncRun.objects.count() == 1  # nothing started
    assert AccessAttempt.objects.filter(reason="group").count() == 3


def test_a_flood_in_a_group_that_is_not_allowed_hears_only_the_hint(
    bot, telegram, member, settings
):
    """Not even "too many commands": that would tell the group the sender is a member."""
    settings.TELEGRAM_USER_BURST = 2
    settings.TELEGRAM_USER_RATE_PER_MINUTE = 0.01  # no refill within the test
    member.say("/whoami")  # a member
    group = telegram.create_group(title="Чужая группа", members=[member.user])

    for _ in range(6):
        member.send("/status@org_admin_bot", chat=group.id)
    bot.wait_idle(telegram)

    assert [("privately" in m.text) for m in telegram.sent_messages(group.id)] == [True]


def test_an_allowed_group_is_served(bot, telegram, member, settings):
    group = telegram.create_group(title="Штаб", members=[member.user])
    settings.TELEGRAM_GROUP_CHATS = [group.id]

    reply = member.say("/status@org_admin_bot", chat=group.id)

    assert "Running now" in reply.text


def test_a_button_in_a_group_that_is_not_allowed_starts_nothing(bot, telegram, member, settings):
    group = telegram.create_group(title="Штаб", members=[member.user])
    settings.TELEGRAM_GROUP_CHATS = [group.id]
    menu = member.say("/sync@org_admin_bot", chat=group.id)
    settings.TELEGRAM_GROUP_CHATS = []  # an admin took the group off the list

    query = telegram.press_button(member.user, menu, "sync:humans")

    answer = telegram.wait_for_callback_answer(query)
    assert answer["show_alert"] is True
    assert "privately" in answer["text"]
    assert not SyncRun.objects.exists()


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_alert_in_a_group_that_is_not_allowed_shows_its_id(
    bot, telegram, member, settings, language
):
    """A button's alert holds 200 characters: the group's id (what an admin needs) must be
    in it, in every language."""
    group = telegram.create_group(title="Штаб", members=[member.user])
    settings.TELEGRAM_GROUP_CHATS = [group.id]
    menu = member.say("/sync@org_admin_bot", chat=group.id)
    settings.TELEGRAM_GROUP_CHATS = []
    settings.LANGUAGE_CODE = language

    answer = telegram.wait_for_callback_answer(
        telegram.press_button(member.user, menu, "sync:humans")
    )

    assert str(group.id) in answer["text"]
    assert len(answer["text"]) <= 200


def subscribe_group(member, telegram, group) -> None:
    menu = member.say("/subscribe@org_admin_bot", chat=group.id)
    query = telegram.press_button(member.user, menu, "sub:all")
    telegram.wait_for_callback_answer(query)
    telegram.wait_for_message(group.id, after=menu.message_id)


def test_a_group_subscription_ends_when_its_member_leaves(
    bot, telegram, member, settings, worker, sync, org
):
    group = telegram.create_group(title="Штаб", members=[member.user])
    settings.TELEGRAM_GROUP_CHATS = [group.id]
    subscribe_group(member, telegram, group)
    before = telegram.last_message(group.id).message_id
    Human.objects.filter(telegram_user_id=member.id).update(is_active=False)

    assert sync("directions").code == 0
    worker.run_queued()

    assert [m for m in telegram.sent_messages(group.id) if m.message_id > before] == []
    subscription = Subscription.objects.get(chat_id=group.id)
    assert not subscription.is_active
    assert "left" in subscription.disabled_reason


def test_a_group_upgraded_to_a_supergroup_keeps_its_subscription(bot, telegram, member, settings):
    group = telegram.create_group(title="Штаб", members=[member.user], basic=True)
    settings.TELEGRAM_GROUP_CHATS = [group.id]
    subscribe_group(member, telegram, group)

    supergroup = telegram.migrate_group(group, by=member.user)

    eventually(
        lambda: Subscription.objects.filter(chat_id=supergroup.id, is_active=True).exists(),
        what="subscription moved to the supergroup",
    )
    assert not Subscription.objects.filter(chat_id=group.id).exists()
    notice = telegram.wait_for_message(supergroup.id, after=0)
    assert str(supergroup.id) in notice.text  # the id to put in TELEGRAM_GROUP_CHATS


def test_the_notifier_follows_a_group_it_did_not_see_migrate(
    telegram, bot_settings, member_factory, worker, sync, org
):
    """The bot was down when the group was upgraded: Telegram's 400 names the new id."""
    member = member_factory("group_owner", "Владелец Группы")
    human = Human.objects.get(telegram_username="group_owner")
    Human.objects.filter(pk=human.pk).update(telegram_user_id=member.id)
    group = telegram.create_group(title="Штаб", members=[member.user], basic=True)
    Subscription.objects.create(chat_id=group.id, human=human, scope="all")
    supergroup = telegram.migrate_group(group, by=member.user)
    bot_settings.TELEGRAM_GROUP_CHATS = [group.id, supergroup.id]

    assert sync("directions").code == 0
    worker.run_queued()

    assert Subscription.objects.get(human=human).chat_id == supergroup.id
    told = telegram.wait_for_message(supergroup.id, lambda m: "#" in m.text, after=0)
    assert "the command line" in told.text
