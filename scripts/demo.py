"""`make demo`: the whole service offline, in one terminal.

Starts the Notion, Telegram and Google Sheets emulators in this process (seeded with the
sample organisation and its sign-up sheet), migrates a demo SQLite database, creates a demo
superuser, runs a first sync from the command line, then starts the real `qcluster`,
`runbot` and `runserver` as subprocesses pointed at the emulators. Then:

* on a terminal, a chat console: you write to the bot as a member (or `/as outsider`,
  `/as <name>`), and the bot's answers and message edits are printed as they arrive;
* with stdin not a terminal (CI, `make demo </dev/null`), a scripted conversation: an
  outsider refused, a member syncing Humans and then Directions, `/status`, `/history`,
  `/import_list` of a sheet nobody shared and of the sign-up sheet, `/lists`; then the
  transcript, exit 0.

Ctrl-C, an error, SIGTERM or the end of the script: every process it started is stopped
(each runs in its own process group; see scripts/procs.py).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

try:
    import readline  # line editing and history in the chat console
except ImportError:  # pragma: no cover - not on every platform
    readline = None

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sandbox.google_sheets_emulator import GoogleSheetsEmulator  # noqa: E402
from sandbox.notion_emulator import NotionEmulator  # noqa: E402
from sandbox.notion_webhooks import WebhookSubscription  # noqa: E402
from sandbox.sample_data import INACTIVE_STATUSES, Organisation, build_organisation  # noqa: E402
from sandbox.sample_sheets import SignupSheet, build_signup_sheet  # noqa: E402
from sandbox.telegram_emulator import BotActivity, BotMessage, TelegramEmulator, User  # noqa: E402
from scripts.procs import (  # noqa: E402
    ProcessGroup,
    port_is_free,
    signals_raise_keyboard_interrupt,
)

WEBHOOK_TOKEN = "secret_demo_notion_webhook_token"
ADMIN_USER = "demo"
ADMIN_PASSWORD = "demo-password"  # printed on start: this database lives in var/ on your machine
NOTION_TOKEN = "secret_demo_notion_token"
SERVICE_ACCOUNT = "lists-demo@volunteers-demo.iam.gserviceaccount.com"
TELEGRAM_TOKEN = "7000000001:DEMO-telegram-token"
OUTSIDER_ID = 555_000_001
MEMBER_ID_BASE = 700_000_000
SYNC_TIMEOUT = 120.0
REPLY_TIMEOUT = 20.0
RUN_ID = re.compile(r"#(\d+)")


class DemoFailed(Exception):
    """A step of the demo did not happen (one line for the user)."""


@dataclass
class Member:
    page_id: str
    full_name: str
    handle: str
    user: User


class Demo:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.out = sys.stdout
        self.var = ROOT / "var"
        self.db_path = Path(args.db).resolve() if args.db else self.var / "demo.sqlite3"
        self.log_dir = self.db_path.parent / "demo-logs"
        self.session = uuid.uuid4().hex  # marks every process we start (tests look for it)
        self.notion = NotionEmulator(token=NOTION_TOKEN, latency=args.notion_latency)
        self.telegram = TelegramEmulator(token=TELEGRAM_TOKEN, bot_username="org_demo_bot")
        self.sheets = GoogleSheetsEmulator()
        # A key made now (never committed), in var/ beside the demo database.
        self.key_path = self.db_path.parent / "demo-google-service-account.json"
        self.signup: SignupSheet | None = None
        self.unshared: SignupSheet | None = None
        self.processes = ProcessGroup(log_dir=self.log_dir)
        self.org: Organisation | None = None
        self.members: dict[int, Member] = {}
        self.current: User | None = None
        self.outsider: User | None = None
        self._print_lock = threading.Lock()
        self._prompt = ""
        self._unsubscribe = None
        self.webhooks: WebhookSubscription | None = None

    # ------------------------------------------------------------------ output
    def say(self, text: str = "") -> None:
        with self._print_lock:
            if self._prompt:
                # The console waits for input: print above the prompt, then redraw it with
                # what was typed so far.
                typed = readline.get_line_buffer() if readline else ""
                self.out.write(f"\r\033[K{text}\n{self._prompt}{typed}")
            else:
                self.out.write(text + "\n")
            self.out.flush()

    def step(self, text: str) -> None:
        self.say(f"\n== {text}")

    # ------------------------------------------------------------------ setup
    def env(self) -> dict[str, str]:
        assert self.org is not None
        env = dict(os.environ)
        for key in list(env):
            if key.startswith(("NOTION_", "TELEGRAM_", "SYNC_SCHEDULE_", "GOOGLE_")):
                del env[key]  # a developer's real settings never leak into the demo
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "PYTHONUNBUFFERED": "1",
                "DEMO_SESSION": self.session,
                "DATABASE_URL": f"sqlite:///{self.db_path}",
                "SECRET_KEY": "demo-" + self.session,
                "DEBUG": "true",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "LANGUAGE_CODE": self.args.language,
                "TIME_ZONE": os.environ.get("TIME_ZONE", "Europe/Moscow"),
                "LOG_LEVEL": "INFO",
                "NOTION_TOKEN": NOTION_TOKEN,
                "NOTION_API_BASE_URL": self.notion.base_url,
                "NOTION_HUMANS_DATABASE_ID": self.org.humans_database_id,
                "NOTION_DIRECTIONS_DATABASE_ID": self.org.directions_database_id,
                "NOTION_INACTIVE_STATUSES": ",".join(INACTIVE_STATUSES),
                "NOTION_MAX_RPS": "0",
                "NOTION_WEBHOOK_VERIFICATION_TOKEN": WEBHOOK_TOKEN,
                "NOTION_WEBHOOK_COALESCE_SECONDS": "0.5",
                "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
                "TELEGRAM_API_BASE_URL": self.telegram.base_url,
                "TELEGRAM_WEBHOOK_URL": "",
                "TELEGRAM_PROGRESS_INTERVAL": "1",
                "GOOGLE_SERVICE_ACCOUNT_FILE": str(self.key_path),
                "GOOGLE_SHEETS_API_BASE_URL": self.sheets.base_url,
                "Q_WORKERS": "1",
            }
        )
        return env

    def manage(self, *args: str, quiet: bool = True) -> str:
        """Run a management command to its end; raise DemoFailed with its output if it fails."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise DemoFailed(
                f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
                + (result.stdout + result.stderr)[-3000:]
            )
        if not quiet:
            self.say(textwrap.indent(result.stdout.rstrip(), "   "))
        return result.stdout

    def start_emulators(self) -> None:
        self.notion.start()
        self.telegram.start()
        self.org = build_organisation(
            self.notion, humans=self.args.humans, directions=12, seed=self.args.seed
        )
        self.say(
            f"Notion emulator   {self.notion.base_url}  ({self.args.humans} humans, "
            f"12 directions: the sample organisation)"
        )
        self.say(f"Telegram emulator {self.telegram.base_url}  (bot @org_demo_bot)")
        self.sheets.start()
        self.key_path.parent.mkdir(parents=True, exist_ok=True)
        self.key_path.write_text(json.dumps(self.sheets.add_service_account(SERVICE_ACCOUNT)))
        self.key_path.chmod(0o600)
        self.signup = build_signup_sheet(self.sheets, self.org, share_with=SERVICE_ACCOUNT)
        self.unshared = build_signup_sheet(
            self.sheets,
            self.org,
            share_with=None,
            seed=2,
            title="Волонтёры на фестиваль (ответы)",
        )
        self.say(
            f"Sheets emulator   {self.sheets.base_url}  (service account {SERVICE_ACCOUNT})\n"
            f"  sign-up sheet, shared:  {self.signup.url}\n"
            f"  another, not shared:    {self.unshared.url}"
        )

    def prepare_database(self) -> None:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{self.db_path}{suffix}").unlink()
        self.manage("migrate", "--noinput")
        self.manage(
            "shell",
            "-c",
            "from django.contrib.auth.models import User\n"
            f"u, _ = User.objects.get_or_create(username={ADMIN_USER!r})\n"
            "u.is_staff = u.is_superuser = True\n"
            f"u.set_password({ADMIN_PASSWORD!r})\n"
            "u.save()",
        )
        self.say(f"Database          {self.db_path} (fresh, migrated)")

    def first_sync(self) -> None:
        self.step("First sync from the command line (what an admin does after installing)")
        self.say("$ python manage.py sync all")
        self.manage("sync", "all", quiet=False)

    def start_services(self) -> None:
        port = self.args.port
        if not port_is_free("127.0.0.1", port):
            raise DemoFailed(
                f"Port {port} on 127.0.0.1 is busy: stop what uses it, or run "
                f"`make demo DEMO_PORT={port + 1}`."
            )
        env = self.env()
        python = sys.executable
        self.processes.start("qcluster", [python, "manage.py", "qcluster"], env=env, cwd=ROOT)
        self.processes.start("runbot", [python, "manage.py", "runbot"], env=env, cwd=ROOT)
        self.processes.start(
            "runserver",
            [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=env,
            cwd=ROOT,
        )
        self._wait_ready(port)
        for child in self.processes.children:
            self.say(f"started {child.name:<9} pid {child.pid:<7} log {child.log_path}")
        # Notion's webhooks: the emulator signs and delivers every change to the admin's
        # /notion/webhook/ about a second after it (Notion aggregates edits for up to a minute).
        self.webhooks = WebhookSubscription(
            self.notion, f"http://127.0.0.1:{port}/notion/webhook/", token=WEBHOOK_TOKEN, delay=1.0
        ).start()
        self.webhooks.send_verification()
        self.say(f"Notion webhooks   -> http://127.0.0.1:{port}/notion/webhook/ (signed)")

    # ------------------------------------------------------------------ the database
    def db_value(self, sql: str, params: tuple = ()) -> object:
        """One value from the demo database (read-only; the service owns it)."""
        with contextlib.closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)) as db:
            row = db.execute(sql, params).fetchone()
        return row[0] if row else None

    def wait_for_name(self, page_id: str, name: str, *, timeout: float = 30.0) -> float:
        """Seconds until the database has `name` for the page (through the webhook)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            found = self.db_value(
                "SELECT full_name FROM people_human WHERE notion_page_id = ?", (page_id,)
            )
            if found == name:
                return time.monotonic() - started
            time.sleep(0.1)
        raise DemoFailed(f"the webhook did not bring {name!r} into the database in {timeout:g} s")

    def wait_until_quiet(self, *, timeout: float = 60.0) -> None:
        """Every change delivered, no run active and no webhook event waiting (so a member's
        sync is not refused)."""
        if self.webhooks is not None:
            self.webhooks.wait_idle(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = self.db_value(
                "SELECT (SELECT count(*) FROM integrations_syncrun WHERE status IN "
                "('queued', 'running')) + (SELECT count(*) FROM integrations_notionwebhookevent "
                "WHERE status = 'pending')"
            )
            if not busy:
                return
            time.sleep(0.2)
        raise DemoFailed("the webhook refreshes did not end")

    def rename_in_notion(self, page_id: str) -> tuple[str, float]:
        """A member takes a new surname in Notion (married, say); returns it and how long the
        webhook took to bring it into our database."""
        assert self.org is not None
        old = self.org.names[page_id]
        parts = old.split()
        surname = "Соколова" if parts[0].endswith(("а", "я")) else "Соколов"
        new = " ".join([surname, *parts[1:]])
        self.notion.update_page(page_id, properties={"ФИО": new})
        self.org.names[page_id] = new
        self.say(f"(in Notion: {old} is now {new})")
        seconds = self.wait_for_name(page_id, new)
        self.say(f"(the webhook brought it into the database {seconds:.1f} s after the edit)")
        return new, seconds

    def _wait_ready(self, port: int) -> None:
        deadline = time.monotonic() + 60
        bot_ready = web_ready = False
        while time.monotonic() < deadline:
            dead = self.processes.failed_early()
            if dead is not None:
                log = dead.log_path.read_text(errors="replace")[-2000:] if dead.log_path else ""
                raise DemoFailed(f"{dead.name} stopped at start:\n{log}")
            if not bot_ready:
                bot_ready = any(name == "getUpdates" for name, _params in self.telegram.calls)
            if not web_ready:
                with (
                    contextlib.suppress(OSError),
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2),
                ):
                    web_ready = True
            if bot_ready and web_ready:
                return
            time.sleep(0.2)
        raise DemoFailed(f"the bot or the admin did not start within 60 s; see {self.log_dir}")

    # ------------------------------------------------------------------ people
    def pick_members(self) -> list[str]:
        """Organisers first (they are who use the bot), then anyone active with a handle."""
        assert self.org is not None
        org = self.org
        active = set(org.active_human_ids)
        order = [h for d in org.direction_ids for h in org.organisers.get(d, [])]
        order += org.active_human_ids
        seen: list[str] = []
        for page_id in order:
            if page_id in active and org.telegram_by_human.get(page_id) and page_id not in seen:
                seen.append(page_id)
        return seen

    def member_user(self, page_id: str) -> User:
        assert self.org is not None
        index = self.org.human_ids.index(page_id)
        user_id = MEMBER_ID_BASE + index
        if user_id in self.members:
            return self.members[user_id].user
        name = self.org.names[page_id]
        parts = name.split()
        last, first = (parts[0], parts[1]) if len(parts) >= 2 else ("", name or "Участник")
        handle = self.org.telegram_by_human[page_id] or ""
        user = self.telegram.create_user(
            id=user_id, username=handle, first_name=first, last_name=last or None
        )
        self.members[user_id] = Member(page_id, name, handle, user)
        return user

    def outsider_user(self) -> User:
        if self.outsider is None:
            self.outsider = self.telegram.create_user(
                id=OUTSIDER_ID, username="curious_stranger", first_name="Незнакомец"
            )
        return self.outsider

    def find_human(self, query: str) -> str | None:
        assert self.org is not None
        query = query.strip().lstrip("@").lower()
        for page_id in self.pick_members():
            handle = self.org.telegram_by_human.get(page_id) or ""
            if query == handle or query in self.org.names[page_id].lower():
                return page_id
        return None

    def change_notion(self) -> None:
        """A new volunteer joins and one member changes their phone, so syncs have news."""
        assert self.org is not None
        stamp = dt.datetime.now(dt.UTC)
        self.notion.add_page(
            self.org.humans_database_id,
            properties={
                "ФИО": "Новикова Дарья Олеговна",
                "Telegram": "@daria_novikova",
                "Email": "daria.novikova@example.org",
                "Phone": "+7 900 123-45-67",
                "Status": "Активен",
            },
            created_time=stamp,
        )
        someone = self.pick_members()[-1]
        self.notion.update_page(someone, properties={"Phone": "+7 999 000-11-22"}, edited_at=stamp)
        self.say(
            "(in Notion: Дарья Новикова joined; "
            f"{self.org.names[someone]} changed their phone number)"
        )

    # ------------------------------------------------------------------ chat
    def on_activity(self, event: BotActivity) -> None:
        message = event.message
        if event.kind == "answered":
            text = (event.answer or {}).get("text")
            if text:
                self.say(f"    bot (button answer): {text}")
            return
        if message is None:
            return
        where = ""
        if self.current is None or message.chat_id != self.current.id:
            where = f" → {self._chat_name(message.chat_id)}"
        if event.kind == "sent":
            self.say(self._render(message, f"bot{where}"))
        elif event.kind == "edited":
            self.say(self._render(message, f"bot edited #{message.message_id}{where}"))
        elif event.kind == "deleted":
            self.say(f"    bot deleted #{message.message_id}{where}")

    def _chat_name(self, chat_id: int) -> str:
        member = self.members.get(chat_id)
        if member:
            return member.full_name
        if self.outsider is not None and chat_id == self.outsider.id:
            return "outsider"
        return str(chat_id)

    @staticmethod
    def _render(message: BotMessage, who: str) -> str:
        body = textwrap.indent(message.text, "    ").lstrip()
        line = f"  {who} [#{message.message_id}]: {body}"
        buttons = [b.get("text", "") for b in message.buttons]
        if buttons:
            line += "\n    " + "  ".join(f"[{t}]" for t in buttons)
        return line

    def send(self, user: User, text: str) -> dict:
        self.current = user
        self.say(f"{user.display_name}: {text}")
        return self.telegram.send_message(user, text)

    def reply_to(self, user: User, sent: dict, *, timeout: float = REPLY_TIMEOUT) -> BotMessage:
        try:
            # Message ids are per chat and shared by both sides: the answer comes after ours.
            return self.telegram.wait_for_message(
                user.id, after=int(sent["message_id"]), timeout=timeout
            )
        except AssertionError as exc:
            raise DemoFailed(f"the bot did not answer {sent['text']!r} in {timeout:g} s") from exc

    def sync_and_wait(self, user: User, command: str) -> int:
        sent = self.send(user, command)
        accepted = self.reply_to(user, sent)
        found = RUN_ID.search(accepted.text)
        if not found:
            raise DemoFailed(f"{command}: the bot's answer has no #id:\n{accepted.text}")
        run = found.group(1)
        try:
            self.telegram.wait_for_message(
                user.id,
                lambda m: f"#{run}" in m.text,
                after=accepted.message_id,
                timeout=SYNC_TIMEOUT,
            )
        except AssertionError as exc:
            raise DemoFailed(f"sync #{run} did not end within {SYNC_TIMEOUT:g} s") from exc
        return int(run)

    # ------------------------------------------------------------------ the two modes
    def scripted(self) -> None:
        self.step("Scripted conversation (stdin is not a terminal)")
        stranger = self.outsider_user()
        self.reply_to(stranger, self.send(stranger, "/sync_humans"))
        member = self.member_user(self.pick_members()[0])
        self.reply_to(member, self.send(member, "/start"))
        self.step("A change in Notion reaches the database through the webhook, in seconds")
        self.rename_in_notion(self.members[member.id].page_id)
        self.reply_to(member, self.send(member, "/whoami"))
        self.change_notion()
        self.wait_until_quiet()
        self.step("Syncs on demand (the webhook already brought the changes: nothing is lost)")
        self.sync_and_wait(member, "/sync_humans")
        self.sync_and_wait(member, "/sync_directions")
        self.reply_to(member, self.send(member, "/status"))
        self.reply_to(member, self.send(member, "/history"))
        assert self.signup is not None and self.unshared is not None
        self.sync_and_wait(member, f"/import_list {self.unshared.url}")
        self.sync_and_wait(member, f"/import_list {self.signup.url}")
        self.reply_to(member, self.send(member, "/lists"))
        time.sleep(0.3)  # let late edits of the last messages print before the transcript
        self.step("Transcript")
        for user in (stranger, member):
            self.say(self.telegram.transcript(user.id))
            self.say()

    def console(self) -> None:
        member = self.member_user(self.pick_members()[0])
        self.current = member
        self.say(
            textwrap.dedent(
                f"""
                == Chat console. You are {member.display_name}, an organiser.
                   Write to the bot as in Telegram: /help, /sync, /sync_humans, /status ...
                   /press <button text>  press a button of the bot's last message
                   /as outsider | /as <name or handle>   write as someone else
                   /notion               make a change in the emulated Notion (it
                                         reaches the database through the webhook)
                   /rename               rename yourself in Notion, then try /whoami
                   /import_list {self.signup.url if self.signup else ""}
                                         load the sample sign-up sheet (shared with the bot)
                   /import_list {self.unshared.url if self.unshared else ""}
                                         a sheet nobody shared with the bot
                   /transcript           the whole conversation so far
                   /quit or Ctrl-D or Ctrl-C   stop everything
                """
            ).rstrip()
        )
        while True:
            prompt = f"{self.current.display_name}> "
            try:
                self._prompt = prompt
                line = input(prompt).strip()
            except EOFError:
                self._prompt = ""
                self.say()
                return
            finally:
                self._prompt = ""
            if not line:
                continue
            if line in ("/quit", "/exit"):
                return
            if line.startswith("/as "):
                self._switch(line[4:].strip())
            elif line.startswith("/press"):
                self._press(line[6:].strip())
            elif line == "/notion":
                self.change_notion()
            elif line == "/rename":
                if self.current.id in self.members:
                    threading.Thread(
                        target=self._rename_safely, args=(self.members[self.current.id].page_id,)
                    ).start()
                else:
                    self.say("  (an outsider is not in Notion: /as <name> first)")
            elif line == "/transcript":
                self.say(self.telegram.transcript(self.current.id))
            else:
                self.telegram.send_message(self.current, line)

    def _rename_safely(self, page_id: str) -> None:
        try:
            self.rename_in_notion(page_id)
        except DemoFailed as exc:
            self.say(f"  ({exc})")

    def _switch(self, who: str) -> None:
        if who.lower() in ("outsider", "stranger", "чужой"):
            self.current = self.outsider_user()
        else:
            page_id = self.find_human(who)
            if page_id is None:
                self.say(f"  (nobody active called {who!r} with a Telegram handle)")
                return
            self.current = self.member_user(page_id)
        self.say(f"  (now writing as {self.current.display_name})")

    def _press(self, text: str) -> None:
        assert self.current is not None
        for message in reversed(self.telegram.sent_messages(self.current.id)):
            if message.buttons:
                choice = text or message.buttons[0].get("text", "")
                button = message.button(choice) or next(
                    (b for b in message.buttons if choice.lower() in b.get("text", "").lower()),
                    None,
                )
                if button is None:
                    self.say(f"  (buttons: {', '.join(message.button_texts)})")
                    return
                self.say(f"  (pressed [{button.get('text')}])")
                self.telegram.press_button(self.current, message, button["callback_data"])
                return
        self.say("  (no message with buttons yet: try /sync)")

    # ------------------------------------------------------------------ main
    def run(self) -> int:
        interactive = sys.stdin.isatty() and not self.args.script
        self.say("Integrations service demo: emulated Notion and Telegram, real bot and worker.")
        try:
            self.start_emulators()
            self.prepare_database()
            self.first_sync()
            self.step("Starting the worker, the bot and the admin")
            self.start_services()
            self._unsubscribe = self.telegram.on_bot_activity(self.on_activity)
            self.say(
                f"\nAdmin: http://127.0.0.1:{self.args.port}/admin/  "
                f"user {ADMIN_USER!r}, password {ADMIN_PASSWORD!r}"
            )
            if interactive:
                self.console()
            else:
                self.scripted()
            self.say("Demo finished.")
            return 0
        except DemoFailed as exc:
            self.say(f"\nDemo failed: {exc}")
            return 1
        except KeyboardInterrupt:
            self.say("\nInterrupted.")
            return 130
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        if self.webhooks is not None:
            self.webhooks.stop()
        if self.processes.children:
            self.say("Stopping the bot, the worker and the admin ...")
        # Ctrl-C again while stopping must not leave anything behind: finish the stop first.
        with contextlib.suppress(KeyboardInterrupt):
            self.processes.stop(grace=10)
        self.telegram.stop()
        self.notion.stop()
        self.sheets.stop()
        self.say("Everything the demo started has stopped.")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", 8000)))
    parser.add_argument("--db", help="demo SQLite file (default var/demo.sqlite3; recreated)")
    parser.add_argument("--script", action="store_true", help="scripted even on a terminal")
    parser.add_argument("--humans", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--language", default=os.environ.get("DEMO_LANGUAGE", "ru"))
    parser.add_argument(
        "--notion-latency",
        type=float,
        default=0.3,
        help="seconds each emulated Notion answer takes (so progress edits are visible)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The emulator's transcript stamps times in local time: use the service's zone, so the
    # bot's "at 19:35" and the transcript's "19:35:02" agree.
    os.environ.setdefault("TZ", os.environ.get("TIME_ZONE", "Europe/Moscow"))
    time.tzset()
    with signals_raise_keyboard_interrupt():
        return Demo(args).run()


if __name__ == "__main__":
    sys.exit(main())
