"""The run lifecycle through its real doors: `manage.py sync` processes, a real `qcluster`
firing the schedules as django-q2 does, the reaper task, the Notion emulator over HTTP."""

from __future__ import annotations

import pytest

from integrations.models import SyncRun
from sandbox.notion_emulator import NotionEmulator
from sandbox.sample_data import INACTIVE_STATUSES, build_organisation
from tests.e2e.processes import ServiceProcess, database_url_for_subprocesses, service_env

NOTION_TOKEN = "secret_lifecycle_token"


@pytest.fixture(scope="module")
def notion_server():
    with NotionEmulator(token=NOTION_TOKEN) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def sample_org(notion_server):
    return build_organisation(notion_server, humans=60, directions=8, seed=17)


@pytest.fixture(autouse=True)
def _reset_notion(request):
    yield
    if "notion_server" in request.fixturenames:
        server = request.getfixturevalue("notion_server")
        server.clear_faults()
        server.latency = 0.0


@pytest.fixture
def wired(settings, notion_server, sample_org):
    """Settings of this process pointing at the module's emulator and organisation."""
    settings.NOTION_TOKEN = NOTION_TOKEN
    settings.NOTION_API_BASE_URL = notion_server.base_url
    settings.NOTION_HUMANS_DATABASE_ID = sample_org.humans_database_id
    settings.NOTION_DIRECTIONS_DATABASE_ID = sample_org.directions_database_id
    settings.NOTION_INACTIVE_STATUSES = list(INACTIVE_STATUSES)
    settings.NOTION_MAX_RPS = 0
    settings.NOTION_TIMEOUT = 5.0
    settings.NOTION_RETRY_BASE_DELAY = 0.02
    return settings


@pytest.fixture(scope="module")
def lifecycle_env(django_db_setup, django_db_blocker, notion_server, sample_org):
    with django_db_blocker.unblock():
        database_url = database_url_for_subprocesses()
    return service_env(
        database_url=database_url,
        telegram=None,
        notion=notion_server,
        org=sample_org,
        inactive_statuses=INACTIVE_STATUSES,
        LANGUAGE_CODE="en",
        SYNC_HEARTBEAT_SECONDS=0.2,
    )


@pytest.fixture(scope="module")
def qcluster(lifecycle_env, tmp_path_factory):
    """A real `manage.py qcluster` for the module; restarted by a test that stops it."""
    holder = {}

    def start() -> ServiceProcess:
        process = ServiceProcess(
            "qcluster", ["qcluster"], lifecycle_env, tmp_path_factory.mktemp("qcluster")
        )
        process.start()
        process.wait_for_log("ready for work", timeout=30)
        holder["process"] = process
        return process

    class Cluster:
        @property
        def process(self) -> ServiceProcess:
            if not holder["process"].alive:
                start()
            return holder["process"]

        def log(self) -> str:
            return holder["process"].log()

    start()
    try:
        yield Cluster()
    finally:
        holder["process"].stop(timeout=15)


def runs_of(kind: str) -> list[SyncRun]:
    return list(SyncRun.objects.filter(kind=kind).order_by("id"))
