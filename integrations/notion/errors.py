"""Errors of the Notion access layer, each with a message a non-engineer can read."""

from django.utils.translation import gettext as _


class NotionError(Exception):
    """Notion could not give us what we asked for. `str()` is the readable reason."""


class NotionConfigurationError(NotionError):
    """A setting is missing or wrong (token, database id, property mapping)."""


class NotionAccessError(NotionError):
    """Notion answered, but refused: wrong token, database not shared, bad request."""


class NotionNotFound(NotionAccessError):
    """404 / 403: the object does not exist, or is not shared with the integration."""


class NotionUnavailable(NotionError):
    """Notion did not answer usefully after every retry (outage, rate limit, network)."""


def unavailable_message(reason: str, attempts: int) -> str:
    return _("Notion is unavailable: %(reason)s (gave up after %(attempts)d attempts).") % {
        "reason": reason,
        "attempts": attempts,
    }
