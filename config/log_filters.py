"""A logging filter that keeps secrets (the bot token above all) out of every log line.

The bot token is part of every Bot API URL (`…/bot<token>/sendMessage`), and libraries log
URLs: python-telegram-bot logs its base URL at DEBUG, httpx every request at INFO. Pinning
those loggers is not enough on its own (a new library, a traceback, an error message that
quotes a URL), so the console handler redacts the configured secrets from whatever passes.
Text that never goes through logging (a command's error line on stderr) goes through
`redact()`.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

REDACTED = "[redacted]"
# Shorter values would redact ordinary words; real tokens are far longer.
MIN_SECRET_LENGTH = 8


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__()
        forms: set[str] = set()
        for secret in secrets:
            if not secret or len(secret) < MIN_SECRET_LENGTH:
                continue
            forms.update({secret, quote(secret, safe=""), quote(secret)})
            # A Telegram token is <bot id>:<secret>; the secret part alone is the secret.
            _bot_id, sep, tail = secret.partition(":")
            if sep and len(tail) >= MIN_SECRET_LENGTH:
                forms.add(tail)
        # Longest first, so a token is replaced whole rather than leaving its bot id.
        self._forms = sorted(forms, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Always lets the record through: a filter that raised would break the caller
        (filters run inside `logger.warning(...)`)."""
        if not self._forms:
            return True
        try:
            self._redact_record(record)
        except Exception:  # noqa: BLE001 - logging must never fail its caller
            record.msg, record.args = "[a log line that could not be redacted]", None
            record.exc_info = record.exc_text = record.stack_info = None
        return True

    def _redact_record(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed call: `"%s %s" % one_argument`
            # Show what was given, redacted (logging's own error report would print the
            # arguments as they are), and let the line be written.
            message = f"{record.msg!r} % {record.args!r} (malformed log call)"
            record.msg, record.args = message, None
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)


def redact(text: str) -> str:
    """`text` without the secrets of settings.REDACTED_SECRETS (for output that bypasses
    logging, such as a CommandError's message)."""
    from django.conf import settings

    return RedactSecrets(settings.REDACTED_SECRETS).redact(text)
