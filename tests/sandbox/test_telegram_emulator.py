"""The Telegram Bot API emulator, driven by the real python-telegram-bot (no Django needed)."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from sandbox.telegram_emulator import (
    ERR_NOT_MODIFIED,
    BotActivity,
    TelegramEmulator,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
)

KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Люди", callback_data="sync:humans")],
        [InlineKeyboardButton("Всё", callback_data="sync:all")],
    ]
)


@pytest.fixture
def emu():
    with TelegramEmulator() as emulator:
        yield emulator


def run(coro):
    return asyncio.run(coro)


def api(emu: TelegramEmulator, method: str, **kwargs) -> httpx.Response:
    return httpx.post(f"{emu.base_url}{emu.token}/{method}", data=kwargs, timeout=10)


def retry_seconds(exc: RetryAfter) -> float:
    value = exc.retry_after  # an int with a PTBDeprecationWarning unless PTB_TIMEDELTA=true
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value


# -------------------------------------------------------------------------------- a plain Bot


def test_bot_methods_through_ptb(emu):
    ivan = emu.create_user(username="ivan", first_name="Иван")

    async def scenario():
        async with Bot(emu.token, base_url=emu.base_url) as bot:
            me = await bot.get_me()
            assert (me.username, me.is_bot, me.first_name) == ("org_admin_bot", True, "Оргбот")
            assert me.can_read_all_group_messages is False

            sent = await bot.send_message(
                ivan.id,
                "<b>Синк</b> людей &amp; направлений",
                parse_mode="HTML",
                reply_markup=KEYBOARD,
            )
            assert sent.text == "Синк людей & направлений"
            assert sent.entities[0].type == "bold" and sent.entities[0].length == 4
            assert sent.reply_markup == KEYBOARD
            assert sent.chat.id == ivan.id and sent.from_user.id == emu.bot_id

            edited = await bot.edit_message_text(
                "Запущено #1", chat_id=ivan.id, message_id=sent.message_id, reply_markup=KEYBOARD
            )
            assert edited.text == "Запущено #1" and edited.edit_date is not None
            with pytest.raises(BadRequest, match="not modified"):
                await bot.edit_message_text(
                    "Запущено #1",
                    chat_id=ivan.id,
                    message_id=sent.message_id,
                    reply_markup=KEYBOARD,
                )
            # the same text without reply_markup removes the keyboard: that is a modification
            await bot.edit_message_text("Запущено #1", chat_id=ivan.id, message_id=sent.message_id)
            with pytest.raises(BadRequest, match="not modified"):
                await bot.edit_message_reply_markup(chat_id=ivan.id, message_id=sent.message_id)
            with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
                await bot.edit_message_text("x", chat_id=ivan.id, message_id=999)

            reply = await bot.send_message(ivan.id, "ответ", reply_to_message_id=sent.message_id)
            assert reply.reply_to_message.message_id == sent.message_id
            assert reply.message_id == sent.message_id + 1
            assert await bot.send_chat_action(ivan.id, "typing") is True
            assert (await bot.get_chat(ivan.id)).username == "ivan"
            assert (await bot.get_chat_member(ivan.id, ivan.id)).status == "member"
            assert await bot.delete_message(ivan.id, reply.message_id) is True

            with pytest.raises(BadRequest, match="Chat not found"):
                await bot.send_message(42, "кто здесь?")
            with pytest.raises(BadRequest, match="Message text is empty"):
                await bot.send_message(ivan.id, "   ")
            with pytest.raises(BadRequest, match="Message is too long"):
                await bot.send_message(ivan.id, "я" * 4097)
            with pytest.raises(BadRequest, match='unsupported start tag "br"'):
                await bot.send_message(ivan.id, "a<br>b", parse_mode="HTML")
            with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
                await bot.send_message(ivan.id, "Смит & Ко", parse_mode="HTML")

    run(scenario())

    first = emu.sent_messages(ivan.id)[0]
    assert first.text == "Запущено #1" and first.reply_markup is None
    assert [e["text"] for e in first.edits] == ["Синк людей & направлений", "Запущено #1"]
    assert first.edits[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "sync:humans"
    assert first.raw_text == "Запущено #1" and first.edited_at >= first.sent_at
    assert emu.sent_messages(ivan.id)[1].deleted
    assert emu.chat_actions[-1]["action"] == "typing"
    methods = [name for name, _ in emu.calls]
    assert methods[:3] == ["getMe", "getMe", "sendMessage"]  # Bot.initialize() calls getMe
    assert emu.calls_to("sendMessage")[0]["reply_markup"]["inline_keyboard"][1][0]["text"] == "Всё"


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_faults_map_to_ptb_exceptions(emu):
    ivan = emu.create_user()
    group = emu.create_group()

    async def scenario():
        async with Bot(emu.token, base_url=emu.base_url) as bot:
            emu.inject("sendMessage", status=429, retry_after=7)
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(ivan.id, "1")
            assert retry_seconds(caught.value) == 7
            await bot.send_message(ivan.id, "после паузы")  # the fault was used up

            emu.inject("sendMessage", status=502, count=2)
            for _ in range(2):
                with pytest.raises(NetworkError) as caught_502:
                    await bot.send_message(ivan.id, "2")
                assert not isinstance(caught_502.value, BadRequest)

            emu.inject("sendMessage", status=500, chat_id=group.id)
            await bot.send_message(ivan.id, "в личку проходит")
            with pytest.raises(NetworkError, match="Internal Server Error"):
                await bot.send_message(group.id, "в группу нет")

            emu.inject("sendMessage", status=0)  # the connection drops
            with pytest.raises(NetworkError):
                await bot.send_message(ivan.id, "3")

            emu.block(ivan)
            with pytest.raises(Forbidden, match="bot was blocked by the user"):
                await bot.send_message(ivan.id, "4")
            emu.unblock(ivan.id)
            await bot.send_message(ivan.id, "снова можно")

        with pytest.raises(InvalidToken):
            async with Bot("123456:WRONG", base_url=emu.base_url):
                pass

    run(scenario())
    assert [m.text for m in emu.sent_messages(ivan.id)] == [
        "после паузы",
        "в личку проходит",
        "снова можно",
    ]
    status = httpx.post(f"{emu.base_url}{emu.token}/sendPigeon").status_code
    assert status == 404


# -------------------------------------------------------------------------------- Application


def test_application_polling_commands_and_buttons(emu):
    ivan = emu.create_user(username="ivan")
    staff = emu.create_group(title="Штаб")
    activity: list[BotActivity] = []
    emu.on_bot_activity(activity.append)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(
            f"Привет, {update.effective_user.first_name}!", reply_markup=KEYBOARD
        )

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("Запускаю")
        await query.edit_message_text(f"Запущено: {query.data}")

    async def scenario():
        app = Application.builder().token(emu.token).base_url(emu.base_url).build()
        app.add_handler(CommandHandler("start", start))
        app.add_handler(CallbackQueryHandler(button))
        await app.initialize()
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            began = time.perf_counter()
            command = emu.send_message(ivan, "/start")
            reply = await asyncio.to_thread(
                emu.wait_for_message, ivan.id, after=command["message_id"], timeout=5
            )
            latency = time.perf_counter() - began
            assert reply.text == "Привет, Иван!"
            assert reply.callback_data == ["sync:humans", "sync:all"]

            query_id = emu.press_button(ivan, reply, "sync:all")
            answer = await asyncio.to_thread(emu.wait_for_callback_answer, query_id, timeout=5)
            assert answer["text"] == "Запускаю" and answer["data"] == "sync:all"
            edited = await asyncio.to_thread(
                emu.wait_for_edit,
                ivan.id,
                reply.message_id,
                lambda m: m.text.startswith("Запущено"),
                timeout=5,
            )
            assert edited.text == "Запущено: sync:all" and edited.reply_markup is None

            in_group = emu.send_message(ivan, "/start@org_admin_bot", chat=staff)
            assert in_group["entities"] == [
                {"offset": 0, "length": len("/start@org_admin_bot"), "type": "bot_command"}
            ]
            group_reply = await asyncio.to_thread(
                emu.wait_for_message, staff.id, after=in_group["message_id"], timeout=5
            )
            # PTB's reply_text quotes the command in groups (do_quote defaults to non-private)
            assert group_reply.reply_to_message_id == in_group["message_id"]
            assert group_reply.text == "Привет, Иван!"
            return latency
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()

    latency = run(scenario())
    assert latency < 2.0
    assert emu.callback_answers[0]["callback_query_id"]
    assert [e.kind for e in activity] == ["sent", "answered", "edited", "sent"]
    assert not emu.pending_updates  # the shutdown getUpdates confirmed everything
    transcript = emu.transcript(ivan.id)
    assert "/start" in transcript and "pressed [Всё]" in transcript and "edited 1x" in transcript


def test_set_my_commands_per_language_and_scope(emu):
    async def scenario():
        async with Bot(emu.token, base_url=emu.base_url) as bot:
            await bot.set_my_commands([BotCommand("start", "Начать"), ("sync", "Синхронизация")])
            await bot.set_my_commands([("start", "Start")], language_code="en")
            await bot.set_my_commands(
                [("status", "Статус")], scope=BotCommandScopeAllGroupChats(), language_code="ru"
            )
            assert [c.command for c in await bot.get_my_commands()] == ["start", "sync"]
            assert (await bot.get_my_commands(language_code="en"))[0].description == "Start"
            assert await bot.get_my_commands(language_code="de") == ()
            with pytest.raises(BadRequest, match="Bot_command_invalid"):
                await bot.set_my_commands([("Bad-Command", "x")])
            await bot.set_my_description("Бот оргкомитета", language_code="ru")
            await bot.set_my_short_description("Синки")
            await bot.delete_my_commands(language_code="en")

    run(scenario())
    assert emu.commands[("default", "")] == [
        {"command": "start", "description": "Начать"},
        {"command": "sync", "description": "Синхронизация"},
    ]
    assert ("default", "en") not in emu.commands
    assert emu.commands[('{"type":"all_group_chats"}', "ru")][0]["command"] == "status"
    assert emu.descriptions == {"ru": "Бот оргкомитета"}
    assert emu.short_descriptions == {"": "Синки"}


# -------------------------------------------------------------------------------- raw HTTP


def test_get_updates_offsets_long_poll_and_conflict(emu):
    ivan = emu.create_user()
    first = emu.send_message(ivan, "раз")
    emu.send_message(ivan, "два")
    updates = api(emu, "getUpdates").json()["result"]
    assert [u["message"]["text"] for u in updates] == ["раз", "два"]
    assert updates[0]["message"]["message_id"] == first["message_id"]
    confirmed = api(emu, "getUpdates", offset=updates[0]["update_id"] + 1).json()["result"]
    assert [u["message"]["text"] for u in confirmed] == ["два"]
    assert api(emu, "getUpdates", offset=updates[1]["update_id"] + 1).json()["result"] == []

    # a long poll returns as soon as an update arrives
    threading.Timer(0.2, emu.send_message, args=(ivan, "три")).start()
    began = time.perf_counter()
    arrived = api(emu, "getUpdates", offset=updates[1]["update_id"] + 1, timeout=5).json()
    assert arrived["result"][0]["message"]["text"] == "три"
    assert time.perf_counter() - began < 2

    # a newer getUpdates terminates the pending one with 409
    results: dict[str, httpx.Response] = {}
    offset = arrived["result"][0]["update_id"] + 1
    older = threading.Thread(
        target=lambda: results.setdefault("old", api(emu, "getUpdates", offset=offset, timeout=5))
    )
    older.start()
    emu.wait_for_call("getUpdates", lambda p: p.get("timeout") == 5, after=len(emu.calls) - 1)
    time.sleep(0.05)  # let the older request reach its wait
    newer = api(emu, "getUpdates", offset=offset, timeout=0)
    older.join(5)
    assert newer.status_code == 200
    assert results["old"].status_code == 409
    assert "terminated by other getUpdates request" in results["old"].json()["description"]


def test_request_encodings_and_errors(emu):
    ivan = emu.create_user()
    url = f"{emu.base_url}{emu.token}"
    markup = {"inline_keyboard": [[{"text": "ok", "callback_data": "ok"}]]}
    as_json = httpx.post(
        f"{url}/SENDMESSAGE", json={"chat_id": ivan.id, "text": "json", "reply_markup": markup}
    )
    assert as_json.json()["result"]["reply_markup"] == markup
    as_query = httpx.get(f"{url}/sendMessage", params={"chat_id": str(ivan.id), "text": "query"})
    assert as_query.json()["result"]["text"] == "query"
    as_multipart = httpx.post(
        f"{url}/sendMessage",
        data={"chat_id": str(ivan.id), "text": "multipart"},
        files={"document": ("a.txt", b"hello")},
    )
    assert as_multipart.json()["result"]["text"] == "multipart"
    assert emu.calls_to("sendMessage")[2]["document"] == {"filename": "a.txt", "content": b"hello"}

    wrong = httpx.post(f"{emu.base_url}1:nope/getMe")
    assert (wrong.status_code, wrong.json()) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    not_modified = api(
        emu,
        "editMessageText",
        chat_id=ivan.id,
        message_id=1,
        text="json",
        reply_markup=json.dumps(markup),
    )
    assert not_modified.status_code == 400
    assert not_modified.json()["description"] == ERR_NOT_MODIFIED
    too_long_data = api(
        emu,
        "sendMessage",
        chat_id=ivan.id,
        text="x",
        reply_markup=json.dumps({"inline_keyboard": [[{"text": "x", "callback_data": "x" * 65}]]}),
    )
    assert too_long_data.json()["description"] == "Bad Request: BUTTON_DATA_INVALID"
    emu.inject("getMe", status=429)
    limited = api(emu, "getMe").json()
    assert limited["parameters"] == {"retry_after": 1}
    assert limited["description"] == "Too Many Requests: retry after 1"


def test_webhook_delivery_with_secret(emu):
    received: list[tuple[str | None, dict]] = []
    got = threading.Event()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers.get("X-Telegram-Bot-Api-Secret-Token"), json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            got.set()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ivan = emu.create_user()
        hook_url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        assert api(emu, "setWebhook", url=hook_url, secret_token="s3cret").json()["result"]
        assert api(emu, "getUpdates").status_code == 409
        emu.send_message(ivan, "/status")
        assert got.wait(5)
        secret, update = received[0]
        assert secret == "s3cret" and update["message"]["text"] == "/status"
        info = api(emu, "getWebhookInfo").json()["result"]
        assert info["url"] == hook_url
        assert api(emu, "deleteWebhook", drop_pending_updates="true").json()["result"]
        assert api(emu, "getUpdates").json()["result"] == []
    finally:
        server.shutdown()
        server.server_close()


# -------------------------------------------------------------------------------- users' side


def test_privacy_mode_transcript_and_timeouts(emu):
    ivan = emu.create_user(username="ivan", first_name="Иван", last_name="Петров")
    group = emu.create_group(title="Штаб")
    emu.send_message(ivan, "всем привет", chat=group)  # not for the bot: privacy mode
    emu.send_message(ivan, "/help@other_bot", chat=group)  # another bot's command
    emu.send_message(ivan, "/sync_all", chat=group)
    emu.send_message(ivan, "эй @org_admin_bot", chat=group)
    assert [u["message"]["text"] for u in emu.pending_updates] == ["/sync_all", "эй @org_admin_bot"]

    with pytest.raises(AssertionError) as caught:
        emu.wait_for_message(group.id, timeout=0.05)
    assert "Иван Петров (@ivan): всем привет" in str(caught.value)
    with pytest.raises(ValueError, match="already taken"):
        emu.create_user(id=ivan.id)
    with pytest.raises(KeyError):
        emu.send_message(999, "кто я")


def test_parsers():
    assert parse_html('<a href="https://t.me/x">ссылка</a> и <tg-spoiler>тайна</tg-spoiler>') == (
        "ссылка и тайна",
        [
            {"offset": 0, "length": 6, "type": "text_link", "url": "https://t.me/x"},
            {"offset": 9, "length": 5, "type": "spoiler"},
        ],
    )
    text, entities = parse_html('👍 <pre><code class="language-python">x = 1</code></pre>')
    assert text == "👍 x = 1"
    assert entities == [{"offset": 3, "length": 5, "type": "pre", "language": "python"}]
    assert parse_html("a &lt;b&gt; &#x41;&quot;") == ('a <b> A"', [])
    for bad, message in [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("1 > 0", 'Character ">" must be escaped'),
        ("&nbsp;", 'Character "&" must be escaped'),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_html(bad)
    assert parse_html("Смит & Ко > всех", strict=False) == ("Смит & Ко > всех", [])

    assert parse_markdown_v2(r"*жирный* _курсив_ __подчёркнутый__ итог\: 5\.0") == (
        "жирный курсив подчёркнутый итог: 5.0",
        [
            {"offset": 0, "length": 6, "type": "bold"},
            {"offset": 7, "length": 6, "type": "italic"},
            {"offset": 14, "length": 12, "type": "underline"},
        ],
    )
    with pytest.raises(ValueError, match=r"Character '\.' is reserved"):
        parse_markdown_v2("Готово.")
    with pytest.raises(ValueError, match="Can't find end of Bold entity at byte offset 0"):
        parse_markdown_v2("*жирный")
    assert parse_markdown("*b* [t](http://x)") == (
        "b t",
        [
            {"offset": 0, "length": 1, "type": "bold"},
            {"offset": 2, "length": 1, "type": "text_link", "url": "http://x"},
        ],
    )


# --- flood control, group upgrades, dated messages (issue 8) ----------------------------


def test_flood_limits_answer_429_beyond_30_messages_a_second(emu):
    emu.flood_limits = True
    emu.flood_clock = lambda: 1000.0  # all at the same instant
    users = [emu.create_user() for _ in range(31)]

    answers = [api(emu, "sendMessage", chat_id=u.id, text="hi") for u in users]

    assert [a.status_code for a in answers[:30]] == [200] * 30
    assert answers[30].status_code == 429
    assert answers[30].json()["parameters"]["retry_after"] >= 1
    assert emu.flood_refusals == [{"chat_id": users[30].id, "retry_after": 1}]


def test_flood_limits_allow_20_messages_a_minute_in_a_group(emu):
    emu.flood_limits = True
    emu.flood_clock = lambda: 1000.0
    group = emu.create_group()

    answers = [api(emu, "sendMessage", chat_id=group.id, text="hi") for _ in range(21)]

    assert [a.status_code for a in answers] == [200] * 20 + [429]
    assert answers[20].json()["parameters"]["retry_after"] >= 2


def test_an_upgraded_group_moves_and_the_old_id_names_the_new_one(emu):
    user = emu.create_user(username="owner")
    group = emu.create_group(members=[user], basic=True)

    supergroup = emu.migrate_group(group, by=user)

    assert group.type == "group" and supergroup.type == "supergroup"
    updates = [u["message"] for u in emu.pending_updates]
    assert updates[0]["migrate_to_chat_id"] == supergroup.id
    assert updates[0]["chat"]["id"] == group.id
    assert updates[1]["migrate_from_chat_id"] == group.id
    answer = api(emu, "sendMessage", chat_id=group.id, text="hi")
    assert answer.status_code == 400
    assert answer.json()["parameters"] == {"migrate_to_chat_id": supergroup.id}
    assert "upgraded to a supergroup" in answer.json()["description"]
    assert api(emu, "sendMessage", chat_id=supergroup.id, text="hi").status_code == 200


def test_ptb_turns_the_old_group_id_into_chat_migrated(emu):
    from telegram.error import ChatMigrated

    user = emu.create_user()
    group = emu.create_group(members=[user], basic=True)
    supergroup = emu.migrate_group(group, by=user)

    async def go():
        async with Bot(emu.token, base_url=emu.base_url) as bot:
            await bot.send_message(group.id, "hi")

    with pytest.raises(ChatMigrated) as info:
        run(go())
    assert info.value.new_chat_id == supergroup.id


def test_messages_keep_the_time_they_were_sent(emu):
    user = emu.create_user()
    sent_at = time.time() - 3600

    message = emu.send_message(user, "/status", date=sent_at)

    assert emu.pending_updates[0]["message"]["date"] == int(sent_at)
    assert message["date"] == int(sent_at)


def test_a_slow_call_succeeds_after_its_delay(emu):
    user = emu.create_user()
    fault = emu.inject("sendMessage", status=200, delay=0.3)
    started = time.monotonic()

    answer = api(emu, "sendMessage", chat_id=user.id, text="late")

    assert answer.status_code == 200
    assert time.monotonic() - started >= 0.3
    assert fault.answered == 1
    assert emu.last_message(user.id).text == "late"
