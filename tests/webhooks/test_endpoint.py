"""`POST /notion/webhook/` through Django's test client: the handshake, the key, signatures,
bad input. (The whole path with real web and worker processes: test_refresh.py.)"""

from __future__ import annotations

import json
import uuid

import pytest
from django.contrib.auth import get_user_model

from integrations.models import (
    NotionSource,
    NotionWebhookEvent,
    NotionWebhookHandshake,
    WebhookTally,
)
from integrations.webhooks.signature import sign

URL = "/notion/webhook/"
KEY = "secret_notion_webhook_key"


def event(**overrides) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "timestamp": "2026-12-01T09:00:00.000Z",
        "workspace_id": str(uuid.uuid4()),
        "subscription_id": str(uuid.uuid4()),
        "integration_id": str(uuid.uuid4()),
        "type": "page.properties_updated",
        "authors": [{"id": str(uuid.uuid4()), "type": "person"}],
        "attempt_number": 1,
        "api_version": "2025-09-03",
        "entity": {"id": str(uuid.uuid4()), "type": "page"},
        "data": {
            "parent": {"id": str(uuid.uuid4()), "type": "database", "data_source_id": "ds-1"},
            "updated_properties": ["title"],
        },
    }
    body.update(overrides)
    return body


def post(client, payload, *, key: str | None = KEY, signature: str | None = None, raw=None):
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    headers = {}
    if signature is not None:
        headers["HTTP_X_NOTION_SIGNATURE"] = signature
    elif key is not None:
        headers["HTTP_X_NOTION_SIGNATURE"] = sign(body, key)
    return client.post(URL, data=body, content_type="application/json", **headers)


@pytest.fixture
def keyed(settings):
    settings.NOTION_WEBHOOK_VERIFICATION_TOKEN = KEY
    return settings


@pytest.fixture
def humans_source(db):
    return NotionSource.objects.create(
        kind="humans", database_id="db-1", data_source_id="ds-1", resolved_at="2026-12-01T00:00Z"
    )


def refused() -> int:
    tally = WebhookTally.objects.filter(name="refused").first()
    return tally.count if tally else 0


def test_handshake_is_acknowledged_and_does_not_become_the_key(client, settings, db):
    settings.NOTION_WEBHOOK_VERIFICATION_TOKEN = ""

    answer = client.post(
        URL, data={"verification_token": "secret_from_notion"}, content_type="application/json"
    )
    signed_with_it = post(client, event(), key="secret_from_notion")

    assert answer.status_code == 200
    assert NotionWebhookHandshake.objects.get().token == "secret_from_notion"
    assert signed_with_it.status_code == 403  # nobody confirmed it
    assert not NotionWebhookEvent.objects.exists()


def test_a_superuser_confirms_the_handshake_in_the_admin(client, settings, humans_source):
    settings.NOTION_WEBHOOK_VERIFICATION_TOKEN = ""
    client.post(URL, data={"verification_token": "secret_real"}, content_type="application/json")
    handshake = NotionWebhookHandshake.objects.get()
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-12345678")
    client.force_login(admin)

    answer = client.post(
        "/admin/integrations/notionwebhookhandshake/",
        {"action": "confirm", "_selected_action": [handshake.pk]},
    )
    client.logout()
    accepted = post(client, event(), key="secret_real")

    assert answer.status_code == 302
    assert accepted.status_code == 200, accepted.content
    assert NotionWebhookEvent.objects.get().kind == "humans"


def test_forged_handshake_does_not_change_the_key(client, keyed, humans_source):
    client.post(URL, data={"verification_token": "secret_forged"}, content_type="application/json")

    forged = post(client, event(), key="secret_forged")
    genuine = post(client, event(), key=KEY)

    assert forged.status_code == 401
    assert genuine.status_code == 200
    assert NotionWebhookEvent.objects.count() == 1


@pytest.mark.parametrize("signature", [None, "", "sha256=00ff", "md5=abc"])
def test_missing_or_wrong_signature_is_refused_and_changes_nothing(
    client, keyed, humans_source, signature
):
    answer = post(client, event(), key=None, signature=signature)

    assert answer.status_code == 401
    assert not NotionWebhookEvent.objects.exists()
    assert refused() == 1


def test_the_raw_bytes_are_signed_not_re_serialised_json(client, keyed, humans_source):
    payload = event(workspace_name="Организация «Ромашка»")
    raw = json.dumps(payload, ensure_ascii=False, indent=1).encode()

    answer = post(client, None, raw=raw)
    reserialised = post(client, None, raw=raw, signature=sign(json.dumps(payload).encode(), KEY))

    assert answer.status_code == 200
    assert reserialised.status_code == 401


def test_duplicate_delivery_is_one_event(client, keyed, humans_source):
    payload = event()

    first, second = post(client, payload), post(client, {**payload, "attempt_number": 2})

    assert first.json()["event"] == "pending"
    assert second.json()["event"] == "duplicate"
    assert NotionWebhookEvent.objects.count() == 1


def test_event_of_a_data_source_we_do_not_sync_is_ignored_and_counted(client, keyed, humans_source):
    other = event(data={"parent": {"id": "x", "type": "database", "data_source_id": "ds-other"}})

    answer = post(client, other)

    assert answer.json()["event"] == "ignored"
    stored = NotionWebhookEvent.objects.get()
    assert (stored.status, stored.kind) == ("ignored", "")
    assert "ds-other" in stored.note


@pytest.mark.parametrize(
    "raw, status",
    [(b"not json", 400), (b"[1, 2]", 400), (b'{"verification_token": ""}', 400)],
)
def test_bad_bodies_get_a_clear_status(client, keyed, raw, status, db):
    answer = client.post(URL, data=raw, content_type="application/json")

    assert answer.status_code == status
    assert "error" in answer.json()


def test_oversized_body_and_get_are_refused(client, keyed, db):
    big = client.post(URL, data=b"{" + b" " * 70_000 + b"}", content_type="application/json")
    get = client.get(URL)

    assert big.status_code == 413
    assert get.status_code == 405


def test_a_flood_of_handshakes_keeps_the_first_ones(client, settings, db):
    settings.NOTION_WEBHOOK_VERIFICATION_TOKEN = ""
    client.post(URL, data={"verification_token": "secret_real"}, content_type="application/json")
    for n in range(40):
        client.post(URL, data={"verification_token": f"junk_{n}"}, content_type="application/json")

    tokens = set(NotionWebhookHandshake.objects.values_list("token", flat=True))
    assert "secret_real" in tokens
    assert len(tokens) == 20


def test_no_handshake_is_kept_when_the_token_is_set(client, keyed, db):
    answer = client.post(URL, data={"verification_token": "x"}, content_type="application/json")

    assert answer.status_code == 200
    assert not NotionWebhookHandshake.objects.exists()


def test_deeply_nested_json_is_a_400_not_a_crash(client, keyed, db):
    answer = client.post(URL, data=b"[" * 60_000, content_type="application/json")

    assert answer.status_code == 400


def test_a_forged_signed_body_is_refused_before_it_is_read(client, keyed, db):
    answer = post(client, None, raw=b"[" * 60_000, signature="sha256=" + "0" * 64)

    assert answer.status_code == 401
