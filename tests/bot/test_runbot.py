"""`manage.py runbot` start-up: the menu, and one clear line for a bad token."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from integrations.sync import registry
from sandbox.telegram_emulator import TelegramEmulator


def test_menu_is_registered_in_russian_and_english(bot, telegram):
    scopes = {language for (_scope, language) in telegram.commands}

    assert {"ru", "en"} <= scopes
    english = next(v for (_s, lang), v in telegram.commands.items() if lang == "en")
    commands = [c["command"] for c in english]
    per_kind = [kind.command for kind in registry.enabled_kinds()]  # sync_humans, sync_directions…
    assert commands[: len(per_kind) + 2] == ["sync", *per_kind, "sync_all"]
    assert {"status", "history", "subscribe", "unsubscribe", "whoami", "help"} <= set(commands)


def test_missing_token_is_one_clear_line(settings):
    settings.TELEGRAM_BOT_TOKEN = ""

    with pytest.raises(CommandError, match="TELEGRAM_BOT_TOKEN is not set"):
        call_command("runbot")


def test_rejected_token_is_one_clear_line(settings, db):
    with TelegramEmulator(token="999:REAL-TOKEN") as other:
        settings.TELEGRAM_BOT_TOKEN = "123:WRONG"
        settings.TELEGRAM_API_BASE_URL = other.base_url

        with pytest.raises(CommandError, match="rejected TELEGRAM_BOT_TOKEN") as info:
            call_command("runbot")

    assert "\n" not in str(info.value)


def test_unreachable_telegram_is_one_clear_line(settings, db):
    settings.TELEGRAM_BOT_TOKEN = "123:TOKEN"
    settings.TELEGRAM_API_BASE_URL = "http://127.0.0.1:9/bot"

    with pytest.raises(CommandError, match="Cannot reach Telegram"):
        call_command("runbot")
