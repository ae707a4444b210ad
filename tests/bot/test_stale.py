"""Commands that waited on Telegram's servers while the bot was down are not executed."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

from integrations.models import SyncRun


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


def test_a_button_under_an_old_menu_starts_nothing(bot, member, telegram, settings):
    menu = member.say("/sync")
    telegram.backdate(member.id, menu.message_id, settings.TELEGRAM_STALE_COMMAND_SECONDS + 60)

    query = telegram.press_button(member.user, menu, "sync:humans")

    answer = telegram.wait_for_callback_answer(query)
    assert answer["show_alert"] is True
    assert "/sync" in answer["text"]
    assert not SyncRun.objects.exists()
