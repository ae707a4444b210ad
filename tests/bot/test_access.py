"""Authorisation: members by Telegram id or username, everyone else refused once."""

from __future__ import annotations

from botapp.models import AccessAttempt
from integrations.models import SyncRun
from people.models import Human


def test_member_gets_help_with_the_commands(bot, member):
    reply = member.say("/start")

    assert "/sync_humans" in reply.text
    assert "/subscribe" in reply.text
    assert reply.parse_mode == "HTML"


def test_first_message_binds_the_telegram_id(bot, member):
    member.say("/whoami")

    human = Human.objects.get(telegram_username="ivan_petrov")
    assert human.telegram_user_id == member.id


def test_bound_member_keeps_access_after_renaming_the_handle(bot, member):
    member.say("/whoami")
    member.user.username = "ivan_renamed"

    reply = member.say("/whoami")

    assert "Иван Петров" in reply.text
    assert not AccessAttempt.objects.exists()


def test_username_matches_case_insensitively(bot, member_factory):
    chat = member_factory("Maria_Ivanova", "Мария Иванова", telegram_username="maria_ivanova")

    reply = chat.say("/whoami")

    assert "Мария Иванова" in reply.text


def test_outsider_gets_one_short_refusal_with_their_own_id(bot, outsider, telegram):
    reply = outsider.say("/start")
    bot.wait_idle(telegram)  # the attempt is recorded in the background

    assert str(outsider.id) in reply.text
    assert "@stranger_x" in reply.text
    assert "/sync" not in reply.text
    attempt = AccessAttempt.objects.get()
    assert (attempt.telegram_user_id, attempt.username, attempt.text) == (
        outsider.id,
        "stranger_x",
        "/start",
    )
    assert attempt.reason == AccessAttempt.Reason.UNKNOWN


def test_outsider_flood_is_recorded_but_answered_once(bot, outsider, telegram):
    outsider.say("/start")
    for text in ("/sync_humans", "/sync_all", "hello", "/status"):
        outsider.send(text)

    bot.wait_idle(telegram)
    assert AccessAttempt.objects.count() == 5
    assert len(outsider.messages()) == 1
    assert not SyncRun.objects.exists()


def test_member_who_left_is_refused(bot, member_factory, telegram):
    chat = member_factory("Gone_Member", "Ушедший Участник", is_active=False)

    reply = chat.say("/sync_humans")
    bot.wait_idle(telegram)

    assert str(chat.id) in reply.text
    assert AccessAttempt.objects.get().reason == AccessAttempt.Reason.INACTIVE
    assert not SyncRun.objects.exists()


def test_handle_of_a_member_who_left_bound_to_another_id_is_refused(bot, member_factory, telegram):
    chat = member_factory("Old_Handle", "Старый Владелец")
    chat.say("/whoami")  # binds the id
    newcomer = telegram.create_user(username="Old_Handle_2", first_name="Новый")
    Human.objects.filter(telegram_username="old_handle").update(telegram_username="old_handle_2")

    reply = chat.say("/whoami")  # the bound id still works
    stranger_reply = type(chat)(telegram, newcomer).say("/whoami")
    bot.wait_idle(telegram)

    assert "Старый Владелец" in reply.text
    assert str(newcomer.id) in stranger_reply.text
    assert AccessAttempt.objects.get().telegram_user_id == newcomer.id


def test_two_members_with_one_handle_are_told_an_admin_must_fix_notion(
    bot, member_factory, telegram
):
    chat = member_factory("Twin_Handle", "Первый Близнец")
    Human.objects.create(
        notion_page_id="twin-2", full_name="Второй Близнец", telegram_username="twin_handle"
    )

    reply = chat.say("/status")
    bot.wait_idle(telegram)

    assert "admin must fix Notion" in reply.text
    assert AccessAttempt.objects.get().reason == AccessAttempt.Reason.AMBIGUOUS
    assert Human.objects.filter(telegram_user_id=chat.id).count() == 0


def test_group_commands_are_authorised_per_sender(bot, telegram, member, outsider, settings):
    group = telegram.create_group(title="Штаб", members=[member.user, outsider.user])
    settings.TELEGRAM_GROUP_CHATS = [group.id]

    member_reply = member.say("/status@org_admin_bot", chat=group.id)
    outsider_reply = outsider.say("/status@org_admin_bot", chat=group.id)

    assert "Running now" in member_reply.text
    assert str(outsider.id) in outsider_reply.text
    assert member_reply.reply_to_message_id is not None  # quotes the command in groups


def test_group_commands_for_another_bot_are_ignored(bot, telegram, member, settings):
    group = telegram.create_group(title="Штаб", members=[member.user])
    settings.TELEGRAM_GROUP_CHATS = [group.id]

    member.send("/status@some_other_bot", chat=group.id)
    reply = member.say("/whoami@org_admin_bot", chat=group.id)

    assert len(telegram.sent_messages(group.id)) == 1
    assert "Иван Петров" in reply.text


def test_outsider_pressing_a_button_gets_an_alert_and_no_run(
    bot, telegram, member, outsider, settings
):
    group = telegram.create_group(title="Штаб", members=[member.user, outsider.user])
    settings.TELEGRAM_GROUP_CHATS = [group.id]
    menu = member.say("/sync", chat=group.id)

    query = telegram.press_button(outsider.user, menu, "sync:humans")

    answer = telegram.wait_for_callback_answer(query)
    assert answer["show_alert"] is True
    assert str(outsider.id) in answer["text"]
    assert not SyncRun.objects.exists()


def test_outsider_learns_nothing_when_the_refusal_cannot_be_sent(bot, outsider, telegram):
    secret = Human.objects.create(notion_page_id="p-secret", full_name="Секретный Организатор")
    SyncRun.objects.create(
        kind="humans",
        trigger="telegram",
        status="failed",
        triggered_by=secret,
        error="Notion: database XYZ not shared",
    )
    # Flood control on the refusal itself: the guard fails, and must fail closed.
    telegram.inject("sendMessage", status=429, retry_after=30, count=1, chat_id=outsider.id)

    outsider.send("/history")
    outsider.send("/status")
    outsider.send("/start")
    bot.wait_idle(telegram)

    assert AccessAttempt.objects.count() == 3

    texts = " ".join(m.text for m in outsider.messages())
    assert "Секретный" not in texts and "XYZ" not in texts


def test_odd_history_arguments_get_a_hint(bot, member):
    for argument in ("²", "9" * 5000):
        reply = member.say(f"/history {argument}")

        assert "/history" in reply.text


def test_a_new_members_first_commands_at_once_are_all_served(bot, member_factory, telegram):
    """Authorised one at a time per sender: the first binds, the others find the binding
    (interleaved, one could find the handle bound meanwhile and refuse its own member)."""
    newcomer = member_factory("eager_newcomer", "Новый Участник")

    for _ in range(4):
        newcomer.send("/whoami")
    bot.wait_idle(telegram)

    assert [("Новый Участник" in m.text) for m in newcomer.messages()] == [True] * 4
    assert not AccessAttempt.objects.exists()
