"""Admin pages through the Django test client: superusers see them, others are refused."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from integrations.models import SyncRun

from .conftest import make_run

CHANGELIST = "admin:integrations_syncrun_changelist"


def test_history_lists_runs_with_status_badges_and_the_chart(admin_client, runs):
    ok, failed = runs

    page = admin_client.get(reverse(CHANGELIST)).content.decode()

    assert f"#{ok.pk}" in page and f"#{failed.pk}" in page
    assert 'class="syncrun-badge syncrun-succeeded"' in page
    assert 'class="syncrun-badge syncrun-failed"' in page
    assert '<svg viewBox="0 0 900' in page
    assert page.count('class="syncrun-bar"') == 2
    assert "Иван Петров" in page


def test_chart_follows_the_list_filters(admin_client, runs):
    page = admin_client.get(reverse(CHANGELIST), {"status__exact": "failed"}).content.decode()

    assert page.count('class="syncrun-bar"') == 1


def test_history_without_finished_runs_has_no_chart(admin_client, db):
    make_run(status=SyncRun.Status.RUNNING, finished_at=None)

    page = admin_client.get(reverse(CHANGELIST)).content.decode()

    assert "syncrun-bar" not in page
    assert "syncrun-running" in page


def test_history_filters_and_search_render(admin_client, runs):
    ok, failed = runs
    url = reverse(CHANGELIST)

    for params in (
        {"kind": "directions"},
        {"trigger__exact": "schedule"},
        {"queued_at__gte": "2000-01-01 00:00:00+00:00"},
        {"q": "Петров"},
        {"o": "6"},  # ordered by duration (an expression)
    ):
        assert admin_client.get(url, params).status_code == 200, params
    by_number = admin_client.get(url, {"q": f"#{failed.pk}"}).content.decode()
    assert f"#{failed.pk}" in by_number and f">#{ok.pk}<" not in by_number


def test_run_detail_shows_error_and_every_warning_in_full(admin_client, runs):
    _ok, failed = runs

    response = admin_client.get(reverse("admin:integrations_syncrun_change", args=[failed.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Notion не отвечает: 502 Bad Gateway\nпосле 5 попыток." in page
    assert "Страница «без названия»: пропущена" in page
    assert "@@bad: не Telegram-ник" in page
    assert 'name="_save"' not in page  # read-only


def test_runs_cannot_be_added_changed_or_deleted(admin_client, runs):
    ok, _failed = runs

    assert admin_client.get(reverse("admin:integrations_syncrun_add")).status_code == 403
    delete = reverse("admin:integrations_syncrun_delete", args=[ok.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert SyncRun.objects.filter(pk=ok.pk).exists()


def test_run_again_queues_a_run_through_the_service(
    admin_client, runs, django_capture_on_commit_callbacks
):
    ok, _failed = runs

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(
            reverse(CHANGELIST),
            {"action": "run_again", "_selected_action": [ok.pk]},
            follow=True,
        )

    new = SyncRun.objects.exclude(pk__in=[r.pk for r in runs]).get()
    assert (new.kind, new.trigger, new.status) == ("humans", "admin", "queued")
    assert len(callbacks) == 1  # handed to the django-q2 queue after commit
    assert f"#{new.pk}" in response.content.decode()


def test_run_again_refuses_a_kind_that_is_active(admin_client, runs):
    ok, _failed = runs
    active = make_run(status=SyncRun.Status.RUNNING, finished_at=None)

    response = admin_client.post(
        reverse(CHANGELIST), {"action": "run_again", "_selected_action": [ok.pk]}, follow=True
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert f"#{active.pk}" in page
    assert 'class="warning"' in page
    assert SyncRun.objects.filter(status__in=["queued", "running"]).count() == 1


def test_run_again_button_on_the_detail_page_queues_a_run(admin_client, runs):
    _ok, failed = runs
    detail = admin_client.get(reverse("admin:integrations_syncrun_change", args=[failed.pk]))
    url = reverse("admin:integrations_syncrun_run_again", args=[failed.pk])
    assert url in detail.content.decode()

    response = admin_client.post(url)

    new = SyncRun.objects.get(status="queued")
    assert new.kind == "directions" and new.trigger == "admin"
    assert response["Location"] == reverse("admin:integrations_syncrun_change", args=[new.pk])


def test_start_buttons_queue_every_kind_for_all(admin_client, db):
    page = admin_client.get(reverse(CHANGELIST)).content.decode()
    url = reverse("admin:integrations_syncrun_start", args=["all"])
    assert url in page

    admin_client.post(url)

    assert sorted(SyncRun.objects.values_list("kind", flat=True)) == ["directions", "humans"]


def test_humans_are_read_only_with_notion_link_and_directions_inline(admin_client, direction):
    ivan = direction.participations.get(role="organizer").human

    page = admin_client.get(reverse("admin:people_human_change", args=[ivan.pk])).content.decode()

    assert ivan.notion_url in page
    assert "Кухня" in page  # participation inline
    assert 'name="_save"' not in page
    assert 'name="full_name"' not in page


def test_humans_list_filters_and_handle_search(admin_client, humans):
    url = reverse("admin:people_human_changelist")

    inactive = admin_client.get(url, {"active": "no"}).content.decode()
    by_handle = admin_client.get(url, {"q": "@Ivan_Petrov"}).content.decode()
    by_link = admin_client.get(url, {"q": "https://t.me/olga_sm"}).content.decode()

    assert "Ольга Смирнова" in inactive and "Иван Петров" not in inactive
    assert "Иван Петров" in by_handle and "Ольга Смирнова" not in by_handle
    assert "Ольга Смирнова" in by_link


def test_directions_show_roles_inline_and_search_by_organiser_handle(admin_client, direction):
    detail = admin_client.get(reverse("admin:directions_direction_change", args=[direction.pk]))
    found = admin_client.get(
        reverse("admin:directions_direction_changelist"), {"q": "@ivan_petrov"}
    )

    page = detail.content.decode()
    assert direction.notion_url in page
    assert "Иван Петров" in page and "Ольга Смирнова" in page
    assert "Кухня" in found.content.decode()
    assert (
        admin_client.get(
            reverse("admin:directions_direction_changelist"), {"active": "yes"}
        ).status_code
        == 200
    )


def test_forget_telegram_id_action(admin_client, humans):
    ivan, _olga = humans

    admin_client.post(
        reverse("admin:people_human_changelist"),
        {"action": "forget_telegram_id", "_selected_action": [ivan.pk]},
    )

    ivan.refresh_from_db()
    assert ivan.telegram_user_id is None


@pytest.mark.parametrize(
    "name,args",
    [
        (CHANGELIST, []),
        ("admin:people_human_changelist", []),
        ("admin:directions_direction_changelist", []),
        ("admin:index", []),
    ],
)
def test_anonymous_and_non_staff_users_are_sent_to_login(client, db, name, args):
    url = reverse(name, args=args)
    anonymous = client.get(url)
    User.objects.create_user("member", password="pw-12345678")
    client.force_login(User.objects.get(username="member"))
    member = client.get(url)

    for response in (anonymous, member):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_non_staff_cannot_start_a_sync(client, db):
    User.objects.create_user("member", password="pw-12345678")
    client.force_login(User.objects.get(username="member"))

    client.post(reverse("admin:integrations_syncrun_start", args=["humans"]))

    assert not SyncRun.objects.exists()


def test_staff_without_permissions_is_refused(client, runs):
    User.objects.create_user("helper", password="pw-12345678", is_staff=True)
    client.force_login(User.objects.get(username="helper"))

    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert (
        client.post(reverse("admin:integrations_syncrun_start", args=["humans"])).status_code == 403
    )
    assert SyncRun.objects.count() == 2


def test_staff_with_view_permission_sees_history_but_cannot_start_runs(client, runs):
    helper = User.objects.create_user("helper", password="pw-12345678", is_staff=True)
    helper.user_permissions.add(Permission.objects.get(codename="view_syncrun"))
    client.force_login(User.objects.get(username="helper"))

    page = client.get(reverse(CHANGELIST)).content.decode()

    assert "syncrun-bar" in page
    assert not re.search(r'value="run_again"', page)
    assert "syncrun-start-button" not in page
