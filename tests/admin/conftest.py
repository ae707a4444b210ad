"""Records for the admin pages: a few finished runs, humans, a direction with roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from directions.models import Direction, Participation
from integrations.models import SyncRun
from people.models import Human


@pytest.fixture
def humans(db):
    ivan = Human.objects.create(
        notion_page_id="1b2c3d4e-0000-4000-8000-000000000001",
        full_name="Иван Петров",
        telegram_username="ivan_petrov",
        telegram_user_id=100_000_001,
        status="Активен",
    )
    olga = Human.objects.create(
        notion_page_id="1b2c3d4e-0000-4000-8000-000000000002",
        full_name="Ольга Смирнова",
        telegram_username="olga_sm",
        status="Ушёл",
        is_active=False,
    )
    return ivan, olga


@pytest.fixture
def direction(humans):
    ivan, olga = humans
    kitchen = Direction.objects.create(
        notion_page_id="2b2c3d4e-0000-4000-8000-000000000001", name="Кухня", status="Активно"
    )
    Participation.objects.create(direction=kitchen, human=ivan, role="organizer")
    Participation.objects.create(direction=kitchen, human=olga, role="deputy")
    return kitchen


def make_run(**values) -> SyncRun:
    now = timezone.now()
    defaults = {
        "kind": "humans",
        "trigger": SyncRun.Trigger.TELEGRAM,
        "status": SyncRun.Status.SUCCEEDED,
        "started_at": now - timedelta(seconds=5),
        "finished_at": now - timedelta(seconds=2),
        "fetched": 120,
        "created": 3,
        "updated": 5,
        "unchanged": 111,
        "deactivated": 1,
    }
    defaults.update(values)
    return SyncRun.objects.create(**defaults)


@pytest.fixture
def runs(humans):
    ivan, _olga = humans
    ok = make_run(triggered_by=ivan)
    failed = make_run(
        kind="directions",
        trigger=SyncRun.Trigger.SCHEDULE,
        status=SyncRun.Status.FAILED,
        created=0,
        updated=0,
        deactivated=0,
        error="Notion не отвечает: 502 Bad Gateway\nпосле 5 попыток.",
        warnings=["Страница «без названия»: пропущена", "@@bad: не Telegram-ник"],
    )
    return ok, failed
