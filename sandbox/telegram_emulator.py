"""A Telegram Bot API emulator: a local HTTP server speaking the Bot API, stdlib only.

Point python-telegram-bot at it with ``base_url=emu.base_url`` (PTB appends the token), then
play the users' side from Python::

    with TelegramEmulator() as emu:
        ivan = emu.create_user(username="ivan")
        sent = emu.send_message(ivan, "/start")
        reply = emu.wait_for_message(ivan.id, after=sent["message_id"])
        emu.press_button(ivan, reply, "sync:all")

What it does like the real service: form/multipart/JSON bodies, per-chat message ids,
``getUpdates`` long polling with offsets (a newer ``getUpdates`` terminates a pending one with
409), webhooks (POSTed by a delivery thread with ``X-Telegram-Bot-Api-Secret-Token``), HTML /
MarkdownV2 / Markdown parsing into entities, "message is not modified", an
``editMessageText`` without ``reply_markup`` removing the inline keyboard, blocked users (403),
privacy mode in groups, injected faults (429 with ``retry_after``, 5xx, dropped connections,
delays), optional flood control (``flood_limits=True``: about 30 messages a second overall and
20 a minute per group, answered 429 with ``retry_after``), basic groups upgraded to
supergroups (``migrate_group``: the ``migrate_to_chat_id`` / ``migrate_from_chat_id`` service
messages, and 400 with ``parameters.migrate_to_chat_id`` for the old id), user messages dated
in the past (``send_message(date=…)``, as Telegram delivers updates queued while a bot was
down, with the time they were sent).

Deliberate differences: HTML is strict by default (a bare ``&`` or ``>`` and unknown named
entities are rejected, where Telegram would show them literally: they are almost always a
missing ``html.escape``); URLs, mentions and commands in the bot's own texts are not
auto-detected as entities; no media, inline mode, payments or forum topics.

Waiting helpers block the calling thread: when the bot runs in the same event loop as the
test, call them through ``asyncio.to_thread``.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import itertools
import json
import logging
import math
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "ApiError",
    "BotActivity",
    "BotMessage",
    "Chat",
    "Fault",
    "TelegramEmulator",
    "User",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
]

log = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64

ERR_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
ERR_CHAT_NOT_FOUND = "Bad Request: chat not found"
ERR_TEXT_EMPTY = "Bad Request: message text is empty"
ERR_TOO_LONG = "Bad Request: message is too long"
ERR_EDIT_NOT_FOUND = "Bad Request: message to edit not found"
ERR_BLOCKED = "Forbidden: bot was blocked by the user"
ERR_MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"
ERR_QUERY_INVALID = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
ERR_GET_UPDATES_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
ERR_WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)

_INT_PARAMS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "offset",
        "limit",
        "user_id",
        "reply_to_message_id",
        "message_thread_id",
        "cache_time",
        "max_connections",
    }
)
_NUMBER_PARAMS = frozenset({"timeout"})
_BOOL_PARAMS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "allow_paid_broadcast",
        "revoke_messages",
        "only_if_banned",
        "for_channels",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "reply_parameters",
        "link_preview_options",
        "menu_button",
        "media",
        "results",
        "reaction",
        "message_ids",
        "rights",
    }
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Update types delivered when allowed_updates is empty (the real default).
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_PATH_RE = re.compile(r"^/bot([^/]*)/([^/?]*)$")


# --------------------------------------------------------------------------------------------
# errors and small value objects
# --------------------------------------------------------------------------------------------


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": code, "description": ...}``."""

    def __init__(self, code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class _ParseError(ValueError):
    """A formatting error; becomes 400 "Bad Request: can't parse entities: ..."."""


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class User:
    """A Telegram user (also usable as ``user["id"]``)."""

    id: int
    first_name: str = "Иван"
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "ru"
    is_bot: bool = False

    def to_dict(self) -> dict:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def display_name(self) -> str:
        return f"{self.full_name} (@{self.username})" if self.username else self.full_name

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]


