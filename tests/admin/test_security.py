"""The web side facing anonymous callers: /healthz tells nothing, the login resists guessing."""

from __future__ import annotations

import logging

import pytest
from axes.models import AccessAttempt
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
    limit = settings.AXES_ADDRESS_FAILURE_LIMIT

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


# --- behind a reverse proxy (TRUSTED_PROXY_COUNT) ----------------------------------------
PROXY = "10.0.0.2"  # every request reaches the web app from the reverse proxy
ATTACKER, ADMIN = "198.51.100.66", "203.0.113.7"


def login_via_proxy(client, password: str, forwarded_for: str):
    """A login as nginx passes it on: X-Forwarded-For ends with the address nginx saw."""
    return client.post(
        reverse("admin:login"),
        {"username": "admin", "password": password, "next": "/admin/"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.fixture
def behind_one_proxy(db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    User.objects.create_superuser("admin", password=PASSWORD)
    return settings


def test_behind_a_proxy_each_client_has_its_own_lock(client, behind_one_proxy):
    for n in range(behind_one_proxy.AXES_ADDRESS_FAILURE_LIMIT):
        login_via_proxy(client, f"guess-{n}", ATTACKER)

    locked = login_via_proxy(client, PASSWORD, ATTACKER)
    admin = login_via_proxy(client, PASSWORD, ADMIN)

    assert locked.status_code == 429
    assert admin.status_code == 302


def test_a_forged_x_forwarded_for_does_not_give_a_fresh_lock(client, behind_one_proxy):
    """The attacker writes a new address in X-Forwarded-For each time; nginx appends the real
    one, and that is the one counted."""
    codes = [
        login_via_proxy(client, f"guess-{n}", f"192.0.2.{n}, {ATTACKER}").status_code
        for n in range(behind_one_proxy.AXES_ADDRESS_FAILURE_LIMIT + 1)
    ]

    assert codes[-1] == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_without_a_proxy_the_forwarded_header_is_ignored(client, db, settings):
    """TRUSTED_PROXY_COUNT=0 (no proxy): a client's X-Forwarded-For is not believed."""
    User.objects.create_superuser("admin", password=PASSWORD)
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT):
        client.post(
            reverse("admin:login"),
            {"username": "admin", "password": f"guess-{n}", "next": "/admin/"},
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )

    counted = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    after = login(client, PASSWORD)  # the admin, from ADMIN's own address

    assert counted == {ATTACKER}
    assert after.status_code == 302


def test_guesses_from_elsewhere_do_not_lock_the_admin_out(client, behind_one_proxy):
    """Five wrong guesses from each of a few addresses: the admin, from another one, is in."""
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        for n in range(behind_one_proxy.AXES_ADDRESS_FAILURE_LIMIT):
            login_via_proxy(client, f"guess-{n}", address)

    assert login_via_proxy(client, PASSWORD, ADMIN).status_code == 302


def test_many_addresses_guessing_one_username_hit_its_cap(client, behind_one_proxy):
    """A guesser with many addresses is stopped by the per-username cap (higher than the
    per-address limit), for every address."""
    behind_one_proxy.AXES_USERNAME_FAILURE_LIMIT = 12
    below_the_cap = [
        login_via_proxy(client, f"guess-{n}", f"198.51.100.{n}").status_code for n in range(11)
    ]
    login_via_proxy(client, "guess-11", "198.51.100.11")  # the 12th: the cap
    admin = login_via_proxy(client, PASSWORD, ADMIN)

    assert below_the_cap == [200] * 11  # the form again each time: no lock before the cap
    assert admin.status_code == 429  # then locked, from every address
