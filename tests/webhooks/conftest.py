"""The webhook path with real processes: gunicorn serving /notion/webhook/ and a qcluster
running the refreshes, against the Notion emulator that delivers signed webhooks
(sandbox/notion_webhooks.py) to gunicorn over HTTP."""

from __future__ import annotations

import socket
import sys
import urllib.request

import pytest
from django.conf import settings as django_settings

from integrations.models import NotionWebhookEvent, SyncRun
from sandbox.notion_emulator import NotionEmulator
from sandbox.notion_webhooks import WebhookSubscription
from sandbox.sample_data import INACTIVE_STATUSES, build_organisation
from tests.conftest import eventually, run_command
from tests.e2e.processes import ServiceProcess, database_url_for_subprocesses, service_env

NOTION_TOKEN = "secret_webhook_stack_notion"
KEY = "secret_webhook_stack_verification"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def notion_server():
    with NotionEmulator(token=NOTION_TOKEN) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def sample_org(notion_server):
    return build_organisation(notion_server, humans=150, directions=8, seed=29)


@pytest.fixture(scope="module")
def web_port():
    return free_port()


@pytest.fixture(scope="module")
def stack(
    django_db_setup, django_db_blocker, notion_server, sample_org, web_port, tmp_path_factory
):
    with django_db_blocker.unblock():
        database_url = database_url_for_subprocesses()
    env = service_env(
        database_url=database_url,
        telegram=None,
        notion=notion_server,
        org=sample_org,
        inactive_statuses=INACTIVE_STATUSES,
        LANGUAGE_CODE="en",
        # django-q2 signs task payloads with it: the test process queues refreshes too.
        SECRET_KEY=django_settings.SECRET_KEY,
        NOTION_WEBHOOK_VERIFICATION_TOKEN=KEY,
        NOTION_WEBHOOK_COALESCE_SECONDS=0.2,
        NOTION_WEBHOOK_COALESCE_MAX_SECONDS=2,
    )
    logs = tmp_path_factory.mktemp("webhook-stack")
    web = ServiceProcess(
        "web",
        [],
        env,
        logs,
        command=[
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{web_port}",
            "--workers",
            "2",
            "--access-logfile",
            "-",
        ],
    )
    worker = ServiceProcess("qcluster", ["qcluster"], env, logs)
    web.start()
    worker.start()
    try:
        eventually(lambda: _healthy(web_port), timeout=30, what="gunicorn answering")
        worker.wait_for_log("ready for work", timeout=30)
        yield {"web": web, "worker": worker, "env": env}
    finally:
        for process in (web, worker):
            process.stop(timeout=10)


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def webhooks(notion_server, web_port, stack):
    subscription = WebhookSubscription(
        notion_server,
        f"http://127.0.0.1:{web_port}/notion/webhook/",
        token=KEY,
        delay=0.1,
        retry_delays=(0.1, 0.2),
    )
    with subscription:
        yield subscription


@pytest.fixture
def mirrored(settings, notion_server, sample_org, webhooks, transactional_db):
    """Everyone mirrored by a first full sync (which also keeps the data sources' ids)."""
    settings.NOTION_TOKEN = NOTION_TOKEN
    settings.NOTION_API_BASE_URL = notion_server.base_url
    settings.NOTION_HUMANS_DATABASE_ID = sample_org.humans_database_id
    settings.NOTION_DIRECTIONS_DATABASE_ID = sample_org.directions_database_id
    settings.NOTION_INACTIVE_STATUSES = list(INACTIVE_STATUSES)
    settings.NOTION_MAX_RPS = 0
    result = run_command("sync", "all")
    assert result.code == 0, result.err
    webhooks.wait_idle()  # nothing from before this test is still on its way
    yield sample_org
    webhooks.wait_idle()


def refreshes() -> list[SyncRun]:
    return list(SyncRun.objects.filter(trigger="webhook").order_by("id"))


def settled() -> bool:
    """No event waiting and no run active."""
    return not (
        NotionWebhookEvent.objects.filter(status="pending").exists()
        or SyncRun.objects.filter(status__in=("queued", "running")).exists()
    )
