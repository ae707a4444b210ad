"""The web side facing anonymous callers: /healthz tells nothing, the login resists guessing."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.urls import reverse

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def broken_database(transactional_db, tmp_path):
    """The default connection pointed at a database that cannot be opened (then restored)."""
    original = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path / "no-such-dir" / "db.sqlite3")
    else:
        connection.settings_dict["NAME"] = "integrations_no_such_database_for_healthz"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)


def test_healthz_answers_ok(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_hides_the_database_error_and_logs_it(client, broken_database, caplog):
    with caplog.at_level(logging.ERROR, logger="config"):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error"}
    logged = "\n".join(r.getMessage() + str(r.exc_info and r.exc_info[1]) for r in caplog.records)
    assert "database" in logged.lower()
    assert ("unable to open" in logged) or ("no_such_database" in logged)


def login(client, password: str):
    return client.post(
        reverse("admin:login"),
        {"username": "admin", "password": password, "next": "/admin/"},
        REMOTE_ADDR="203.0.113.7",
    )


def test_admin_login_locks_out_after_repeated_failures(client, db, settings):
    User.objects.create_superuser("admin", password=PASSWORD)
    limit = settings.AXES_FAILURE_LIMIT

    failures = [login(client, f"guess-{n}") for n in range(limit)]
    after = login(client, PASSWORD)

    assert all(r.status_code == 200 for r in failures[:-1])  # the form again, with an error
    assert after.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still sent to the login page


def test_admin_login_works_below_the_limit(client, db, settings):
    User.objects.create_superuser("admin", password=PASSWORD)

    login(client, "one-wrong-guess")
    response = login(client, PASSWORD)

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
