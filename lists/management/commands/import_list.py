"""`manage.py import_list <link or spreadsheet id> [--sheet TAB] [--name NAME] [--dry-run]`:
register a Google Sheets list (or find it) and load it now, in this process.

Exit codes as `sync`: 0 success, 1 failure (the reason is printed; nothing was written),
2 another lists run is active (the message names it).
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from integrations import cli
from integrations import services as sync_services
from integrations.models import SyncRun
from integrations.sheets.errors import NotASheetsLink, SheetsConfigurationError
from lists import services


class Command(BaseCommand):
    help = "Load a list of people from a Google Sheet now (registering it the first time)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("link", help="the sheet's link (…/spreadsheets/d/<id>/edit…) or id")
        parser.add_argument("--sheet", help="the tab (default: the link's tab, else the first)")
        parser.add_argument("--name", help="the list's name (default: the spreadsheet's title)")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="read and match, report what would change, write nothing (not even the list)",
        )
        parser.add_argument(
            "--allow-mass-deactivation",
            action="store_true",
            help="allow removing more than 20%% of the list's entries",
        )

    def handle(self, *args, **options) -> None:
        sync_services.sync_runs_reap_stale()
        try:
            runs = services.list_import_start(
                link=options["link"],
                sheet=options["sheet"],
                name=options["name"],
                trigger=SyncRun.Trigger.CLI,
                dry_run=options["dry_run"],
                allow_mass_deactivation=options["allow_mass_deactivation"],
                claim=True,
            )
        except (NotASheetsLink, SheetsConfigurationError) as exc:
            raise CommandError(str(exc), returncode=1) from exc
        except sync_services.SyncAlreadyActive as busy:
            self.stderr.write(cli.busy_message(busy.run))
            sys.exit(2)
        self.stdout.write(_("Started %(runs)s") % {"runs": f"#{runs[0].pk} {runs[0].kind}"})
        done = cli.execute_and_report(self, runs)
        if any(r.status == SyncRun.Status.FAILED for r in done):
            raise CommandError(_("The list was not loaded."), returncode=1)
        if any(r.dry_run for r in done):
            self.stdout.write(_("Dry run: nothing was written."))
