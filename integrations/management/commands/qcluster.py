"""`manage.py qcluster`: django-q2's worker cluster, which ends its sync runs when stopped.

django-q2's own command (this app comes before `django_q` in INSTALLED_APPS, so this one
is found first), with one difference: when the cluster is asked to stop (SIGTERM from
`docker stop`, systemd, `make run`; Ctrl-C), the worker processes executing sync runs are
told first. Each ends its runs at once (the running one failed and rolled back, the ones
queued behind it skipped: `integrations/runs/interrupt.py`) and exits; the cluster waits
for them, at most SYNC_WORKER_STOP_SECONDS, then stops the rest as django-q2 does.

Without it, a stopped cluster either waits for its runs to finish (longer than any stop
grace period, after which the container is killed) or its workers die with the signal:
both leave `running` rows that only the reaper ends, minutes later.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from pathlib import Path

from django.conf import settings
from django_q.cluster import Cluster
from django_q.management.commands.qcluster import Command as QClusterCommand

from config.security import refuse_unsafe_secret_key_in_command
from integrations.models import ACTIVE_STATUSES, SyncRun

logger = logging.getLogger("integrations.runs")


class Command(QClusterCommand):
    help = "Start the django-q2 cluster (syncs, schedules, notifications); ends its runs on stop."

    def handle(self, *args, **options) -> None:
        # The SECRET_KEY signs the task payloads: a known one would run anyone's code here.
        refuse_unsafe_secret_key_in_command()
        if options.get("cluster_name"):
            os.environ["Q_CLUSTER_NAME"] = options["cluster_name"]
        # Cluster() installs django-q2's own SIGTERM/SIGINT handlers, which stop the cluster
        # gracefully: the workers finish their tasks, a long run included. Ours replace
        # them before start(): a stop that arrives while the cluster starts (its workers
        # may already be executing a run) ends the runs like any other stop.
        cluster = Cluster()
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, frame: stop.set())
        if options.get("run_once"):
            stop.set()
        cluster.start()
        while not stop.wait(0.5):
            if not cluster.sentinel.is_alive():  # killed with its process group
                break
        end_busy_workers(sentinel_pid=cluster.sentinel.pid)
        cluster.stop()


def end_busy_workers(*, sentinel_pid: int) -> None:
    """SIGTERM the workers of this cluster that execute runs, and wait for them to exit."""
    busy = _busy_pids()
    if not busy:
        return
    ours = _children(sentinel_pid)
    for pid in busy & ours:  # the others got the signal with their process group
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    logger.info("Stopping: waiting for the workers of runs %s to end them", sorted(busy))
    deadline = time.monotonic() + settings.SYNC_WORKER_STOP_SECONDS
    while any(_alive(pid) for pid in busy) and time.monotonic() < deadline:
        time.sleep(0.1)


def _busy_pids() -> set[int]:
    """Processes of this host executing runs (from the runs' claims: host:pid:nonce)."""
    host = socket.gethostname()
    pids = set()
    for claimed_by in SyncRun.objects.filter(
        status__in=ACTIVE_STATUSES, claimed_by__startswith=f"{host[:80]}:"
    ).values_list("claimed_by", flat=True):
        parts = claimed_by.split(":")  # host:pid:nonce (lifecycle.executor_id)
        pid = parts[1] if len(parts) > 1 else ""
        if pid.isdigit() and int(pid) != os.getpid():
            pids.add(int(pid))
    return {pid for pid in pids if _alive(pid) and _is_worker(pid)}


def _children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(child) for child in text.split()}


def _is_worker(pid: int) -> bool:
    try:
        return b"qcluster" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited; nobody reaped it yet
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
