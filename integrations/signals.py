"""Signals other apps (the bot's notifier) listen to; integrations never imports them.

- `sync_run_progress(sender=SyncRun, run, progress)`: during a run, at most every
  `SYNC_PROGRESS_SECONDS` and at each phase change, in the process executing the run.
- `sync_run_finished(sender=SyncRun, run)`: after any run ends (succeeded, failed, skipped,
  or failed by the stale-run reaper), in the process that ended it, after commit.
- `notion_schema_problems(sender, kind, problems)`: a schema webhook event was checked and
  the kind's mapping no longer fits Notion (`problems`: readable lines), in the worker.
"""

from django.dispatch import Signal

sync_run_progress = Signal()
sync_run_finished = Signal()
notion_schema_problems = Signal()
