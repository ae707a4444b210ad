"""The integrations app's services for the doors (bot, CLI, admin, schedules) and other apps.

Every door asks for runs, queues them or executes them through these names; how a run lives
and ends is `integrations/runs/` (the state machine in `runs/lifecycle.py`).
"""

from __future__ import annotations

from integrations.runs.executor import ProgressCallback, sync_runs_execute
from integrations.runs.interrupt import RunInterrupted
from integrations.runs.lifecycle import (
    IllegalTransition,
    SyncAlreadyActive,
    sync_run_record_skipped,
    sync_run_start,
    sync_runs_create,
)
from integrations.runs.queue import sync_runs_enqueue
from integrations.runs.reaper import sync_runs_reap_stale
from integrations.runs.schedule import scheduled_sync_run
from integrations.selectors import sync_run_active, sync_run_last_success

#: the name the doors have always used
sync_run_reap_stale = sync_runs_reap_stale

__all__ = [
    "IllegalTransition",
    "ProgressCallback",
    "RunInterrupted",
    "SyncAlreadyActive",
    "scheduled_sync_run",
    "sync_run_active",
    "sync_run_last_success",
    "sync_run_reap_stale",
    "sync_run_record_skipped",
    "sync_run_start",
    "sync_runs_create",
    "sync_runs_enqueue",
    "sync_runs_execute",
    "sync_runs_reap_stale",
]
