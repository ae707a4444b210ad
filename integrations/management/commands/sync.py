"""`manage.py sync {humans,directions,lists,all}`: run a sync now, in this process.

Exit codes: 0 success, 1 failure, 2 another run of that kind is active.
"""

from __future__ import annotations

import sys

from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from integrations import cli, services
from integrations.models import SyncRun
from integrations.sync import registry


class Command(BaseCommand):
    help = "Sync Notion data into the database now."
    # The system checks of every tag but `urls`: a sync serves no URL, and checking them
    # imports the URLconf and through it every admin module (0.1 s of each run). Checks
    # registered without a tag do not run here either (today axes' AXES_*_CALLABLE check and
    # auth's middleware check, neither about a sync). `migrate` (the release step),
    # `runserver`, `qcluster` and `manage.py check` still run them all.
    requires_system_checks = [
        tag for name, tag in vars(Tags).items() if not name.startswith("_") and tag != Tags.urls
    ]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=registry.choices(), help="what to sync")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--full",
            dest="mode",
            action="store_const",
            const=SyncRun.Mode.FULL,
            help="fetch every page and deactivate what is gone (default)",
        )
        mode.add_argument(
            "--incremental",
            dest="mode",
            action="store_const",
            const=SyncRun.Mode.INCREMENTAL,
            help="fetch only pages edited since the last successful run",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change, write nothing"
        )
        parser.add_argument(
            "--allow-mass-deactivation",
            action="store_true",
            help="allow deactivating more than 20%% of active records",
        )

    def handle(self, *args, **options) -> None:
        # This door may run where no worker (and so no reaper schedule) does: release the
        # locks of runs whose process died before asking for a new one.
        services.sync_runs_reap_stale()
        try:
            runs = services.sync_runs_create(
                kind=options["kind"],
                trigger=SyncRun.Trigger.CLI,
                mode=options["mode"] or SyncRun.Mode.FULL,
                dry_run=options["dry_run"],
                allow_mass_deactivation=options["allow_mass_deactivation"],
                claim=True,
            )
        except services.SyncAlreadyActive as busy:
            self.stderr.write(cli.busy_message(busy.run))
            sys.exit(2)
        ids = ", ".join(f"#{r.pk} {r.kind}" for r in runs)
        self.stdout.write(_("Started %(runs)s") % {"runs": ids})
        done = cli.execute_and_report(self, runs)
        if any(r.status == SyncRun.Status.FAILED for r in done):
            raise CommandError(_("Sync failed."), returncode=1)
        if any(r.dry_run for r in done):
            self.stdout.write(_("Dry run: nothing was written."))
