"""Commands that waited on Telegram's servers while the bot was down are not executed."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

from botapp.bot import build_application
from integrations.models import SyncRun
from tests.bot.conftest import RunningBot


def test_a_command_sent_an_hour_ago_is_not_run(bot, member, telegram, settings):
    sent_at = time.time() - 3600
    sent = telegram.send_message(member.user, "/sync_humans", date=sent_at)

    reply = telegram.wait_for_message(member.id, after=sent["message_id"])

    local = datetime.fromtimestamp(sent_at, ZoneInfo(settings.TIME_ZONE)).strftime("%H:%M")
    assert local in reply.text
    assert "again" in reply.text
    assert reply.reply_to_message_id == sent["message_id"]
    assert not SyncRun.objects.exists()


def test_a_command_a_few_seconds_late_is_run(bot, member, telegram):
    sent = telegram.send_message(member.user, "/status", date=time.time() - 20)

    reply = telegram.wait_for_message(member.id, after=sent["message_id"])

    assert "Running now" in reply.text


def test_a_button_under_an_old_menu_works_while_the_bot_runs(bot, member, telegram, settings):
    """A button carries no date of its own: the menu's age says nothing about when it was
    pressed (and over 48 hours Telegram sends a placeholder date)."""
    menu = member.say("/sync")
    telegram.backdate(member.id, menu.message_id, settings.TELEGRAM_STALE_COMMAND_SECONDS + 60)

    query = telegram.press_button(member.user, menu, "sync:humans")

    answer = telegram.wait_for_callback_answer(query)
    bot.wait_idle(telegram)
    assert not answer.get("show_alert")
    assert SyncRun.objects.filter(kind="humans").exists()


def test_a_button_pressed_while_the_bot_was_down_starts_nothing(
    bot, member, telegram, bot_settings
):
    menu = member.say("/sync")
    bot.stop()
    query = telegram.press_button(member.user, menu, "sync:humans")  # waits on Telegram

    restarted = RunningBot(build_application(token=telegram.token, base_url=telegram.base_url))
    restarted.start()
    try:
        answer = telegram.wait_for_callback_answer(query)
        fresh = telegram.press_button(member.user, menu, "sync:directions")  # pressed now
        telegram.wait_for_callback_answer(fresh)
        restarted.wait_idle(telegram)
    finally:
        restarted.stop()

    assert answer["show_alert"] is True
    assert "/sync" in answer["text"]
    assert list(SyncRun.objects.values_list("kind", flat=True)) == ["directions"]


def test_a_forwarded_command_is_not_run(bot, member, telegram):
    """A member forwards someone's day-old /sync_humans: its date is the forward's (now), so
    it would pass as fresh; the bot runs only commands the member sends themselves."""
    someone = telegram.create_user(username="someone_else", first_name="Кто-то")
    origin = {"type": "user", "sender_user": someone.to_dict(), "date": int(time.time()) - 86400}
    sent = telegram.send_message(member.user, "/sync_humans", forward_origin=origin)

    reply = telegram.wait_for_message(member.id, after=sent["message_id"])
    bot.wait_idle(telegram)

    assert "forwarded" in reply.text.lower()
    assert "/sync_humans" in reply.text
    assert not SyncRun.objects.exists()


def test_a_channel_post_copied_into_its_discussion_group_is_ignored(
    bot, member, telegram, settings
):
    """Telegram forwards each channel post into the linked group itself (the sender is its
    service account): nobody sent that command, and nobody is answered."""
    service = telegram.create_user(id=777000, username=None, first_name="Telegram")
    group = telegram.create_group(title="Обсуждение канала", members=[member.user, service])
    settings.TELEGRAM_GROUP_CHATS = [group.id]
    channel = {"id": -1_009_999_000_001, "type": "channel", "title": "Канал"}
    origin = {"type": "channel", "chat": channel, "message_id": 7, "date": int(time.time())}

    telegram.send_message(
        service,
        "/sync_humans@org_admin_bot",
        chat=group.id,
        forward_origin=origin,
        is_automatic_forward=True,
    )
    bot.wait_idle(telegram)

    assert telegram.sent_messages(group.id) == []
    assert not SyncRun.objects.exists()
