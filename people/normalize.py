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


# Telegram user ids are positive and (today) below 2**52; anything else is a typo.
_MAX_TELEGRAM_ID = 2**52


def telegram_user_id_of(value) -> tuple[int | None, bool]:
    """A numeric Telegram user id from a Notion number or text value: (id, ok).

    Empty -> (None, True); `123456789`, `123456789.0`, `" 123456789 "` -> the int; anything
    else (a handle, a negative number, a fraction) -> (None, False) for a run warning.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, True
    if isinstance(value, bool):
        return None, False
    if isinstance(value, int | float):
        if float(value).is_integer() and 0 < value < _MAX_TELEGRAM_ID:
            return int(value), True
        return None, False
    text = str(value).strip()
    if text.isascii() and text.isdigit() and 0 < int(text) < _MAX_TELEGRAM_ID:
        return int(text), True
    return None, False
