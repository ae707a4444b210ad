"""Builds the Google Sheets client from settings (one place reads the GOOGLE_* settings)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext as _

from integrations.sheets.errors import SheetsConfigurationError

if TYPE_CHECKING:
    from integrations.sheets.client import SheetsClient

REQUIRED_KEY_FIELDS = ("client_email", "private_key", "token_uri")


def google_configured() -> bool:
    """Whether a service account key is set (lists are switched off without one)."""
    return bool(settings.GOOGLE_SERVICE_ACCOUNT_FILE)


def not_configured_message() -> str:
    return _(
        "Google Sheets is not set up: set GOOGLE_SERVICE_ACCOUNT_FILE to the path of a "
        "service account's JSON key (README, “Lists from Google Sheets”)."
    )


def service_account_info() -> dict:
    """The service account key, checked; `SheetsConfigurationError` says what is wrong."""
    path = settings.GOOGLE_SERVICE_ACCOUNT_FILE
    if not path:
        raise SheetsConfigurationError(not_configured_message())
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SheetsConfigurationError(
            _("GOOGLE_SERVICE_ACCOUNT_FILE=%(path)s cannot be read (%(error)s).")
            % {"path": path, "error": exc.strerror or exc}
        ) from exc
    except ValueError as exc:
        raise SheetsConfigurationError(
            _("GOOGLE_SERVICE_ACCOUNT_FILE=%(path)s is not a JSON key file.") % {"path": path}
        ) from exc
    missing = [name for name in REQUIRED_KEY_FIELDS if not (info or {}).get(name)]
    if not isinstance(info, dict) or info.get("type") != "service_account" or missing:
        raise SheetsConfigurationError(
            _(
                "GOOGLE_SERVICE_ACCOUNT_FILE=%(path)s is not a service account key (it needs "
                '"type": "service_account" and %(fields)s). In Google Cloud: IAM → Service '
                "accounts → Keys → Add key → JSON."
            )
            % {"path": path, "fields": ", ".join(REQUIRED_KEY_FIELDS)}
        )
    return info


def service_account_email() -> str:
    """The e-mail to share sheets with (Viewer)."""
    return service_account_info()["client_email"]


def rate_limit_key(email: str) -> str:
    """One shared bucket per service account: Google's read quota is per user."""
    return "google-sheets:" + hashlib.sha256(email.encode()).hexdigest()[:16]


def sheets_client() -> SheetsClient:
    # google-auth and requests cost ~0.1 s to import: only a run that reads a sheet pays it
    # (`manage.py sync humans` and the bot never do).
    from google.oauth2 import service_account

    from integrations.notion.client import RetryPolicy
    from integrations.notion.ratelimit import SharedRateLimit
    from integrations.sheets.client import SCOPE, SheetsClient

    info = service_account_info()
    try:
        credentials = service_account.Credentials.from_service_account_info(info, scopes=[SCOPE])
    except (ValueError, KeyError) as exc:
        raise SheetsConfigurationError(
            _("The key in GOOGLE_SERVICE_ACCOUNT_FILE cannot be used (%(error)s).") % {"error": exc}
        ) from exc
    email = info["client_email"]
    per_minute = settings.GOOGLE_SHEETS_MAX_REQUESTS_PER_MINUTE
    return SheetsClient(
        credentials=credentials,
        base_url=settings.GOOGLE_SHEETS_API_BASE_URL,
        service_account_email=email,
        limiter=SharedRateLimit(
            key=rate_limit_key(email),
            max_rps=per_minute / 60.0 if per_minute > 0 else 0,
            burst=settings.GOOGLE_SHEETS_BURST,
            service="Google Sheets",
            error=SheetsConfigurationError,
        ),
        timeout=settings.GOOGLE_SHEETS_TIMEOUT,
        retry=RetryPolicy(
            max_retries=settings.GOOGLE_SHEETS_MAX_RETRIES,
            base_delay=settings.GOOGLE_SHEETS_RETRY_BASE_DELAY,
            max_delay=settings.GOOGLE_SHEETS_RETRY_MAX_DELAY,
        ),
    )