@dataclass
class Chat:
    """A chat: ``private`` (one per user, same id as the user) or ``supergroup``."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    def to_dict(self) -> dict:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value:
                data[key] = value
        return data

    @property
    def display_name(self) -> str:
        if self.type == "private":
            name = " ".join(p for p in (self.first_name, self.last_name) if p)
            return f"{name} (@{self.username})" if self.username else name
        return f'"{self.title}"'

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]


@dataclass
class BotMessage:
    """A message the bot sent; updated in place when the bot edits or deletes it."""

    message_id: int
    chat_id: int
    text: str
    raw_text: str
    parse_mode: str | None
    entities: list[dict]
    reply_markup: dict | None
    date: int
    sent_at: float
    chat: dict
    from_user: dict
    reply_to_message_id: int | None = None
    reply_to_message: dict | None = None
    message_thread_id: int | None = None
    disable_notification: bool = False
    link_preview_options: dict | None = None
    edits: list[dict] = field(default_factory=list)
    edited_at: float | None = None
    edit_date: int | None = None
    deleted: bool = False
    deleted_at: float | None = None

    # -- convenience --------------------------------------------------------------------
    @property
    def inline_keyboard(self) -> list[list[dict]]:
        """Rows of inline buttons currently shown (empty without an inline keyboard)."""
        markup = self.reply_markup or {}
        return [list(row) for row in markup.get("inline_keyboard") or []]

    @property
    def buttons(self) -> list[dict]:
        """All inline buttons, flattened."""
        return [button for row in self.inline_keyboard for button in row]

    @property
    def button_texts(self) -> list[str]:
        return [button.get("text", "") for button in self.buttons]

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]

    def button(self, text_or_data: str) -> dict | None:
        """The inline button whose callback_data (or else text) equals ``text_or_data``."""
        for button in self.buttons:
            if button.get("callback_data") == text_or_data:
                return button
        for button in self.buttons:
            if button.get("text") == text_or_data:
                return button
        return None

    def to_dict(self) -> dict:
        """The Bot API ``Message`` object as currently shown."""
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": dict(self.from_user),
            "chat": dict(self.chat),
            "date": self.date,
            "text": self.text,
        }
        if self.message_thread_id is not None:
            data["message_thread_id"] = self.message_thread_id
        if self.entities:
            data["entities"] = [dict(e) for e in self.entities]
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = json.loads(json.dumps(self.reply_markup))
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.reply_to_message is not None:
            data["reply_to_message"] = dict(self.reply_to_message)
        return data

    def __str__(self) -> str:
        return _render_bot_message(self, indent="")


@dataclass
class BotActivity:
    """What ``on_bot_activity`` listeners receive.

    kind: "sent" | "edited" | "deleted" | "answered". ``message`` is the BotMessage (for
    "answered": the message carrying the pressed button, or None); ``answer`` is the callback
    answer dict for "answered".
    """

    kind: str
    chat_id: int | None
    message: BotMessage | None
    answer: dict | None = None
    at: float = field(default_factory=time.time)


@dataclass
class Fault:
    """An injected failure; ``remaining`` counts down as matching calls fail."""

    method: str
    status: int
    remaining: int
    retry_after: int | None = None
    chat_id: int | None = None
    description: str | None = None
    delay: float = 0.0
    migrate_to_chat_id: int | None = None
    answered: int = 0  # calls this fault has answered (after its delay)

    def matches(self, method: str, params: dict) -> bool:
        if self.remaining <= 0 or self.method.lower() != method.lower():
            return False
        return self.chat_id is None or params.get("chat_id") == self.chat_id


@dataclass
class _ChatState:
    chat: Chat
    user: User | None = None  # the other side of a private chat
    next_message_id: int = 1
    messages: dict[int, Any] = field(default_factory=dict)  # BotMessage or user message dict
    deleted_user_messages: set[int] = field(default_factory=set)
    timeline: list[tuple] = field(default_factory=list)
    blocked: bool = False
    started: bool = False
    left: bool = False
    members: set[int] = field(default_factory=set)
    migrated_to: int | None = None  # a basic group upgraded to this supergroup

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


# --------------------------------------------------------------------------------------------
# text formatting: HTML, MarkdownV2, Markdown -> (text, entities)
# --------------------------------------------------------------------------------------------

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_html_entity(src: str, i: int) -> tuple[str | None, int]:
    """Decode the entity at ``src[i] == "&"`` as Telegram does; (None, i) when it is none."""
    n = len(src)
    j = i + 1
    if j < n and src[j] == "#":
        j += 1
        value = 0
        if j < n and src[j] in "xX":
            j += 1
            start = j
            while j < n and src[j] in "0123456789abcdefABCDEF":
                j += 1
            digits = src[start:j]
            value = int(digits, 16) if digits else 0
        else:
            start = j
            while j < n and src[j].isdigit() and src[j].isascii():
                j += 1
            digits = src[start:j]
            value = int(digits) if digits else 0
        if not digits or value == 0 or value >= 0x10FFFF or j - i >= 10:
            return None, i
        char = chr(value)
    else:
        while j < n and src[j].isascii() and src[j].isalpha():
            j += 1
        char = _HTML_NAMED_ENTITIES.get(src[i + 1 : j])
        if char is None:
            return None, i
    if j < n and src[j] == ";":
        j += 1
    return char, j


@dataclass
class _OpenTag:
    name: str
    start: int  # utf-16 offset in the output
    index: int  # character index in the source (for byte offsets)
    out_index: int  # number of output chunks when opened
    attrs: dict[str, str]
    language: str | None = None


def parse_html(src: str, *, strict: bool = True) -> tuple[str, list[dict]]:
    """Parse Telegram-flavoured HTML into (plain text, entities with UTF-16 offsets).

    Raises ``ValueError`` with Telegram's wording ("Unsupported start tag ...") on bad markup.
    ``strict`` additionally rejects a bare ``&``/``>`` and unknown named entities.
    """
    out: list[str] = []
    pos = 0
    stack: list[_OpenTag] = []
    entities: list[dict] = []
    i, n = 0, len(src)

    def fail(message: str) -> _ParseError:
        return _ParseError(message)

    while i < n:
        c = src[i]
        if c == "&":
            char, j = _decode_html_entity(src, i)
            if char is None:
                if strict:
                    raise fail(
                        f'Character "&" must be escaped as "&amp;" '
                        f"at byte offset {_byte_offset(src, i)}"
                    )
                char, j = "&", i + 1
            out.append(char)
            pos += _utf16_len(char)
            i = j
            continue
        if c == ">" and strict:
            raise fail(
                f'Character ">" must be escaped as "&gt;" at byte offset {_byte_offset(src, i)}'
            )
        if c != "<":
            out.append(c)
            pos += 1 if c < "\U00010000" else 2
            i += 1
            continue
        begin = i
        if i + 1 < n and src[i + 1] == "/":
            j = i + 2
            while j < n and not src[j].isspace() and src[j] != ">":
                j += 1
            end_name = src[i + 2 : j].lower()
            while j < n and src[j].isspace():
                j += 1
            if j >= n or src[j] != ">":
                raise fail(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
            top = stack[-1]
            if end_name and end_name != top.name:
                raise fail(
                    f"Unmatched end tag at byte offset {_byte_offset(src, begin)}, "
                    f'expected "</{top.name}>", found "</{end_name}>"'
                )
            stack.pop()
            _close_html_tag(top, pos, out, stack, entities)
            i = j + 1
            continue
        j = i + 1
        while j < n and not src[j].isspace() and src[j] != ">":
            j += 1
        if j >= n:
            raise fail(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
        name = src[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise fail(f'Unsupported start tag "{name}" at byte offset {_byte_offset(src, begin)}')
        attrs: dict[str, str] = {}
        while True:
            while j < n and src[j].isspace():
                j += 1
            if j >= n:
                raise fail(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
            if src[j] == ">":
                break
            attr_begin = j
            while j < n and not src[j].isspace() and src[j] not in "=>":
                j += 1
            attr_name = src[attr_begin:j].lower()
            if not attr_name:
                raise fail(
                    f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                    f"at byte offset {_byte_offset(src, begin)}"
                )
            while j < n and src[j].isspace():
                j += 1
            if j >= n:
                raise fail(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
            if src[j] != "=":
                attrs[attr_name] = ""  # a valueless attribute such as "expandable"
                continue
            j += 1
            while j < n and src[j].isspace():
                j += 1
            if j >= n:
                raise fail(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
            if src[j] in "'\"":
                quote = src[j]
                j += 1
                value_chars: list[str] = []
                while j < n and src[j] != quote:
                    if src[j] == "&":
                        char, k = _decode_html_entity(src, j)
                        if char is not None:
                            value_chars.append(char)
                            j = k
                            continue
                    value_chars.append(src[j])
                    j += 1
                if j >= n:
                    raise fail(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
                j += 1
                value = "".join(value_chars)
            else:
                token_begin = j
                while j < n and ((src[j].isalnum() and src[j].isascii()) or src[j] in ".-"):
                    j += 1
                value = src[token_begin:j].lower()
                if j < n and not src[j].isspace() and src[j] != ">":
                    raise fail(
                        "Unexpected end of name token at byte offset "
                        f"{_byte_offset(src, token_begin)}"
                    )
            attrs[attr_name] = value
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise fail(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(src, begin)}'
            )
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            raise fail(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset '
                f"{_byte_offset(src, begin)}"
            )
        stack.append(_OpenTag(name, pos, begin, len(out), attrs))
        i = j + 1
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return "".join(out), _sorted_entities(entities)


def _close_html_tag(
    tag: _OpenTag, pos: int, out: list[str], stack: list[_OpenTag], entities: list[dict]
) -> None:
    length = pos - tag.start
    if tag.name == "code" and stack and stack[-1].name == "pre":
        css = tag.attrs.get("class", "")
        if css.startswith("language-") and stack[-1].language is None:
            stack[-1].language = css[len("language-") :]
        return  # <pre><code>...</code></pre> is one pre entity
    if length <= 0:
        return
    entity: dict[str, Any] = {"offset": tag.start, "length": length, "type": _HTML_TAGS[tag.name]}
    if tag.name == "a":
        url = tag.attrs.get("href") or "".join(out[tag.out_index :])
        if not url.strip():
            return
        entity["url"] = url
    elif tag.name == "pre" and tag.language:
        entity["language"] = tag.language
    elif tag.name == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attrs["emoji-id"]
    entities.append(entity)


def _sorted_entities(entities: list[dict]) -> list[dict]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "code": "Code",
    "pre": "Pre",
}


_MDV2_CLOSERS = {
    "bold": "*",
    "strikethrough": "~",
    "text_link": "]",
    "custom_emoji": "]",
    "underline": "__",
    "spoiler": "||",
}


@dataclass
class _MdOpen:
    kind: str
    start: int
    index: int
    out_index: int
    language: str | None = None


def parse_markdown_v2(src: str) -> tuple[str, list[dict]]:
    """Parse MarkdownV2 into (plain text, entities); ``_ParseError`` with Telegram's wording."""
    out: list[str] = []
    pos = 0
    stack: list[_MdOpen] = []
    entities: list[dict] = []
    quote: tuple[int, bool] | None = None  # (start, expandable)
    i, n = 0, len(src)
    line_start = True

    def emit(text: str) -> None:
        nonlocal pos
        out.append(text)
        pos += _utf16_len(text)

    def close_quote() -> None:
        nonlocal quote
        if quote is not None:
            start, expandable = quote
            if pos > start:
                kind = "expandable_blockquote" if expandable else "blockquote"
                entities.append({"offset": start, "length": pos - start, "type": kind})
            quote = None

    while i < n:
        c = src[i]
        top = stack[-1] if stack else None
        if top is not None and top.kind in ("code", "pre"):
            if c == "\\" and i + 1 < n and src[i + 1] in "`\\":
                emit(src[i + 1])
                i += 2
                continue
            if top.kind == "code" and c == "`":
                stack.pop()
                _md_entity(top, pos, out, entities)
                i += 1
                continue
            if top.kind == "pre" and src.startswith("```", i):
                stack.pop()
                _md_entity(top, pos, out, entities)
                i += 3
                continue
            emit(c)
            i += 1
            continue
        if line_start:
            line_start = False
            expandable = src.startswith("**>", i)
            if c == ">" or expandable:
                if quote is None:
                    quote = (pos, expandable)
                i += 3 if expandable else 1
                continue
        if c == "\n":
            if quote is not None and not src.startswith((">", "**>"), i + 1):
                close_quote()
            emit(c)
            i += 1
            line_start = True
            continue
        if c == "\\" and i + 1 < n and 0 < ord(src[i + 1]) < 127:
            emit(src[i + 1])
            i += 2
            continue
        if (
            quote is not None
            and src.startswith("||", i)
            and src[i + 2 : i + 3] in ("", "\n")
            and not (top is not None and top.kind == "spoiler")
        ):
            quote = (quote[0], True)  # "||" closing the last line: an expandable blockquote
            i += 2
            continue
        if c not in _MDV2_RESERVED:
            emit(c)
            i += 1
            continue
        if top is not None:
            if top.kind in ("underline", "spoiler"):
                end = 2 if src.startswith(_MDV2_CLOSERS[top.kind], i) else 0
            elif top.kind == "italic":
                end = 1 if c == "_" and not src.startswith("__", i) else 0
            else:
                end = 1 if c == _MDV2_CLOSERS.get(top.kind) else 0
            if end:
                stack.pop()
                i += end
                url = None
                if top.kind in ("text_link", "custom_emoji"):
                    if i < n and src[i] == "(":
                        url_chars: list[str] = []
                        j = i + 1
                        while j < n and src[j] != ")":
                            if src[j] == "\\" and j + 1 < n:
                                j += 1
                            url_chars.append(src[j])
                            j += 1
                        if j >= n:
                            raise _ParseError(
                                f"Can't find end of a url at byte offset {_byte_offset(src, i)}"
                            )
                        url = "".join(url_chars)
                        i = j + 1
                    else:
                        url = "".join(out[top.out_index :])
                _md_entity(top, pos, out, entities, url=url)
                continue
        begin = i
        if c == "*":
            kind, width = "bold", 1
        elif c == "_":
            kind, width = ("underline", 2) if src.startswith("__", i) else ("italic", 1)
        elif c == "~":
            kind, width = "strikethrough", 1
        elif c == "|" and src.startswith("||", i):
            kind, width = "spoiler", 2
        elif c == "[":
            kind, width = "text_link", 1
        elif c == "!" and src.startswith("![", i):
            kind, width = "custom_emoji", 2
        elif c == "`" and src.startswith("```", i):
            kind, width = "pre", 3
        elif c == "`":
            kind, width = "code", 1
        else:
            raise _ParseError(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        i += width
        language = None
        if kind == "pre":
            newline = src.find("\n", i)
            first_line = src[i:newline] if newline >= 0 else ""
            if newline >= 0 and first_line and " " not in first_line:
                language = first_line
                i = newline + 1
            elif newline == i:
                i += 1
        stack.append(_MdOpen(kind, pos, begin, len(out), language))
    if stack:
        top = stack[-1]
        raise _ParseError(
            f"Can't find end of {_MDV2_NAMES[top.kind]} entity at byte offset "
            f"{_byte_offset(src, top.index)}"
        )
    close_quote()
    return "".join(out), _sorted_entities(entities)


def _md_entity(
    tag: _MdOpen, pos: int, out: list[str], entities: list[dict], *, url: str | None = None
) -> None:
    length = pos - tag.start
    if length <= 0:
        return
    entity: dict[str, Any] = {"offset": tag.start, "length": length, "type": tag.kind}
    if tag.kind == "text_link":
        if not url or not url.strip():
            return
        entity["url"] = url
    elif tag.kind == "custom_emoji":
        match = re.match(r"tg://emoji\?id=(\d+)", url or "")
        if not match:
            raise _ParseError("Custom emoji entity must contain a tg://emoji URL")
        entity["custom_emoji_id"] = match.group(1)
    elif tag.kind == "pre" and tag.language:
        entity["language"] = tag.language
    entities.append(entity)


def parse_markdown(src: str) -> tuple[str, list[dict]]:
    """Parse legacy Markdown (``*bold*``, ``_italic_``, code, pre, ``[text](url)``)."""
    out: list[str] = []
    pos = 0
    entities: list[dict] = []
    i, n = 0, len(src)

    def emit(text: str) -> None:
        nonlocal pos
        out.append(text)
        pos += _utf16_len(text)

    def missing_end(begin: int) -> _ParseError:
        return _ParseError(
            f"Can't find end of the entity starting at byte offset {_byte_offset(src, begin)}"
        )

    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            emit(src[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            emit(c)
            i += 1
            continue
        begin = i
        start = pos
        if c == "[":
            close = src.find("]", i + 1)
            if close < 0 or not src.startswith("(", close + 1):
                raise missing_end(begin)
            url_end = src.find(")", close + 2)
            if url_end < 0:
                raise missing_end(begin)
            emit(src[i + 1 : close])
            url = src[close + 2 : url_end]
            if pos > start and url.strip():
                entities.append(
                    {"offset": start, "length": pos - start, "type": "text_link", "url": url}
                )
            i = url_end + 1
            continue
        if src.startswith("```", i):
            close = src.find("```", i + 3)
            if close < 0:
                raise missing_end(begin)
            body = src[i + 3 : close]
            language = None
            newline = body.find("\n")
            if newline > 0 and " " not in body[:newline]:
                language, body = body[:newline], body[newline + 1 :]
            emit(body)
            entity: dict[str, Any] = {"offset": start, "length": pos - start, "type": "pre"}
            if language:
                entity["language"] = language
            if pos > start:
                entities.append(entity)
            i = close + 3
            continue
        close = src.find(c, i + 1)
        if close < 0:
            raise missing_end(begin)
        emit(src[i + 1 : close])
        kind = {"*": "bold", "_": "italic", "`": "code"}[c]
        if pos > start:
            entities.append({"offset": start, "length": pos - start, "type": kind})
        i = close + 1
    return "".join(out), _sorted_entities(entities)


def _strip_text(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Trim surrounding whitespace as Telegram does, keeping entity offsets right."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = _utf16_len(text[: len(text) - len(text.lstrip())])
    total = _utf16_len(stripped)
    result = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


# --------------------------------------------------------------------------------------------
# rendering for transcripts
# --------------------------------------------------------------------------------------------


def _short(text: str, limit: int = 80) -> str:
    text = text.replace("\n", " / ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _render_buttons(markup: dict | None, indent: str) -> list[str]:
    if not markup:
        return []
    lines = []
    if "inline_keyboard" in markup:
        for row in markup["inline_keyboard"]:
            cells = []
            for button in row:
                label = button.get("text", "")
                if "callback_data" in button:
                    cells.append(f"[{label} -> {button['callback_data']}]")
                elif "url" in button:
                    cells.append(f"[{label} (url {button['url']})]")
                else:
                    cells.append(f"[{label}]")
            lines.append(indent + "    " + " ".join(cells))
    elif "keyboard" in markup:
        for row in markup["keyboard"]:
            cells = [f"<{b['text'] if isinstance(b, dict) else b}>" for b in row]
            lines.append(indent + "    keyboard: " + " ".join(cells))
    elif markup.get("remove_keyboard"):
        lines.append(indent + "    (keyboard removed)")
    elif markup.get("force_reply"):
        lines.append(indent + "    (force reply)")
    return lines


def _render_bot_message(msg: BotMessage, indent: str) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(msg.sent_at))
    flags = []
    if msg.deleted:
        flags.append("deleted")
    if msg.edits:
        flags.append(f"edited {len(msg.edits)}x")
    suffix = f" ({', '.join(flags)})" if flags else ""
    reply = f" (reply to #{msg.reply_to_message_id})" if msg.reply_to_message_id else ""
    body = msg.text.replace("\n", "\n" + indent + "    ")
    lines = [f"{indent}#{msg.message_id} {stamp} bot{reply}{suffix}: {body}"]
    lines.extend(_render_buttons(msg.reply_markup, indent))
    for number, edit in enumerate(msg.edits, 1):
        lines.append(f"{indent}    version {number}: {_short(edit['text'])}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# the HTTP side
# --------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "TelegramBotAPIEmulator/1.0"
    emulator: TelegramEmulator  # set on the per-emulator subclass

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.emulator._track_connection(self.connection, add=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.emulator._track_connection(self.connection, add=False)

    def log_message(self, fmt: str, *args: Any) -> None:
        pass  # no request logging on stderr

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except (OSError, ValueError):
            self.close_connection = True
            return
        parts = urlsplit(self.path)
        status, payload = self.emulator._handle_http(
            parts.path, parts.query, self.headers.get("Content-Type", ""), body
        )
        if payload is None:  # an injected dropped connection
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        connection = "close" if self.close_connection else "keep-alive"
        head = (
            f"HTTP/1.1 {status} {phrase}\r\n"
            f"Server: {self.server_version}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n"
            f"Connection: {connection}\r\n\r\n"
        ).encode("latin-1")
        try:
            self.wfile.write(head + data)
            self.wfile.flush()
        except OSError:  # the client went away (e.g. a cancelled long poll)
            self.close_connection = True

    do_GET = do_POST = _serve


def _coerce(key: str, value: Any) -> Any:
    if key in _JSON_PARAMS and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if key in _INT_PARAMS and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    if key in _NUMBER_PARAMS and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return value
    if key in _BOOL_PARAMS and isinstance(value, str):
        lowered = value.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0", ""):
            return False
    return value


def _parse_params(query: str, content_type: str, body: bytes) -> dict:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    ctype = content_type.split(";")[0].strip().lower()
    if body:
        if ctype == "application/json":
            data = json.loads(body.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("JSON body must be an object")
            params.update(data)
        elif ctype == "multipart/form-data":
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if not name:
                    continue
                payload = part.get_payload(decode=True) or b""
                filename = part.get_filename()
                if filename:
                    params[name] = {"filename": filename, "content": payload}
                else:
                    charset = part.get_content_charset() or "utf-8"
                    params[name] = payload.decode(charset, "replace")
        else:  # application/x-www-form-urlencoded and anything else
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return {key: _coerce(key, value) for key, value in params.items()}


# --------------------------------------------------------------------------------------------
# the emulator
# --------------------------------------------------------------------------------------------

_API_METHODS = (
    "getMe",
    "logOut",
    "close",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "setMyDescription",
    "getMyDescription",
    "setMyShortDescription",
    "getMyShortDescription",
    "setMyName",
    "getMyName",
    "setChatMenuButton",
    "getChatMenuButton",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "sendChatAction",
    "getChat",
    "getChatMember",
    "leaveChat",
)


class TelegramEmulator:
    """An in-process Telegram Bot API server plus the users' side, for tests and demos."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "org_admin_bot",
        bot_first_name: str = "Оргбот",
        host: str = "127.0.0.1",
        port: int = 0,
        strict_html: bool = True,
        privacy_mode: bool = True,
        require_start: bool = False,
        flood_limits: bool = False,
    ):
        self.token = token
        self.host = host
        self.port = port
        self.strict_html = strict_html
        self.privacy_mode = privacy_mode
        self.require_start = require_start
        self.flood_limits = flood_limits
        self.flood_clock: Callable[[], float] = time.monotonic  # tests may freeze it
        try:
            bot_id = int(token.split(":", 1)[0])
        except ValueError:
            bot_id = 123456
        self.bot_user: dict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": not privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._listener_lock = threading.RLock()
        self._listeners: list[Callable[[BotActivity], None]] = []
        self._events: list[BotActivity] = []

        # records (read them freely; they are appended under the lock)
        self.calls: list[tuple[str, dict]] = []
        self.callback_answers: list[dict] = []
        self.chat_actions: list[dict] = []
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.menu_buttons: dict[int | None, dict] = {}
        self.webhook_deliveries: list[dict] = []

        self._users: dict[int, User] = {}
        self._chats: dict[int, _ChatState] = {}
        self._bot_messages: list[BotMessage] = []
        self._callback_queries: dict[str, dict] = {}
        self._faults: list[Fault] = []
        # flood control (leaky buckets: level, last update), and the 429s it answered
        self._flood_overall = [0.0, 0.0]
        self._flood_groups: dict[int, list[float]] = {}
        self.flood_refusals: list[dict] = []
        self._basic_group_ids = itertools.count(4_000_000_001)

        self._updates: list[dict] = []
        self._next_update_id = 1
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._webhook: dict | None = None
        self._webhook_thread: threading.Thread | None = None
        self._webhook_backoff_until = 0.0
        self._webhook_failures = 0

        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)

        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()

        self._methods: dict[str, tuple[str, Callable[[dict], Any]]] = {
            name.lower(): (name, getattr(self, "_api_" + _snake_case(name)))
            for name in _API_METHODS
        }

    # ---------------------------------------------------------------- lifecycle
    @property
    def base_url(self) -> str:
        """``http://host:port/bot``: PTB's ``base_url`` (it appends the token)."""
        if self._server is None:
            raise RuntimeError("TelegramEmulator is not started")
        return f"http://{self.host}:{self.port}/bot"

    @property
    def bot_id(self) -> int:
        return self.bot_user["id"]

    @property
    def bot_username(self) -> str:
        return self.bot_user["username"]

    def start(self) -> TelegramEmulator:
        if self._server is not None:
            return self
        self._stopping.clear()
        handler = type("TelegramEmulatorHandler", (_Handler,), {"emulator": self})
        self._server = _Server((self.host, self.port), handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"telegram-emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._webhook_thread is not None:
            self._webhook_thread.join(timeout=5)
            self._webhook_thread = None
        self._server = None
        self._thread = None

    def __enter__(self) -> TelegramEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _track_connection(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    # ---------------------------------------------------------------- people and chats
    def create_user(
        self,
        *,
        id: int | None = None,
        username: str | None = None,
        first_name: str = "Иван",
        last_name: str | None = None,
        language_code: str | None = "ru",
    ) -> User:
        """A user and their private chat with the bot (chat id == user id)."""
        with self._lock:
            if id is None:
                id = next(self._user_ids)
                while id in self._users or id in self._chats:
                    id = next(self._user_ids)
            elif id <= 0:
                raise ValueError("user ids are positive")
            elif id in self._users or id in self._chats:
                raise ValueError(f"id {id} is already taken")
            if username:
                username = username.lstrip("@")
            user = User(
                id=id,
                first_name=first_name,
                username=username or None,
                last_name=last_name,
                language_code=language_code,
            )
            chat = Chat(
                id=id,
                type="private",
                username=user.username,
                first_name=first_name,
                last_name=last_name,
            )
            self._users[id] = user
            self._chats[id] = _ChatState(chat=chat, user=user, members={id})
            return user

    def create_group(
        self,
        *,
        title: str = "Штаб",
        id: int | None = None,
        username: str | None = None,
        members: Iterable[User | int] = (),
        basic: bool = False,
    ) -> Chat:
        """A supergroup the bot is a member of (negative id, ``-100...``); ``basic=True``
        makes a basic group (type ``group``, a short negative id), which can be upgraded with
        ``migrate_group``."""
        with self._lock:
            if id is None and basic:
                id = -next(self._basic_group_ids)
            if id is None:
                id = -1_001_000_000_000 - next(self._group_ids)
                while id in self._chats:
                    id = -1_001_000_000_000 - next(self._group_ids)
            elif id >= 0:
                raise ValueError("group ids are negative")
            elif id in self._chats:
                raise ValueError(f"id {id} is already taken")
            kind = "group" if basic else "supergroup"
            chat = Chat(id=id, type=kind, title=title, username=username)
            self._chats[id] = _ChatState(chat=chat, members={self._user_id(m) for m in members})
            return chat

    def migrate_group(self, group: Chat | int, *, by: User | int) -> Chat:
        """``by`` upgrades a basic group to a supergroup, as Telegram does: a new chat with a
        new id; a service message with ``migrate_to_chat_id`` in the old group and one with
        ``migrate_from_chat_id`` in the new one (bots get service messages in privacy mode);
        from then on the old id answers 400 with ``parameters.migrate_to_chat_id``."""
        with self._cond:
            old = self._state(group)
            if old.chat.type != "group":
                raise ValueError("only basic groups are upgraded to supergroups")
            if old.migrated_to is not None:
                raise ValueError(f"chat {old.chat.id} was already upgraded")
            user = self._get_user(by)
            new_id = -1_001_000_000_000 - next(self._group_ids)
            while new_id in self._chats:
                new_id = -1_001_000_000_000 - next(self._group_ids)
            chat = Chat(id=new_id, type="supergroup", title=old.chat.title)
            new = _ChatState(chat=chat, members=set(old.members))
            self._chats[new_id] = new
            old.migrated_to = new_id
            now = int(time.time())
            for state, key, value in (
                (old, "migrate_to_chat_id", new_id),
                (new, "migrate_from_chat_id", old.chat.id),
            ):
                message = {
                    "message_id": state.take_message_id(),
                    "from": user.to_dict(),
                    "chat": state.chat.to_dict(),
                    "date": now,
                    key: value,
                }
                state.messages[message["message_id"]] = message
                state.timeline.append(("user", message))
                self._enqueue_update_locked({"message": message})
            return chat

    def backdate(self, chat: Any, message_id: int, seconds: float) -> None:
        """Pretend message ``message_id`` (the bot's or a user's) was sent ``seconds``
        earlier: time passing, for buttons under an old message."""
        with self._lock:
            target = self._state(chat).messages[message_id]
            if isinstance(target, BotMessage):
                target.date -= int(seconds)
            else:
                target["date"] -= int(seconds)

    def user(self, user_id: int) -> User:
        with self._lock:
            return self._users[user_id]

    def chat(self, chat_id: int) -> Chat:
        with self._lock:
            return self._chats[chat_id].chat

    @staticmethod
    def _user_id(user: User | int | dict) -> int:
        if isinstance(user, User):
            return user.id
        if isinstance(user, dict):
            return int(user["id"])
        return int(user)

    @staticmethod
    def _chat_id(chat: Any) -> int:
        if isinstance(chat, User | Chat):
            return chat.id
        if isinstance(chat, BotMessage):
            return chat.chat_id
        if isinstance(chat, dict):
            return int(chat["chat"]["id"] if "chat" in chat else chat["id"])
        return int(chat)

    def _state(self, chat: Any) -> _ChatState:
        chat_id = self._chat_id(chat)
        state = self._chats.get(chat_id)
        if state is None:
            raise KeyError(f"unknown chat {chat_id}: create it with create_user/create_group")
        return state

    def _get_user(self, user: User | int | dict) -> User:
        user_id = self._user_id(user)
        found = self._users.get(user_id)
        if found is None:
            raise KeyError(f"unknown user {user_id}: create it with create_user")
        return found

    # ---------------------------------------------------------------- the users' side
    def send_message(
        self,
        user: User | int,
        text: str,
        *,
        chat: Any = None,
        reply_to: int | None = None,
        date: float | None = None,
        forward_origin: dict | None = None,
        is_automatic_forward: bool = False,
    ) -> dict:
        """``user`` writes ``text`` (to the private chat unless ``chat``); returns the Message.

        ``date`` (a Unix time) is when the user sent it: Telegram keeps updates for a bot that
        is down and delivers them later with the time they were sent. ``forward_origin`` (a
        MessageOrigin dict, e.g. ``{"type": "user", "sender_user": {...}, "date": ...}``)
        makes it a forward of someone's message: ``date`` is then the forward's time.
        ``is_automatic_forward``: a channel post Telegram copied into its discussion group
        (its sender is then Telegram's service account, 777000).
        """
        with self._cond:
            sender = self._get_user(user)
            state = self._state(sender.id if chat is None else chat)
            if state.chat.type == "private" and state.chat.id != sender.id:
                raise ValueError("a user can only write in their own private chat")
            if state.migrated_to is not None:
                raise ValueError(f"chat {state.chat.id} became {state.migrated_to}: write there")
            message: dict[str, Any] = {
                "message_id": state.take_message_id(),
                "from": sender.to_dict(),
                "chat": state.chat.to_dict(),
                "date": int(time.time() if date is None else date),
                "text": text,
            }
            if forward_origin is not None:
                message["forward_origin"] = forward_origin
            if is_automatic_forward:
                message["is_automatic_forward"] = True
            entities = []
            command = ""
            if text.startswith("/"):
                command = re.split(r"\s", text, maxsplit=1)[0]
                entities.append({"offset": 0, "length": _utf16_len(command), "type": "bot_command"})
            for match in re.finditer(r"(?<![\w@])@\w{4,32}", text):
                entities.append(
                    {
                        "offset": _utf16_len(text[: match.start()]),
                        "length": _utf16_len(match.group()),
                        "type": "mention",
                    }
                )
            if entities:
                message["entities"] = _sorted_entities(entities)
            replied_to_bot = False
            if reply_to is not None:
                target = state.messages.get(reply_to)
                if target is None:
                    raise KeyError(f"no message #{reply_to} in chat {state.chat.id}")
                if isinstance(target, BotMessage):
                    replied_to_bot = True
                    message["reply_to_message"] = target.to_dict()
                    message["reply_to_message"].pop("reply_to_message", None)
                else:
                    message["reply_to_message"] = {
                        k: v for k, v in target.items() if k != "reply_to_message"
                    }
            state.messages[message["message_id"]] = message
            state.timeline.append(("user", message))
            state.members.add(sender.id)
            if state.chat.type == "private":
                state.started = True
            deliver = True
            if state.chat.type != "private" and self.privacy_mode:
                mention = "@" + self.bot_username.lower()
                addressed = "@" not in command or command.lower().endswith(mention)
                deliver = (bool(command) and addressed) or replied_to_bot or mention in text.lower()
            if deliver:
                self._enqueue_update_locked({"message": message})
            return message

    def press_button(
        self, user: User | int, message: Any, callback_data: str, *, chat: Any = None
    ) -> str:
        """``user`` presses the inline button with ``callback_data`` (or that text).

        ``message`` is a BotMessage, a Message dict, or a message id (in ``chat``, by default
        the user's private chat). Returns the callback query id.
        """
        with self._cond:
            presser = self._get_user(user)
            if isinstance(message, BotMessage):
                state, message_id = self._state(message.chat_id), message.message_id
            elif isinstance(message, dict):
                state, message_id = self._state(message), int(message["message_id"])
            else:
                state = self._state(presser.id if chat is None else chat)
                message_id = int(message)
            target = state.messages.get(message_id)
            if not isinstance(target, BotMessage):
                raise AssertionError(f"no bot message #{message_id} in chat {state.chat.id}")
            if target.deleted:
                raise AssertionError(f"message #{message_id} was deleted")
            button = target.button(callback_data)
            if button is None or "callback_data" not in button:
                raise AssertionError(
                    f"message #{message_id} has no button {callback_data!r}; "
                    f"buttons: {target.buttons}\n{self._transcript_locked(state)}"
                )
            query_id = str(4_000_000_000_000_000 + next(self._callback_ids))
            query = {
                "id": query_id,
                "from": presser.to_dict(),
                "message": target.to_dict(),
                "chat_instance": str(abs(state.chat.id) * 7919 % 10**19),
                "data": button["callback_data"],
            }
            self._callback_queries[query_id] = {
                "chat_id": state.chat.id,
                "message_id": message_id,
                "from_id": presser.id,
                "data": button["callback_data"],
                "answered": False,
            }
            state.timeline.append(("press", presser, button, query_id))
            self._enqueue_update_locked({"callback_query": query})
            return query_id

    def block(self, user_or_chat_id: User | Chat | int) -> None:
        """The user blocks the bot: sends and edits to their private chat get 403."""
        with self._lock:
            self._state(user_or_chat_id).blocked = True

    def unblock(self, user_or_chat_id: User | Chat | int) -> None:
        with self._lock:
            self._state(user_or_chat_id).blocked = False

    # ---------------------------------------------------------------- what the bot did
    def sent_messages(self, chat_id: Any = None) -> list[BotMessage]:
        """Messages the bot sent (live objects: text/markup are current), in order."""
        with self._lock:
            if chat_id is None:
                return list(self._bot_messages)
            wanted = self._chat_id(chat_id)
            return [m for m in self._bot_messages if m.chat_id == wanted]

    def last_message(self, chat_id: Any) -> BotMessage | None:
        messages = self.sent_messages(chat_id)
        return messages[-1] if messages else None

    def wait_for_message(
        self,
        chat_id: Any,
        predicate: Callable[[BotMessage], bool] | None = None,
        *,
        timeout: float = 10.0,
        after: int = 0,
    ) -> BotMessage:
        """The first bot message in the chat with ``message_id > after`` matching ``predicate``.

        Blocks (on a condition, no polling) up to ``timeout`` seconds; raises AssertionError
        with the chat's transcript on timeout.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            state = self._state(chat_id)
            while True:
                for message in self._bot_messages:
                    if (
                        message.chat_id == state.chat.id
                        and message.message_id > after
                        and (predicate is None or predicate(message))
                    ):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"no bot message{' matching the predicate' if predicate else ''} "
                        f"after #{after} in chat {state.chat.id} within {timeout:g}s\n"
                        + self._transcript_locked(state)
                    )
                self._cond.wait(remaining)

    def wait_for_edit(
        self,
        chat_id: Any,
        message_id: int,
        predicate: Callable[[BotMessage], bool],
        *,
        timeout: float = 10.0,
    ) -> BotMessage:
        """Wait until bot message ``message_id`` currently satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            state = self._state(chat_id)
            while True:
                message = state.messages.get(message_id)
                if isinstance(message, BotMessage) and predicate(message):
                    return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"bot message #{message_id} in chat {state.chat.id} did not reach the "
                        f"expected state within {timeout:g}s\n" + self._transcript_locked(state)
                    )
                self._cond.wait(remaining)

    def wait_for_callback_answer(self, query_id: str, *, timeout: float = 10.0) -> dict:
        """Wait for the bot's answerCallbackQuery to ``query_id``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for answer in self.callback_answers:
                    if answer["callback_query_id"] == query_id:
                        return answer
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    info = self._callback_queries.get(query_id)
                    transcript = (
                        self._transcript_locked(self._chats[info["chat_id"]]) if info else ""
                    )
                    raise AssertionError(
                        f"callback query {query_id} was not answered within {timeout:g}s\n"
                        + transcript
                    )
                self._cond.wait(remaining)

    def wait_for_call(
        self,
        method: str,
        predicate: Callable[[dict], bool] | None = None,
        *,
        timeout: float = 10.0,
        after: int = 0,
    ) -> dict:
        """Wait for an API call of ``method`` (among ``calls[after:]``); returns its params."""
        deadline = time.monotonic() + timeout
        wanted = method.lower()
        with self._cond:
            while True:
                for name, params in self.calls[after:]:
                    if name.lower() == wanted and (predicate is None or predicate(params)):
                        return params
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {method} call within {timeout:g}s")
                self._cond.wait(remaining)

    def calls_to(self, method: str) -> list[dict]:
        """Params of every call of ``method`` so far."""
        wanted = method.lower()
        with self._lock:
            return [params for name, params in self.calls if name.lower() == wanted]

    def transcript(self, chat_id: Any) -> str:
        """The conversation as text: user messages, bot messages (edits folded, buttons)."""
        with self._lock:
            return self._transcript_locked(self._state(chat_id))

    def _transcript_locked(self, state: _ChatState) -> str:
        chat = state.chat
        kind = "private chat with " if chat.type == "private" else f"{chat.type} "
        flags = " [blocked the bot]" if state.blocked else ""
        flags += " [bot left]" if state.left else ""
        lines = [f"--- {kind}{chat.display_name}, id {chat.id}{flags} ---"]
        for entry in state.timeline:
            if entry[0] == "user":
                message = entry[1]
                sender = self._users.get(message["from"]["id"])
                name = sender.display_name if sender else message["from"]["first_name"]
                stamp = time.strftime("%H:%M:%S", time.localtime(message["date"]))
                reply = ""
                if "reply_to_message" in message:
                    reply = f" (reply to #{message['reply_to_message']['message_id']})"
                deleted = (
                    " (deleted)" if message["message_id"] in state.deleted_user_messages else ""
                )
                text = message.get("text")
                if text is None and "migrate_to_chat_id" in message:
                    text = f"(upgraded the group to a supergroup, {message['migrate_to_chat_id']})"
                elif text is None and "migrate_from_chat_id" in message:
                    text = f"(the group was upgraded from {message['migrate_from_chat_id']})"
                lines.append(f"#{message['message_id']} {stamp} {name}{reply}{deleted}: {text}")
            elif entry[0] == "bot":
                lines.append(_render_bot_message(entry[1], indent=""))
            elif entry[0] == "press":
                _, presser, button, query_id = entry
                lines.append(
                    f"    {presser.display_name} pressed [{button.get('text', '')}] "
                    f"(data {button['callback_data']!r}, query {query_id})"
                )
            elif entry[0] == "answer":
                answer = entry[1]
                text = answer.get("text")
                shown = f"{'alert' if answer.get('show_alert') else 'toast'} {text!r}"
                lines.append(f"    bot answered the button{': ' + shown if text else ''}")
        if len(lines) == 1:
            lines.append("(no messages)")
        return "\n".join(lines)

    # ---------------------------------------------------------------- faults and listeners
    def inject(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = None,
        count: int = 1,
        chat_id: int | None = None,
        description: str | None = None,
        delay: float = 0.0,
        migrate_to_chat_id: int | None = None,
    ) -> Fault:
        """Make the next ``count`` calls of ``method`` (only for ``chat_id`` if given) fail.

        status 429 answers ``parameters.retry_after`` (default 1 s); 403, 400, 500, 502...
        answer that code; status 0 drops the connection without an answer; status 200 is a
        slow Telegram: the call succeeds after ``delay``. ``delay`` waits that long before
        answering (to provoke client timeouts). ``Fault.answered`` counts the calls answered.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        fault = Fault(
            method=method,
            status=status,
            remaining=count,
            retry_after=retry_after,
            chat_id=chat_id,
            description=description,
            delay=delay,
            migrate_to_chat_id=migrate_to_chat_id,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def on_bot_activity(self, callback: Callable[[BotActivity], None]) -> Callable[[], None]:
        """Call ``callback(event)`` for each message sent/edited/deleted and callback answer.

        Called from server threads, outside the emulator's lock. Returns an unsubscribe function.
        """
        with self._listener_lock:
            self._listeners.append(callback)

        def unsubscribe() -> None:
            with self._listener_lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return unsubscribe

    def _emit_locked(self, event: BotActivity) -> None:
        self._events.append(event)

    def _flush_events(self) -> None:
        with self._listener_lock:
            with self._lock:
                events, self._events = self._events, []
            for event in events:
                for listener in list(self._listeners):
                    try:
                        listener(event)
                    except Exception:
                        log.exception("on_bot_activity listener failed")

    # ---------------------------------------------------------------- updates
    def _enqueue_update_locked(self, update: dict) -> dict:
        update = {"update_id": self._next_update_id, **update}
        self._next_update_id += 1
        kind = next(k for k in update if k != "update_id")
        allowed = self._allowed_updates
        if (allowed and kind not in allowed) or (not allowed and kind in _DEFAULT_EXCLUDED_UPDATES):
            return update
        self._updates.append(update)
        self._cond.notify_all()
        return update

    @property
    def pending_updates(self) -> list[dict]:
        with self._lock:
            return list(self._updates)

    @property
    def last_update_id(self) -> int:
        """The id of the newest update made so far (0 before the first)."""
        with self._lock:
            return self._next_update_id - 1

    def wait_until_fetched(self, *, timeout: float = 10.0) -> None:
        """Wait until the bot asked for updates past every update made so far (by
        ``getUpdates`` offset: it has received them all)."""
        last = self.last_update_id
        self.wait_for_call("getUpdates", lambda p: (p.get("offset") or 0) > last, timeout=timeout)

    # ---------------------------------------------------------------- HTTP dispatch
    def _handle_http(
        self, path: str, query: str, content_type: str, body: bytes
    ) -> tuple[int, dict | None]:
        match = _PATH_RE.match(path)
        if not match:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        token, method = match.groups()
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        try:
            params = _parse_params(query, content_type, body)
        except (ValueError, UnicodeDecodeError) as exc:
            return 400, {
                "ok": False,
                "error_code": 400,
                "description": f"Bad Request: can't parse request: {exc}",
            }
        return self.dispatch(method, params)

    def dispatch(self, method: str, params: dict) -> tuple[int, dict | None]:
        """Run one API call as if it came over HTTP; returns (status, JSON body)."""
        entry = self._methods.get(method.lower())
        name = entry[0] if entry else method
        with self._cond:
            self.calls.append((name, params))
            fault = next((f for f in self._faults if f.matches(name, params)), None)
            if fault is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
            self._cond.notify_all()
        if fault is not None and fault.status == 200:
            # A slow Telegram: the call succeeds, after the delay.
            self._stopping.wait(fault.delay)
            try:
                return self._dispatch_method(entry, name, params)
            finally:
                with self._lock:
                    fault.answered += 1
        if fault is not None:
            return self._fault_answer(fault)
        return self._dispatch_method(entry, name, params)

    def _dispatch_method(self, entry, name: str, params: dict) -> tuple[int, dict | None]:
        if entry is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        try:
            result = entry[1](params)
        except ApiError as exc:
            status, payload = exc.code, exc.payload()
        except Exception:
            log.exception("emulator failure in %s", name)
            status, payload = (
                500,
                {
                    "ok": False,
                    "error_code": 500,
                    "description": "Internal Server Error",
                },
            )
        else:
            status, payload = 200, {"ok": True, "result": result}
        if self._events:
            self._flush_events()
        return status, payload

    def _fault_answer(self, fault: Fault) -> tuple[int, dict | None]:
        try:
            return self._fault_answer_after_delay(fault)
        finally:
            with self._lock:
                fault.answered += 1

    def _fault_answer_after_delay(self, fault: Fault) -> tuple[int, dict | None]:
        if fault.delay:
            self._stopping.wait(fault.delay)
        if fault.status == 0:
            return 0, None
        description = fault.description
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {fault.retry_after}",
                400: "Bad Request",
                401: "Unauthorized",
                403: ERR_BLOCKED,
                404: "Not Found",
                409: "Conflict",
                500: "Internal Server Error",
                502: "Bad Gateway",
                504: "Gateway Timeout",
            }.get(fault.status)
        if description is None:
            try:
                description = HTTPStatus(fault.status).phrase
            except ValueError:
                description = "Error"
        parameters = {}
        if fault.retry_after is not None:
            parameters["retry_after"] = fault.retry_after
        if fault.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = fault.migrate_to_chat_id
        return fault.status, ApiError(fault.status, description, parameters or None).payload()

    # ---------------------------------------------------------------- helpers for the API
    @staticmethod
    def _bad(description: str) -> ApiError:
        return ApiError(400, f"Bad Request: {description}")

    def _resolve_chat_locked(self, params: dict, key: str = "chat_id") -> _ChatState:
        chat_id = params.get(key)
        if chat_id is None or chat_id == "":
            raise self._bad(f"{key} is empty")
        if isinstance(chat_id, str):
            if chat_id.startswith("@"):
                wanted = chat_id[1:].lower()
                for state in self._chats.values():
                    if (
                        state.chat.type != "private"
                        and state.chat.username
                        and state.chat.username.lower() == wanted
                    ):
                        return state
            raise ApiError(400, ERR_CHAT_NOT_FOUND)
        state = self._chats.get(chat_id)
        if state is None:
            raise ApiError(400, ERR_CHAT_NOT_FOUND)
        return state

    def _check_can_write_locked(self, state: _ChatState) -> None:
        if state.migrated_to is not None:
            raise ApiError(400, ERR_MIGRATED, {"migrate_to_chat_id": state.migrated_to})
        if state.chat.type == "private":
            if state.blocked:
                raise ApiError(403, ERR_BLOCKED)
            if self.require_start and not state.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif state.left:
            raise ApiError(403, f"Forbidden: bot is not a member of the {state.chat.type} chat")

    def _format_text(self, params: dict) -> tuple[str, str, str | None, list[dict]]:
        raw = params.get("text")
        if raw is None or raw == "":
            raise ApiError(400, ERR_TEXT_EMPTY)
        raw = str(raw)
        parse_mode = params.get("parse_mode") or None
        entities: list[dict]
        try:
            if parse_mode is None:
                text = raw
                given = params.get("entities") or []
                if not isinstance(given, list):
                    raise self._bad("can't parse entities JSON object")
                entities = _sorted_entities([dict(e) for e in given if isinstance(e, dict)])
            elif parse_mode.lower() == "html":
                text, entities = parse_html(raw, strict=self.strict_html)
            elif parse_mode.lower() == "markdownv2":
                text, entities = parse_markdown_v2(raw)
            elif parse_mode.lower() == "markdown":
                text, entities = parse_markdown(raw)
            else:
                raise self._bad("unsupported parse_mode")
        except _ParseError as exc:
            raise self._bad(f"can't parse entities: {exc}") from None
        text, entities = _strip_text(text, entities)
        if not text:
            raise ApiError(400, ERR_TEXT_EMPTY)
        if len(text) > MAX_TEXT_LENGTH:
            raise ApiError(400, ERR_TOO_LONG)
        return text, raw, parse_mode, entities

    def _check_markup(self, markup: Any, *, inline_only: bool = False) -> dict | None:
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise self._bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise self._bad("can't parse inline keyboard button: InlineKeyboardButton rows")
            count = 0
            for row in rows:
                for button in row:
                    count += 1
                    if not isinstance(button, dict):
                        raise self._bad("can't parse inline keyboard button")
                    if not str(button.get("text", "")).strip():
                        raise self._bad("BUTTON_TEXT_EMPTY")
                    actions = set(button) - {"text", "style", "icon_custom_emoji_id"}
                    if not actions:
                        raise self._bad("text buttons are unallowed in the inline keyboard")
                    if "callback_data" in button:
                        size = len(str(button["callback_data"]).encode("utf-8"))
                        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                            raise self._bad("BUTTON_DATA_INVALID")
                    if "url" in button and not re.match(r"^(https?|tg)://\S+$", str(button["url"])):
                        raise self._bad("BUTTON_URL_INVALID")
            if count > 100:
                raise self._bad("reply markup is too long")
            return markup
        if inline_only:
            raise self._bad("inline keyboard expected")
        if "keyboard" in markup or "remove_keyboard" in markup or "force_reply" in markup:
            return markup
        raise self._bad("can't parse reply keyboard markup JSON object")

    def _bot_message_locked(self, state: _ChatState, params: dict, *, action: str) -> BotMessage:
        if params.get("inline_message_id"):
            raise self._bad("inline messages are not supported by the emulator")
        message_id = params.get("message_id")
        if message_id is None or message_id == "":
            raise self._bad("message identifier is not specified")
        message = state.messages.get(message_id)
        if message is None or (isinstance(message, BotMessage) and message.deleted):
            raise self._bad(f"message to {action} not found")
        if not isinstance(message, BotMessage):
            raise self._bad(f"message can't be {action}ed")
        return message

    def _edit_locked(
        self,
        message: BotMessage,
        *,
        text: str,
        raw_text: str,
        parse_mode: str | None,
        entities: list[dict],
        markup: dict | None,
    ) -> None:
        current_inline = message.reply_markup if _is_inline(message.reply_markup) else None
        if text == message.text and entities == message.entities and markup == current_inline:
            raise ApiError(400, ERR_NOT_MODIFIED)
        now = time.time()
        message.edits.append(
            {
                "text": message.text,
                "raw_text": message.raw_text,
                "parse_mode": message.parse_mode,
                "entities": message.entities,
                "reply_markup": message.reply_markup,
                "at": message.edited_at or message.sent_at,
                "replaced_at": now,
            }
        )
        message.text = text
        message.raw_text = raw_text
        message.parse_mode = parse_mode
        message.entities = entities
        if markup is not None or current_inline is not None:
            message.reply_markup = markup
        message.edited_at = now
        message.edit_date = int(now)
        self._emit_locked(BotActivity("edited", message.chat_id, message))
        self._cond.notify_all()

    # ---------------------------------------------------------------- API methods
    def _api_get_me(self, params: dict) -> dict:
        return dict(self.bot_user)

    def _api_log_out(self, params: dict) -> bool:
        return True

    def _api_close(self, params: dict) -> bool:
        return True

    def _api_get_updates(self, params: dict) -> list[dict]:
        offset = params.get("offset") or 0
        limit = params.get("limit") or 100
        timeout = params.get("timeout") or 0
        if not isinstance(offset, int) or not isinstance(limit, int):
            raise self._bad("wrong parameter in request")
        if not isinstance(timeout, int | float):
            raise self._bad("wrong parameter timeout")
        limit = min(max(limit, 1), 100)
        allowed = params.get("allowed_updates")
        deadline = time.monotonic() + max(float(timeout), 0.0)
        with self._cond:
            if self._webhook is not None:
                raise ApiError(409, ERR_WEBHOOK_ACTIVE)
            if isinstance(allowed, list):
                self._allowed_updates = [str(a) for a in allowed]
            if offset < 0:
                self._updates = self._updates[offset:]  # keep the last -offset updates
            elif offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._poll_generation += 1
            generation = self._poll_generation
            self._cond.notify_all()  # a pending getUpdates gets 409
            while True:
                if self._poll_generation != generation:
                    raise ApiError(409, ERR_GET_UPDATES_CONFLICT)
                if self._webhook is not None:
                    raise ApiError(409, ERR_WEBHOOK_ACTIVE)
                if self._updates:
                    return list(self._updates[:limit])
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping.is_set():
                    return []
                self._cond.wait(remaining)

    def _api_set_webhook(self, params: dict) -> bool:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if secret and not _SECRET_RE.match(str(secret)):
            raise self._bad("secret token contains unallowed characters")
        if url and not re.match(r"^https?://", url):
            raise self._bad("bad webhook: HTTPS url must be provided for webhook")
        with self._cond:
            if params.get("drop_pending_updates"):
                self._updates.clear()
            allowed = params.get("allowed_updates")
            if isinstance(allowed, list):
                self._allowed_updates = [str(a) for a in allowed]
            if not url:
                self._webhook = None
                return True
            self._webhook = {
                "url": url,
                "secret_token": secret or None,
                "max_connections": params.get("max_connections") or 40,
                "ip_address": params.get("ip_address"),
                "has_custom_certificate": bool(params.get("certificate")),
                "last_error_date": None,
                "last_error_message": None,
            }
            self._webhook_failures = 0
            self._webhook_backoff_until = 0.0
            if self._webhook_thread is None or not self._webhook_thread.is_alive():
                self._webhook_thread = threading.Thread(
                    target=self._deliver_webhooks, name="telegram-emulator-webhook", daemon=True
                )
                self._webhook_thread.start()
            self._cond.notify_all()
        return True

    def _api_delete_webhook(self, params: dict) -> bool:
        with self._cond:
            self._webhook = None
            if params.get("drop_pending_updates"):
                self._updates.clear()
            self._cond.notify_all()
        return True

    def _api_get_webhook_info(self, params: dict) -> dict:
        with self._lock:
            info: dict[str, Any] = {
                "url": "",
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            hook = self._webhook
            if hook is not None:
                info["url"] = hook["url"]
                info["has_custom_certificate"] = hook["has_custom_certificate"]
                info["max_connections"] = hook["max_connections"]
                if hook["ip_address"]:
                    info["ip_address"] = hook["ip_address"]
                if hook["last_error_date"]:
                    info["last_error_date"] = hook["last_error_date"]
                    info["last_error_message"] = hook["last_error_message"]
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
            return info

    def _deliver_webhooks(self) -> None:
        while True:
            with self._cond:
                while not self._stopping.is_set():
                    wait = self._webhook_backoff_until - time.monotonic()
                    if self._webhook is not None and self._updates and wait <= 0:
                        break
                    if self._webhook is None:
                        return  # deleted: a later setWebhook starts a new thread
                    self._cond.wait(wait if wait > 0 else None)
                if self._stopping.is_set():
                    return
                update = self._updates[0]
                hook = dict(self._webhook)
            headers = {"Content-Type": "application/json"}
            if hook["secret_token"]:
                headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
            request = urllib.request.Request(
                hook["url"], data=json.dumps(update).encode(), headers=headers, method="POST"
            )
            error = None
            reply = b""
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    reply = response.read()
            except urllib.error.HTTPError as exc:
                error = f"Wrong response from the webhook: {exc.code} {exc.reason}"
            except OSError as exc:
                error = f"Connection failed: {exc}"
            with self._cond:
                self.webhook_deliveries.append(
                    {"update_id": update["update_id"], "url": hook["url"], "error": error}
                )
                current = self._webhook
                if error is None:
                    if self._updates and self._updates[0]["update_id"] == update["update_id"]:
                        self._updates.pop(0)
                    self._webhook_failures = 0
                    self._webhook_backoff_until = 0.0
                else:
                    self._webhook_failures += 1
                    self._webhook_backoff_until = time.monotonic() + min(
                        0.05 * 2**self._webhook_failures, 2.0
                    )
                    if current is not None:
                        current["last_error_date"] = int(time.time())
                        current["last_error_message"] = error
                self._cond.notify_all()
            if error is None and reply:
                self._run_webhook_reply(reply)

    def _run_webhook_reply(self, reply: bytes) -> None:
        """A webhook may answer with a method call, which Telegram then executes."""
        try:
            data = json.loads(reply)
        except ValueError:
            return
        if isinstance(data, dict) and isinstance(data.get("method"), str):
            params = {k: v for k, v in data.items() if k != "method"}
            self.dispatch(data["method"], {k: _coerce(k, v) for k, v in params.items()})

    @staticmethod
    def _commands_key(params: dict) -> tuple[str, str]:
        scope = params.get("scope")
        if not scope or scope == {"type": "default"}:
            scope_key = "default"
        elif isinstance(scope, dict):
            scope_key = json.dumps(scope, sort_keys=True, separators=(",", ":"))
        else:
            raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        language = params.get("language_code") or ""
        if language and not _LANGUAGE_RE.match(language):
            raise ApiError(400, "Bad Request: invalid language code specified")
        return scope_key, language

    def _api_set_my_commands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise self._bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise self._bad("too many commands specified")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict):
                raise self._bad("can't parse BotCommand JSON object")
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not _COMMAND_RE.match(name):
                raise self._bad("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise self._bad("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._commands_key(params)
        with self._lock:
            if cleaned:
                self.commands[key] = cleaned
            else:
                self.commands.pop(key, None)
        return True

    def _api_get_my_commands(self, params: dict) -> list[dict]:
        key = self._commands_key(params)
        with self._lock:
            return [dict(c) for c in self.commands.get(key, [])]

    def _api_delete_my_commands(self, params: dict) -> bool:
        key = self._commands_key(params)
        with self._lock:
            self.commands.pop(key, None)
        return True

    def _set_text_setting(
        self, store: dict[str, str], params: dict, field_name: str, limit: int
    ) -> bool:
        value = str(params.get(field_name) or "")
        if len(value) > limit:
            raise self._bad(f"{field_name} is too long")
        language = str(params.get("language_code") or "")
        with self._lock:
            if value:
                store[language] = value
            else:
                store.pop(language, None)
        return True

    def _get_text_setting(self, store: dict[str, str], params: dict, field_name: str) -> dict:
        language = str(params.get("language_code") or "")
        with self._lock:
            return {field_name: store.get(language, store.get("", ""))}

    def _api_set_my_description(self, params: dict) -> bool:
        return self._set_text_setting(self.descriptions, params, "description", 512)

    def _api_get_my_description(self, params: dict) -> dict:
        return self._get_text_setting(self.descriptions, params, "description")

    def _api_set_my_short_description(self, params: dict) -> bool:
        return self._set_text_setting(self.short_descriptions, params, "short_description", 120)

    def _api_get_my_short_description(self, params: dict) -> dict:
        return self._get_text_setting(self.short_descriptions, params, "short_description")

    def _api_set_my_name(self, params: dict) -> bool:
        return self._set_text_setting(self.names, params, "name", 64)

    def _api_get_my_name(self, params: dict) -> dict:
        result = self._get_text_setting(self.names, params, "name")
        return {"name": result["name"] or self.bot_user["first_name"]}

    def _api_set_chat_menu_button(self, params: dict) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise self._bad("can't parse menu button")
        with self._lock:
            chat_id = None
            if params.get("chat_id") not in (None, ""):
                chat_id = self._resolve_chat_locked(params).chat.id
            self.menu_buttons[chat_id] = button
        return True

    def _api_get_chat_menu_button(self, params: dict) -> dict:
        with self._lock:
            chat_id = None
            if params.get("chat_id") not in (None, ""):
                chat_id = self._resolve_chat_locked(params).chat.id
            button = self.menu_buttons.get(chat_id) or self.menu_buttons.get(None)
            return dict(button or {"type": "default"})

    # Telegram's documented ceilings (Bots FAQ): about 30 messages a second overall, at most
    # 20 a minute in one group. Modelled as leaky buckets of that size, for sendMessage.
    FLOOD_OVERALL = (30, 1.0)
    FLOOD_GROUP = (20, 60.0)

    def _check_flood_locked(self, state: _ChatState) -> None:
        if not self.flood_limits:
            return
        now = self.flood_clock()
        buckets = [(self._flood_overall, *self.FLOOD_OVERALL)]
        if state.chat.type != "private":
            group = self._flood_groups.setdefault(state.chat.id, [0.0, now])
            buckets.append((group, *self.FLOOD_GROUP))
        for bucket, capacity, period in buckets:
            drained = (now - bucket[1]) * capacity / period
            bucket[0], bucket[1] = max(0.0, bucket[0] - drained), now
        for bucket, capacity, period in buckets:
            if bucket[0] + 1 > capacity:
                wait = max(1, math.ceil((bucket[0] + 1 - capacity) * period / capacity))
                self.flood_refusals.append({"chat_id": state.chat.id, "retry_after": wait})
                raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        for bucket, _capacity, _period in buckets:
            bucket[0] += 1

    def _api_send_message(self, params: dict) -> dict:
        text, raw, parse_mode, entities = self._format_text(params)
        markup = self._check_markup(params.get("reply_markup"))
        with self._cond:
            state = self._resolve_chat_locked(params)
            self._check_can_write_locked(state)
            self._check_flood_locked(state)
            reply_id = params.get("reply_to_message_id")
            allow_missing = bool(params.get("allow_sending_without_reply"))
            reply_parameters = params.get("reply_parameters")
            if isinstance(reply_parameters, dict):
                reply_id = reply_parameters.get("message_id")
                allow_missing = bool(reply_parameters.get("allow_sending_without_reply"))
                other_chat = reply_parameters.get("chat_id")
                if other_chat not in (None, state.chat.id):
                    raise self._bad("replies to other chats are not supported by the emulator")
            reply_to_message = None
            if reply_id not in (None, ""):
                target = state.messages.get(reply_id)
                deleted = (
                    isinstance(target, BotMessage) and target.deleted
                ) or reply_id in state.deleted_user_messages
                if target is None or deleted:
                    if not allow_missing:
                        raise self._bad("message to be replied not found")
                    reply_id = None
                elif isinstance(target, BotMessage):
                    reply_to_message = target.to_dict()
                    reply_to_message.pop("reply_to_message", None)
                else:
                    reply_to_message = {k: v for k, v in target.items() if k != "reply_to_message"}
            else:
                reply_id = None
            now = time.time()
            message = BotMessage(
                message_id=state.take_message_id(),
                chat_id=state.chat.id,
                text=text,
                raw_text=raw,
                parse_mode=parse_mode,
                entities=entities,
                reply_markup=markup,
                date=int(now),
                sent_at=now,
                chat=state.chat.to_dict(),
                from_user={k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")},
                reply_to_message_id=reply_id,
                reply_to_message=reply_to_message,
                message_thread_id=params.get("message_thread_id") or None,
                disable_notification=bool(params.get("disable_notification")),
                link_preview_options=params.get("link_preview_options") or None,
            )
            state.messages[message.message_id] = message
            state.timeline.append(("bot", message))
            self._bot_messages.append(message)
            self._emit_locked(BotActivity("sent", state.chat.id, message))
            self._cond.notify_all()
            return message.to_dict()

    def _api_edit_message_text(self, params: dict) -> dict:
        with self._cond:
            state = self._resolve_chat_locked(params)
            self._check_can_write_locked(state)
            message = self._bot_message_locked(state, params, action="edit")
            text, raw, parse_mode, entities = self._format_text(params)
            markup = self._check_markup(params.get("reply_markup"), inline_only=True)
            self._edit_locked(
                message,
                text=text,
                raw_text=raw,
                parse_mode=parse_mode,
                entities=entities,
                markup=markup,
            )
            return message.to_dict()

    def _api_edit_message_reply_markup(self, params: dict) -> dict:
        with self._cond:
            state = self._resolve_chat_locked(params)
            self._check_can_write_locked(state)
            message = self._bot_message_locked(state, params, action="edit")
            markup = self._check_markup(params.get("reply_markup"), inline_only=True)
            self._edit_locked(
                message,
                text=message.text,
                raw_text=message.raw_text,
                parse_mode=message.parse_mode,
                entities=message.entities,
                markup=markup,
            )
            return message.to_dict()

    def _api_delete_message(self, params: dict) -> bool:
        with self._cond:
            state = self._resolve_chat_locked(params)
            message_id = params.get("message_id")
            message = state.messages.get(message_id)
            if (
                message is None
                or (isinstance(message, BotMessage) and message.deleted)
                or message_id in state.deleted_user_messages
            ):
                raise self._bad("message to delete not found")
            if isinstance(message, BotMessage):
                message.deleted = True
                message.deleted_at = time.time()
                self._emit_locked(BotActivity("deleted", state.chat.id, message))
            else:
                state.deleted_user_messages.add(message_id)
            self._cond.notify_all()
            return True

    def _api_answer_callback_query(self, params: dict) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise self._bad("MESSAGE_TOO_LONG")
        with self._cond:
            query = self._callback_queries.get(query_id)
            if query is None or query["answered"]:
                raise ApiError(400, ERR_QUERY_INVALID)
            query["answered"] = True
            answer = {
                "callback_query_id": query_id,
                "text": text,
                "show_alert": bool(params.get("show_alert")),
                "url": params.get("url"),
                "cache_time": params.get("cache_time"),
                "chat_id": query["chat_id"],
                "message_id": query["message_id"],
                "from_id": query["from_id"],
                "data": query["data"],
                "at": time.time(),
            }
            self.callback_answers.append(answer)
            state = self._chats.get(query["chat_id"])
            message = None
            if state is not None:
                state.timeline.append(("answer", answer))
                found = state.messages.get(query["message_id"])
                message = found if isinstance(found, BotMessage) else None
            self._emit_locked(BotActivity("answered", query["chat_id"], message, answer))
            self._cond.notify_all()
            return True

    def _api_send_chat_action(self, params: dict) -> bool:
        action = params.get("action")
        with self._cond:
            state = self._resolve_chat_locked(params)
            self._check_can_write_locked(state)
            if action not in _CHAT_ACTIONS:
                raise self._bad("wrong parameter action in request")
            self.chat_actions.append(
                {"chat_id": state.chat.id, "action": action, "at": time.time()}
            )
            return True

    def _api_get_chat(self, params: dict) -> dict:
        with self._lock:
            state = self._resolve_chat_locked(params)
            info = state.chat.to_dict()
            info.update(
                {
                    "accent_color_id": 0,
                    "max_reaction_count": 11,
                    "accepted_gift_types": {
                        "unlimited_gifts": False,
                        "limited_gifts": False,
                        "unique_gifts": False,
                        "premium_subscription": False,
                        "gifts_from_channels": False,
                    },
                }
            )
            return info

    def _api_get_chat_member(self, params: dict) -> dict:
        with self._lock:
            state = self._resolve_chat_locked(params)
            user_id = params.get("user_id")
            if user_id == self.bot_id:
                status = "left" if state.left else "member"
                return {"status": status, "user": dict(self.bot_user)}
            user = self._users.get(user_id) if isinstance(user_id, int) else None
            if user is None:
                raise self._bad("user not found")
            if state.chat.type == "private" and state.chat.id != user.id:
                raise self._bad("user not found")
            return {"status": "member", "user": user.to_dict()}

    def _api_leave_chat(self, params: dict) -> bool:
        with self._lock:
            state = self._resolve_chat_locked(params)
            if state.chat.type == "private":
                raise self._bad("chat member status can't be changed in private chats")
            state.left = True
            return True


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _is_inline(markup: dict | None) -> bool:
    return bool(markup) and "inline_keyboard" in markup
