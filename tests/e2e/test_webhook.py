"""`runbot` in webhook mode: Telegram (the emulator) posts updates with the secret token;
anyone else posting to the webhook is refused."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from integrations.models import SyncRun
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
    calls = len(telegram_server.calls)
    bot = ServiceProcess("runbot-webhook", ["runbot"], env, tmp_path).start()
    try:
        yield telegram_server.wait_for_call("setWebhook", after=calls, timeout=30)
    finally:
        bot.stop(timeout=5)


def test_webhook_mode_registers_with_the_secret_and_answers(webhook_bot, people, telegram_server):
    (member,) = people.members(1)

    reply = member.say("/whoami")

    assert webhook_bot["secret_token"] == "s3cret-token"
    assert webhook_bot["url"].endswith("/telegram")
    assert member.human.full_name in reply.text
    assert telegram_server.webhook_deliveries, "updates went through the webhook"


def post_update(url: str, update: dict, secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(
        url, data=json.dumps(update).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize("secret", [None, "wrong-token", ""], ids=["missing", "wrong", "empty"])
def test_an_update_without_the_secret_is_refused(webhook_bot, people, telegram_server, secret):
    (member,) = people.members(1)
    url = webhook_bot["url"]
    forged = {
        "update_id": 990_000_001,
        "message": {
            "message_id": 900_001,
            "date": int(time.time()),
            "chat": {"id": member.id, "type": "private"},
            "from": {"id": member.id, "is_bot": False, "first_name": "X", "username": "x"},
            "text": "/sync_humans",
            "entities": [{"type": "bot_command", "offset": 0, "length": 12}],
        },
    }

    served = member.say("/whoami")  # the webhook is up: Telegram's own delivery works

    status = post_update(url, forged, secret)
    after = member.say("/whoami")  # and still works; the forged update was never handled

    assert status == 403
    assert member.human.full_name in served.text and member.human.full_name in after.text
    assert not SyncRun.objects.exists()
    assert [m.message_id for m in telegram_server.sent_messages(member.id)] == [
        served.message_id,
        after.message_id,
    ]
