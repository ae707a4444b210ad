"""Read-side queries about lists: what /lists and the admin show, what the CSV exports."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _

from integrations.sheets.errors import SheetsConfigurationError
from integrations.sheets.factory import google_configured, service_account_email
from lists.models import ListEntry, PeopleList, new_entries


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


def with_entry_counts(lists: QuerySet[PeopleList]) -> QuerySet[PeopleList]:
    """Each list with its entries counted in the same query: `n_entries`, `n_ours` (matched
    to our people) and `n_new` (new people, `new_entries`)."""
    return lists.annotate(
        n_entries=Count("entries"),
        n_ours=Count("entries", filter=~Q(entries__match="")),
        n_new=Count("entries", filter=new_entries(through="entries__")),
    )


def people_lists_overview(*, limit: int = 20) -> list[ListOverview]:
    """Lists, the latest loaded first, with their entries counted (one query)."""
    lists = (
        with_entry_counts(PeopleList.objects.all())
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
            new=pl.n_new,
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


# A cell a spreadsheet would run as a formula («=HYPERLINK(…)», «+cmd|…», «@SUM(…)»): what
# people typed into a form must open as text. A phone in E.164 and a normalised handle are
# left as they are (they cannot hold a formula, and Notion must read them as written).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SAFE = re.compile(r"^(\+\d{6,15}|@[a-z0-9_]{1,64})$")


def csv_cell(value: object) -> str:
    """A value as a CSV cell that no spreadsheet runs as a formula (OWASP's advice: a
    leading apostrophe)."""
    text = str(value)
    if text.startswith(_FORMULA_START) and not _SAFE.match(text):
        return "'" + text
    return text


def list_entries_csv(entries: Iterable[ListEntry]) -> str:
    """Entries as CSV for adding them to Notion: name, Telegram, e-mail, phone, list, row.
    With a byte order mark, so Excel opens the Cyrillic right; formulas are neutralised."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [_("Full name"), _("Telegram"), _("E-mail"), _("Phone"), _("List"), _("Row"), _("Link")]
    )
    for entry in entries:
        row = [
            entry.full_name,
            f"@{entry.telegram_username}" if entry.telegram_username else "",
            entry.email,
            entry.phone,
            entry.people_list.name,
            entry.row_number,
            entry.sheet_link,
        ]
        writer.writerow([csv_cell(value) for value in row])
    return out.getvalue()
