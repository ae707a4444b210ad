"""Sync kind `lists`: Google Sheets lists of people -> lists.ListEntry, matched to Humans.

A run re-imports every active list, or the one list `import_list` asked for (its params).
The work is the lists app's (`lists.loading`); this module only registers the kind. Without
a service account key (GOOGLE_SERVICE_ACCOUNT_FILE) the kind is disabled: left out of `all`,
the schedules and what the bot offers, and asked for by name it says what to set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

from integrations.sheets.factory import google_configured, not_configured_message
from integrations.sync import registry
from lists.text import progress_text, run_summary

if TYPE_CHECKING:
    from integrations.sync.base import SyncContext, SyncCounts


def run_lists(ctx: SyncContext) -> SyncCounts:
    """A new ListsRun for every run. Imported here, not above: the loading code (Sheets
    client, google-auth, phone numbers) costs a sync of the other kinds ~0.15 s to import."""
    from lists.loading import ListsRun

    return ListsRun.execute(ctx)


registry.register(
    registry.SyncKind(
        name="lists",  # -> /sync_lists, `sync lists`
        label=gettext_lazy("Lists"),
        description=gettext_lazy("re-import every list from Google Sheets"),
        run=run_lists,
        order=30,  # after humans (10) and directions (20): matches use the fresh Humans
        supports_incremental=False,  # a sheet has no change feed: the nightly full run
        enabled=google_configured,
        disabled_message=not_configured_message,
        summarize=run_summary,
        progress_text=progress_text,
    )
)
