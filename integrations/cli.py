"""What the command-line doors (`sync`, `import_list`) print about runs, in one place: the
refusal naming the active run, the progress line on a terminal, the outcome."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.models import SyncRun
from integrations.sync import registry
from integrations.sync.base import Progress
from integrations.text import format_duration, run_table

MAX_WARNINGS_SHOWN = 20


def busy_message(run: SyncRun) -> str:
    who = run.triggered_by or run.get_trigger_display()
    return _(
        "Another %(kind)s sync is active: #%(id)s (%(status)s, started by %(who)s at "
        "%(when)s). Wait for it to finish."
    ) % {
        "kind": run.kind,
        "id": run.pk,
        "status": run.get_status_display(),
        "who": who,
        "when": timezone.localtime(run.started_at or run.queued_at).strftime("%Y-%m-%d %H:%M:%S"),
    }


def progress_printer(command: BaseCommand, *, tty: bool) -> Callable[[SyncRun, Progress], None]:
    """The progress line, rewritten in place on a terminal; nothing elsewhere (cron, pipes)."""

    def on_progress(run: SyncRun, progress: Progress) -> None:
        if not tty:
            return
        kind = registry.get(run.kind)
        if kind.progress_text is not None:
            state = kind.progress_text(progress.phase, progress.fetched)
        else:
            phase = _("writing") if progress.phase == "applying" else _("fetching")
            state = f"{phase}, " + _("%(n)d pages") % {"n": progress.fetched}
        command.stdout.write(
            f"\r\033[K#{run.pk} {run.kind}: {state}, {format_duration(progress.elapsed)}   ",
            ending="",
        )
        command.stdout.flush()

    return on_progress


@contextmanager
def executor_log_quiet() -> Iterator[None]:
    """The summary says why a run failed; the executor's log line would repeat it."""
    executor_log = logging.getLogger("integrations.runs.executor")
    level = executor_log.level
    executor_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        executor_log.setLevel(level)


def execute_and_report(command: BaseCommand, runs: list[SyncRun]) -> list[SyncRun]:
    """Execute the runs here, with the progress line on a terminal, then print the outcome.
    Ctrl-C / SIGTERM ends them (the running one wrote nothing), prints where they were, and
    exits (130 for Ctrl-C, 143 for SIGTERM) without a traceback."""
    from integrations import services

    tty = command.stdout.isatty()
    try:
        with executor_log_quiet():
            done = services.sync_runs_execute(
                runs=runs, on_progress=progress_printer(command, tty=tty)
            )
    except (KeyboardInterrupt, services.RunInterrupted) as exc:
        if tty:
            command.stdout.write("")
        for run in runs:
            run.refresh_from_db()
        command.stdout.write(run_table(runs))
        command.stderr.write(
            _(
                "Stopped (%(what)s): the run that was going wrote nothing; runs shown as "
                "succeeded had already written their changes."
            )
            % {"what": getattr(exc, "signal_name", "Ctrl-C")}
        )
        raise SystemExit(130 if isinstance(exc, KeyboardInterrupt) else exc.code) from None
    if tty:
        command.stdout.write("")
    write_outcome(command, done)
    return done


def write_outcome(command: BaseCommand, runs: list[SyncRun]) -> None:
    """The run table, what each kind has to say about its run, warnings, errors."""
    command.stdout.write(run_table(runs))
    for run in runs:
        kind = registry.get(run.kind) if run.kind in registry.names() else None
        if kind is not None and kind.summarize is not None and run.status == "succeeded":
            for line in kind.summarize(run):
                command.stdout.write(f"  {line}")
        if run.warnings:
            command.stdout.write(
                _("#%(id)s warnings (%(n)d):") % {"id": run.pk, "n": len(run.warnings)}
            )
            for warning in run.warnings[:MAX_WARNINGS_SHOWN]:
                command.stdout.write(f"  - {warning}")
            if len(run.warnings) > MAX_WARNINGS_SHOWN:
                command.stdout.write(
                    "  "
                    + _("… %(n)d more in the admin.")
                    % {"n": len(run.warnings) - MAX_WARNINGS_SHOWN}
                )
        if run.error:
            command.stderr.write(f"#{run.pk} {run.kind}: {run.error}")
