"""Defect 5: NOTION_MAX_RPS is the ceiling for the whole integration, every process together.

Two `manage.py sync` processes (humans and directions, as a schedule and a member's command
would run them side by side) against an emulator that enforces Notion's 3 requests/s.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from integrations.models import SyncRun
from sandbox.notion_emulator import NotionEmulator
from sandbox.sample_data import build_organisation
from tests.e2e.processes import BASE_DIR, database_url_for_subprocesses, service_env

pytestmark = pytest.mark.e2e


def test_two_processes_together_stay_under_notions_limit(transactional_db):
    with NotionEmulator(token="secret_limited", rate_limit_rps=3) as notion:
        org = build_organisation(notion, humans=1000, directions=300, seed=23)
        notion.prerender()
        env = service_env(
            database_url=database_url_for_subprocesses(),
            telegram=None,
            notion=notion,
            org=org,
            NOTION_MAX_RPS="2.5",
            NOTION_MAX_RETRIES="8",
        )
        processes = [
            subprocess.Popen(
                [sys.executable, "manage.py", "sync", kind],
                cwd=BASE_DIR,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for kind in ("humans", "directions")
        ]
        try:
            results = [p.communicate(timeout=120) for p in processes]
        finally:
            for p in processes:
                if p.poll() is None:
                    p.kill()
        refused = notion.rate_limited_count
        served = sum(notion.request_counts.values())

    assert [p.returncode for p in processes] == [0, 0], results
    assert SyncRun.objects.filter(status="succeeded").count() == 2
    assert refused == 0, f"{refused} of {served} requests were refused with 429"
