"""The row writers' lookup of current rows (the diff reads through it): on PostgreSQL the
keys travel as one text parameter the server splits, or as an array when a key could not
be split that way; on SQLite through the ORM."""

from __future__ import annotations

import pytest

from integrations.sync.writers import row_writer
from people.models import Human

PAGE_A = "0f6b2a8e-1c7d-4e5f-9a0b-3c2d1e0f9a8b"
PAGE_B = "7a1e4c2d-9b3f-4a6e-8d5c-1f0e2b3a4c5d"


@pytest.fixture
def writer(db):
    Human.objects.create(notion_page_id=PAGE_A, full_name="Анна", email="a@example.org")
    Human.objects.create(notion_page_id=PAGE_B, full_name="Борис", is_active=False)
    Human.objects.create(notion_page_id="odd,key", full_name="Вера")
    with row_writer(Human, unique_field="notion_page_id", update_fields=["full_name"]) as w:
        yield w


def test_existing_returns_the_current_columns_of_the_rows_asked_for(writer):
    found = writer.existing([PAGE_A, PAGE_B, "00000000-0000-0000-0000-000000000000"], ["email"])

    assert found == {
        PAGE_A: {"notion_page_id": PAGE_A, "email": "a@example.org"},
        PAGE_B: {"notion_page_id": PAGE_B, "email": ""},
    }
    assert writer.existing([], ["email"]) == {}


def test_a_key_with_a_comma_is_looked_up_whole(writer):
    found = writer.existing(["odd,key", PAGE_B], ["full_name", "is_active"])

    assert found == {
        "odd,key": {"notion_page_id": "odd,key", "full_name": "Вера", "is_active": True},
        PAGE_B: {"notion_page_id": PAGE_B, "full_name": "Борис", "is_active": False},
    }
    # Split at its comma it would name two keys no row has.
    assert writer.existing(["odd", "key"], ["full_name"]) == {}
