"""The bot token never reaches the logs, even at LOG_LEVEL=DEBUG (real runbot and qcluster)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.e2e.conftest import run_ids, run_manage
from tests.e2e.processes import ServiceProcess

pytestmark = pytest.mark.e2e


@pytest.fixture
def debug_stack(stack_env, telegram_server, tmp_path):
    env = {**stack_env, "LOG_LEVEL": "DEBUG"}
    bot = ServiceProcess("runbot-debug", ["runbot"], env, tmp_path)
    worker = ServiceProcess("qcluster-debug", ["qcluster"], env, tmp_path)
    calls = len(telegram_server.calls)
    try:
        bot.start()
        worker.start()
        worker.wait_for_log("ready for work", timeout=30)
        telegram_server.wait_for_call("getUpdates", after=calls, timeout=30)
        yield bot, worker
    finally:
        bot.stop(timeout=5)
        worker.stop(timeout=5)


def test_token_is_not_logged_at_debug_level(debug_stack, people, telegram_server):
    bot, worker = debug_stack
    (member,) = people.members(1)

    accepted = member.say("/sync_directions")
    (run_id,) = run_ids(accepted.text)
    telegram_server.wait_for_message(
        member.id,
        lambda m: f"#{run_id}" in m.text and "🔔" not in m.text,
        after=accepted.message_id,
        timeout=30,
    )
    bot.stop(timeout=5)
    worker.stop(timeout=5)

    token = telegram_server.token
    secret = token.split(":", 1)[1]
    for process in (bot, worker):
        log = process.log()
        assert "DEBUG" in log, f"{process.name} did not log at DEBUG"
        for form in (token, quote(token, safe=""), secret):
            assert form not in log, f"{process.name} logged the token:\n" + "\n".join(
                line for line in log.splitlines() if form in line
            )


def test_a_rejected_token_is_not_printed(stack_env, telegram_server):
    """Telegram answers 401 (a revoked token): runbot stops with one line, without the token."""
    rejected = "987654321:AAF-rejected-secret-part-0123456789"
    env = {**stack_env, "TELEGRAM_BOT_TOKEN": rejected, "LOG_LEVEL": "DEBUG"}

    result = run_manage(["runbot"], env, timeout=60)

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "rejected TELEGRAM_BOT_TOKEN" in output.strip().splitlines()[-1]
    for form in (rejected, quote(rejected, safe=""), rejected.split(":", 1)[1]):
        assert form not in output, output
