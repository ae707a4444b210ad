"""`manage.py sync {humans,directions,all}`: run a sync now, in this process.

Exit codes: 0 success, 1 failure, 2 another run of that kind is active.
"""

from __future__ import annotations

import logging
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations import services
from integrations.models import SyncRun
from integrations.sync import registry
from integrations.sync.base import Progress
from integrations.text import format_duration, run_table


class Command(BaseCommand):
    help = "Sync Notion data into the database now."

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
        tty = sys.stdout.isatty()
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
            run = busy.run
            who = run.triggered_by or run.get_trigger_display()
            self.stderr.write(
                _(
                    "Another %(kind)s sync is active: #%(id)s (%(status)s, started by %(who)s at "
                    "%(when)s). Wait for it to finish."
                )
                % {
                    "kind": run.kind,
                    "id": run.pk,
                    "status": run.get_status_display(),
                    "who": who,
                    "when": timezone.localtime(run.started_at or run.queued_at).strftime(
                        "%Y-%m-%d %H:%M:%S"
                    ),
                }
            )
            sys.exit(2)
        ids = ", ".join(f"#{r.pk} {r.kind}" for r in runs)
        self.stdout.write(_("Started %(runs)s") % {"runs": ids})

        def on_progress(run: SyncRun, progress: Progress) -> None:
            if tty:
                phase = _("writing") if progress.phase == "applying" else _("fetching")
                self.stdout.write(
                    f"\r\033[K#{run.pk} {run.kind}: {phase}, "
                    + _("%(n)d pages") % {"n": progress.fetched}
                    + f", {format_duration(progress.elapsed)}   ",
                    ending="",
                )
                self.stdout.flush()

        # The summary below says why a run failed; the executor's log line would repeat it.
        executor_log = logging.getLogger("integrations.runs.executor")
        level = executor_log.level
        executor_log.setLevel(logging.ERROR)
        try:
            done = services.sync_runs_execute(runs=runs, on_progress=on_progress)
        except (KeyboardInterrupt, services.RunInterrupted) as exc:
            if tty:
                self.stdout.write("")
            for run in runs:
                run.refresh_from_db()
            self.stdout.write(run_table(runs))
            self.stderr.write(
                _(
                    "Stopped (%(what)s): the run that was going wrote nothing; runs shown as "
                    "succeeded had already written their changes."
                )
                % {"what": getattr(exc, "signal_name", "Ctrl-C")}
            )
            raise SystemExit(130 if isinstance(exc, KeyboardInterrupt) else exc.code) from None
        finally:
            executor_log.setLevel(level)
        if tty:
            self.stdout.write("")
        self.stdout.write(run_table(done))
        for run in done:
            if run.warnings:
                self.stdout.write(
                    _("#%(id)s warnings (%(n)d):") % {"id": run.pk, "n": len(run.warnings)}
                )
                for warning in run.warnings[:20]:
                    self.stdout.write(f"  - {warning}")
                if len(run.warnings) > 20:
                    self.stdout.write(
                        "  " + _("… %(n)d more in the admin.") % {"n": len(run.warnings) - 20}
                    )
            if run.error:
                self.stderr.write(f"#{run.pk} {run.kind}: {run.error}")
        if any(r.status == SyncRun.Status.FAILED for r in done):
            raise CommandError(_("Sync failed."), returncode=1)
        if any(r.dry_run for r in done):
            self.stdout.write(_("Dry run: nothing was written."))
