"""Without Google set up (no GOOGLE_SERVICE_ACCOUNT_FILE) the bot does not offer lists: not
in /help, the command menu or the /sync buttons; asked anyway, it says what to set."""

from __future__ import annotations

import pytest

from integrations.models import SyncRun


@pytest.fixture
def no_google(settings):
    settings.GOOGLE_SERVICE_ACCOUNT_FILE = ""


def test_help_the_menu_and_the_buttons_leave_lists_out(no_google, bot, organiser, telegram):
    help_text = organiser.say("/help").text
    buttons = organiser.say("/sync").reply_markup["inline_keyboard"]
    menus = [c["commands"] for c in telegram.calls_to("setMyCommands")]

    assert "/import_list" not in help_text and "/lists" not in help_text
    assert "/sync_lists" not in help_text
    assert menus
    for menu in menus:
        names = {c["command"] for c in menu}
        assert not names & {"import_list", "lists", "sync_lists"}
    labels = [b["text"] for row in buttons for b in row]
    assert "Lists" not in labels


@pytest.mark.parametrize("command", ["/import_list", "/lists", "/sync_lists"])
def test_asked_anyway_it_says_what_to_set(command, no_google, bot, organiser):
    reply = organiser.say(command)

    assert "GOOGLE_SERVICE_ACCOUNT_FILE" in reply.text
    assert not SyncRun.objects.filter(kind="lists").exists()
