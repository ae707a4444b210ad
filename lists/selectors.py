"""Read-side queries about lists: what /lists and the admin show, what the CSV exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Q
from django.utils.translation import gettext as _

from integrations.sheets.errors import SheetsConfigurationError
from integrations.sheets.factory import google_configured, service_account_email
from lists.models import ListEntry, PeopleList


@dataclass(frozen=True)
class ListOverview:
    """A list and its last load, as /lists shows it."""

    pk: int
    name: str
    url: str
    is_active: bool
    entries: int
    ours: int
    new: int
    last_run_id: int | None
    last_loaded_at: datetime | None
    last_error: str


def people_lists_count() -> int:
    return PeopleList.objects.count()


def people_lists_overview(*, limit: int = 20) -> list[ListOverview]:
    """Lists, the latest loaded first, with their entries counted (one query)."""
    lists = (
        PeopleList.objects.annotate(
            n_entries=Count("entries"),
            n_ours=Count("entries", filter=~Q(entries__match="")),
        )
        .order_by("-is_active", F("last_loaded_at").desc(nulls_last=True), "-pk")
        .only(
            "pk",
            "name",
            "spreadsheet_id",
            "sheet_id",
            "is_active",
            "last_run_id",
            "last_loaded_at",
            "last_error",
        )[:limit]
    )
    return [
        ListOverview(
            pk=pl.pk,
            name=pl.name,
            url=pl.sheet_link,
            is_active=pl.is_active,
            entries=pl.n_entries,
            ours=pl.n_ours,
            new=pl.n_entries - pl.n_ours,
            last_run_id=pl.last_run_id,
            last_loaded_at=pl.last_loaded_at,
            last_error=pl.last_error,
        )
        for pl in lists
    ]


def google_service_account_email() -> str | None:
    """The address to share sheets with, when Google is set up (and its key readable)."""
    if not google_configured():
        return None
    try:
        return service_account_email()
    except SheetsConfigurationError:
        return None


def list_entries_csv(entries: Iterable[ListEntry]) -> str:
    """Entries as CSV for adding them to Notion: name, Telegram, e-mail, phone, list, row.
    With a byte order mark, so Excel opens the Cyrillic right."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [_("Full name"), _("Telegram"), _("E-mail"), _("Phone"), _("List"), _("Row"), _("Link")]
    )
    for entry in entries:
        writer.writerow(
            [
                entry.full_name,
                f"@{entry.telegram_username}" if entry.telegram_username else "",
                entry.email,
                entry.phone,
                entry.people_list.name,
                entry.row_number,
                entry.sheet_link,
            ]
        )
    return out.getvalue()
