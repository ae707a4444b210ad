"""The life of a sync run: who moves a `SyncRun` from which state to which, under which lock,
and what happens when a process dies at any point.

    queued ──claim──> queued (claimed) ──start──> running ──succeed──> succeeded
       │                    │                        └────fail─────> failed
       └──fail / skip───────┴──fail / skip──> failed / skipped

Modules, one job each:
- `lifecycle`: the state machine. One service per transition; each checks the current state
  in the database (`UPDATE … WHERE status IN (…)`) and raises `IllegalTransition` when the
  run is elsewhere. Creating an active run takes the kind's lock (a partial unique index);
  ending it releases the lock.
- `executor`: executes a chain of runs (one kind, or `all` in registry order) in this
  process: claims them, keeps a heartbeat, runs each kind, skips the rest after a failure,
  and turns SIGTERM into a failed run.
- `heartbeat`: the thread that proves an executor is alive, for every run of its chain.
- `reaper`: fails runs whose executor is gone, and only those.
- `schedule`: what a schedule tick runs (incremental, or full when a full run is due).
- `queue`: hands runs to the django-q2 worker.

Locks and who holds them:
- The kind's lock: the row of its queued-or-running run (`syncrun_one_active_per_kind`),
  from creation to the final transition. Nothing else blocks a second run of a kind.
- The run's row lock (PostgreSQL) / the write lock (SQLite): held by the executor's apply
  transaction from `sync_run_lock_for_apply` to its commit, which also records the
  success. The writes and the outcome commit together: a run that wrote is `succeeded`; a
  run failed from outside before its apply writes nothing (the lock-for-apply finds it
  ended). The reaper skips locked rows (`SKIP LOCKED`; on SQLite it skips its round while
  another connection writes), so a run busy in its apply is never reaped.

When a process dies:
- before the runs are claimed (no worker running): the reaper fails them after
  SYNC_QUEUED_TIMEOUT_SECONDS ("is the qcluster process running?");
- after the claim, at any line: the heartbeat stops for every run of the chain; the reaper
  fails them after SYNC_STALE_AFTER_SECONDS; an open apply transaction dies with its
  connection, so nothing of it is written;
- SIGTERM (a worker or `manage.py sync` asked to stop): the executor fails the running run
  and skips the rest at once; the apply transaction, if open, is rolled back.
"""
