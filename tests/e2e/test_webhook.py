"""`runbot` in webhook mode: Telegram (the emulator) posts updates with the secret token."""

from __future__ import annotations

import pytest

from tests.e2e.processes import ServiceProcess, free_port

pytestmark = pytest.mark.e2e


@pytest.fixture
def webhook_bot(stack_env, telegram_server, tmp_path):
    port = free_port()
    env = {
        **stack_env,
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "TELEGRAM_WEBHOOK_SECRET": "s3cret-token",
        "TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
    }
    bot = ServiceProcess("runbot-webhook", ["runbot"], env, tmp_path).start()
    try:
        params = telegram_server.wait_for_call("setWebhook", timeout=30)
        yield params
    finally:
        bot.stop(timeout=5)


def test_webhook_mode_registers_with_the_secret_and_answers(webhook_bot, people, telegram_server):
    (member,) = people.members(1)

    reply = member.say("/whoami")

    assert webhook_bot["secret_token"] == "s3cret-token"
    assert webhook_bot["url"].endswith("/telegram")
    assert member.human.full_name in reply.text
    assert telegram_server.webhook_deliveries, "updates went through the webhook"
