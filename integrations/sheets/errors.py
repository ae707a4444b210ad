"""Errors of the Google Sheets access layer, each with a message an organiser can act on.

`str()` of every error is the whole reason, in plain words, short enough for the bot's end
message. The types let callers tell apart what they handle differently (a tab renamed since
the last load is looked up again; a list nobody shared stays as it was).
"""

from __future__ import annotations

from django.utils.translation import gettext as _


class SheetsError(Exception):
    """Google Sheets could not give us what we asked for. `str()` is the readable reason."""


class SheetsConfigurationError(SheetsError):
    """GOOGLE_SERVICE_ACCOUNT_FILE is missing, unreadable or not a service account key."""


class NotASheetsLink(SheetsError):
    """What was given is not a link to a Google Sheet (nor a spreadsheet id)."""


class SheetsAuthError(SheetsError):
    """Google refused the service account itself (key deleted, wrong clock, bad token)."""


class SheetsAccessDenied(SheetsError):
    """403: the spreadsheet exists but is not shared with the service account."""

    def __init__(self, *, email: str) -> None:
        super().__init__(
            _(
                "The sheet is not shared with the service account. In Google Sheets: Share → "
                "add %(email)s as Viewer, then try again."
            )
            % {"email": email}
        )
        self.email = email


class SheetsServiceDisabled(SheetsError):
    """403 SERVICE_DISABLED: the Sheets API is switched off in the key's Cloud project."""

    def __init__(self, *, activation_url: str = "") -> None:
        where = (
            activation_url or "https://console.cloud.google.com/apis/library/sheets.googleapis.com"
        )
        super().__init__(
            _(
                "The Google Sheets API is switched off for the service account's project: the "
                "admin must enable it (%(url)s), then try again."
            )
            % {"url": where}
        )
        self.activation_url = activation_url


class SheetsNotFound(SheetsError):
    """404: no spreadsheet with that id (mistyped link, or deleted)."""

    def __init__(self, *, spreadsheet_id: str) -> None:
        super().__init__(
            _("Google has no spreadsheet %(id)s: check the link (the sheet may have been deleted).")
            % {"id": spreadsheet_id}
        )
        self.spreadsheet_id = spreadsheet_id


class SheetsNotASpreadsheet(SheetsError):
    """400 FAILED_PRECONDITION: an Excel (or other) file in Drive, never converted."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "This is an Excel file uploaded to Google Drive, not a Google Sheet. Open it, "
                "choose File → Save as Google Sheets, and send the link of the new sheet."
            )
        )


class SheetsBadRange(SheetsError):
    """400 INVALID_ARGUMENT "Unable to parse range": the tab is not there (renamed?)."""


class SheetsUnavailable(SheetsError):
    """Google did not answer usefully after every retry (outage, quota, network)."""


def unavailable_message(reason: str, attempts: int) -> str:
    return _("Google Sheets is unavailable: %(reason)s (gave up after %(attempts)d attempts).") % {
        "reason": reason,
        "attempts": attempts,
    }
