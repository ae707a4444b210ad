"""Normalisation of Telegram handles as people write them in Notion."""

import re

_PREFIXES = re.compile(
    r"^(?:(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/|tg://resolve\?domain=|@)",
    re.IGNORECASE,
)
# Telegram usernames: 5-32 characters (4 for auction-bought ones), Latin letters, digits
# and underscores, starting with a letter.
_USERNAME = re.compile(r"^[a-z][a-z0-9_]{3,31}$")


def normalize_telegram_username(raw: str | None) -> tuple[str | None, bool]:
    """Return `(username, ok)`.

    `username` is lowercase without `@`, or None; `ok` is False when something was written
    but it is not a Telegram username (the caller records a warning).
    Accepts `@Name`, `name`, `t.me/name`, `https://t.me/name`, with spaces around.
    """
    if raw is None:
        return None, True
    value = raw.strip().strip("\u200b\u200e\u200f")
    if not value:
        return None, True
    value = _PREFIXES.sub("", value, count=1)
    value = value.split("?", 1)[0].strip().strip("/").lstrip("@").lower()
    if _USERNAME.match(value):
        return value, True
    return None, False
