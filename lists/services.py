"""Write-side operations on lists for the doors (the bot, the CLI, the admin).

Loading a list is a run of the `lists` kind: `list_import_start` checks what can be checked
at once (the link, the configuration), then creates the run with the list as its params; the
run registers the list (or finds it) and loads it. The kind's lock refuses a second lists
run while one is active (`SyncAlreadyActive`, naming it).
"""

from __future__ import annotations

from django.db import transaction

from integrations import services as sync_services
from integrations.models import SyncRun
from integrations.sheets.errors import SheetsConfigurationError
from integrations.sheets.factory import google_configured, not_configured_message
from integrations.sheets.links import parse_sheet_link
from lists.columns import FIELDS
from lists.loading import ImportTarget
from lists.models import PeopleList
from people.models import Human

KIND = "lists"


class GoogleNotConfigured(SheetsConfigurationError):
    """No service account key: lists cannot be loaded here (the message says what to set)."""


def list_import_start(
    *,
    link: str,
    trigger: str,
    sheet: str | None = None,
    name: str | None = None,
    dry_run: bool = False,
    allow_mass_deactivation: bool = False,
    triggered_by: Human | None = None,
    chat_id: int | None = None,
    claim: bool = False,
) -> list[SyncRun]:
    """Create the run that registers (or finds) the list behind `link` and loads it.

    Raises `NotASheetsLink` (the reason says what to send instead), `GoogleNotConfigured`,
    and `integrations.services.SyncAlreadyActive` naming the active lists run. With `claim`
    this process executes the run itself (the CLI); otherwise the door queues it.
    """
    ref = parse_sheet_link(link)
    if not google_configured():
        raise GoogleNotConfigured(not_configured_message())
    target = ImportTarget(
        spreadsheet_id=ref.spreadsheet_id,
        sheet_id=ref.sheet_id,
        sheet_title=(sheet or "").strip() or None,
        name=(name or "").strip() or None,
        created_by=triggered_by.pk if triggered_by is not None else None,
    )
    return sync_services.sync_runs_create(
        kind=KIND,
        trigger=trigger,
        dry_run=dry_run,
        allow_mass_deactivation=allow_mass_deactivation,
        triggered_by=triggered_by,
        chat_id=chat_id,
        claim=claim,
        params=target.as_params(),
    )


def people_list_columns_set(*, people_list: PeopleList, columns: dict[str, str]) -> bool:
    """The admin's column mapping (field -> header, "" for a field switched off); used by
    the next load. Returns whether it changed."""
    cleaned = {field: (columns.get(field) or "").strip() for field in FIELDS if field in columns}
    if cleaned == people_list.columns:
        return False
    with transaction.atomic():
        people_list.columns = cleaned
        people_list.save(update_fields=["columns", "updated_at"])
    return True
