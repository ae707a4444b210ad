"""What people paste as "the link to the sheet", and which spreadsheet and tab it means.

Accepted: a Google Sheets link as the address bar shows it (`…/spreadsheets/d/<id>/edit
#gid=<n>`, `?gid=<n>`, `/u/1/d/…`, `/htmlview`, with or without `https://`), a Drive
`open?id=<id>` link, and a bare spreadsheet id. Everything else is refused with a reason
that says what to send instead: a Google Form (its responses sheet is what we read), a
published-to-web link, a Docs document, a Drive file or folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.utils.translation import gettext as _

from integrations.sheets.errors import NotASheetsLink

# Spreadsheet ids are 44 characters today; older ones are shorter.
_ID = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
_SHEET_PATH = re.compile(r"/spreadsheets/(?:u/\d+/)?d/([A-Za-z0-9_-]+)")
_GID = re.compile(r"(?:^|[#&?])gid=(\d+)")


@dataclass(frozen=True)
class SheetRef:
    """A spreadsheet, and the tab the link pointed at (`gid`), if it did."""

    spreadsheet_id: str
    sheet_id: int | None = None

    @property
    def url(self) -> str:
        base = f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit"
        return f"{base}#gid={self.sheet_id}" if self.sheet_id is not None else base


def sheet_url(spreadsheet_id: str, sheet_id: int | None = None, *, row: int | None = None) -> str:
    """The address a person opens in the browser (at a row, when given)."""
    url = SheetRef(spreadsheet_id, sheet_id).url
    if row is not None and sheet_id is not None:
        url += f"&range=A{row}"
    return url


def parse_sheet_link(text: str) -> SheetRef:
    """The spreadsheet (and tab) a link or id names; `NotASheetsLink` says why not."""
    value = (text or "").strip().strip("<>").strip()
    if not value:
        raise NotASheetsLink(_("Send the link to the Google Sheet (or its id)."))
    if _ID.match(value) and "." not in value:
        return SheetRef(value)
    url = value if "://" in value else f"https://{value}"
    try:
        parts = urlsplit(url)
    except ValueError:
        raise NotASheetsLink(_not_a_link(value)) from None
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path
    if host == "docs.google.com":
        if "/spreadsheets/d/e/" in path:
            raise NotASheetsLink(
                _(
                    "This is a “published to the web” link, which Google does not let programs "
                    "read. Open the sheet itself and send the link from the address bar."
                )
            )
        match = _SHEET_PATH.search(path)
        if match:
            return SheetRef(match.group(1), _gid(parts.query, parts.fragment))
        if path.startswith("/forms/"):
            raise NotASheetsLink(_form_message())
        if path.startswith(("/document/", "/presentation/")):
            raise NotASheetsLink(
                _("This is a Google Docs or Slides document, not a sheet: send a sheet's link.")
            )
    if host == "forms.gle":
        raise NotASheetsLink(_form_message())
    if host == "drive.google.com":
        ids = parse_qs(parts.query).get("id")
        if path.startswith("/open") and ids and _ID.match(ids[0]):
            return SheetRef(ids[0])
        if "/folders/" in path:
            raise NotASheetsLink(
                _("This is a Google Drive folder: open the sheet in it and send its link.")
            )
        raise NotASheetsLink(
            _(
                "This is a file in Google Drive, not a Google Sheet. If it is an Excel file, "
                "open it and choose File → Save as Google Sheets, then send that sheet's link."
            )
        )
    raise NotASheetsLink(_not_a_link(value))


def _gid(query: str, fragment: str) -> int | None:
    for part in (fragment, query):
        match = _GID.search("#" + part)
        if match:
            return int(match.group(1))
    return None


def _form_message() -> str:
    return _(
        "This is a Google Form. Its answers are in a sheet: in the form, open Responses → "
        "Link to Sheets, then send me the link of that sheet."
    )


def _not_a_link(value: str) -> str:
    shown = value if len(value) <= 60 else value[:59] + "…"
    return _(
        "“%(value)s” is not a Google Sheets link. Open the sheet and copy the address: it "
        "looks like https://docs.google.com/spreadsheets/d/…/edit."
    ) % {"value": shown}
