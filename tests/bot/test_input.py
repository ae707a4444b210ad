"""Junk and mistakes get a hint, never silence and never a crash."""

from __future__ import annotations

import pytest

from integrations.models import SyncRun


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("/frobnicate", "do not know the command /frobnicate"),
        ("/sync_everything", "do not know the command"),
        ("hello bot", "only understand commands"),
        ("/sync_humans now please", "takes nothing after it"),
        ("/sync_all 1", "takes nothing after it"),
        ("/sync sheets", "cannot sync"),
        ("/history lots", "/history 25"),
        ("/subscribe sometimes", "/subscribe failures"),
        ("/status verbose", "takes nothing after it"),
    ],
)
def test_wrong_input_gets_a_hint(bot, member, text, hint):
    reply = member.say(text)

    assert hint in reply.text
    assert not SyncRun.objects.exists()


def test_huge_text_is_answered_and_the_bot_survives(bot, member):
    reply = member.say("я" * 4096)

    assert "only understand commands" in reply.text
    assert "Running now" in member.say("/status").text


def test_commands_are_case_insensitive(bot, member):
    assert "Running now" in member.say("/STATUS").text


def test_history_takes_a_number(bot, member):
    for _ in range(3):
        member.say("/sync_humans")
        SyncRun.objects.update(status="failed", error="test")

    reply = member.say("/history 2")

    assert "The last 2 syncs" in reply.text


def test_a_crash_in_a_handler_is_answered(bot, member, monkeypatch):
    from botapp import selectors

    def broken():
        raise RuntimeError("database on fire")

    monkeypatch.setattr(selectors, "sync_runs_active", broken)

    reply = member.say("/status")

    assert "something went wrong" in reply.text
    assert "fire" not in reply.text
    assert "Hello" in member.say("/start").text
