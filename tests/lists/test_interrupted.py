"""Ctrl-C or SIGTERM while a Google request is in flight ends a lists run as it ends a Notion
sync: the run failed saying so, nothing registered or written, the lock free again."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from integrations.models import SyncRun
from lists.models import PeopleList


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_a_google_request_ends_the_run_and_writes_nothing(
    signum, code, google, import_list, db
):
    sheet = google.sheet([["ФИО", "Telegram"], ["Анна", "@anna_a"]])
    google.emulator.inject_fault(endpoint="values.get", status=200, delay=3.0)
    timer = threading.Timer(0.7, os.kill, (os.getpid(), signum))
    timer.start()
    try:
        result = import_list(sheet.spreadsheet_id)
    finally:
        timer.cancel()

    run = SyncRun.objects.get(kind="lists")
    assert result.code == code, result.out + result.err
    assert run.status == "failed"
    assert "Interrupted" in run.error
    assert not PeopleList.objects.exists()
    google.emulator.clear_faults()
    assert import_list(sheet.spreadsheet_id).code == 0  # the lock is free
