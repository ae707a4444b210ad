"""The row writers' lookup of current rows (the diff reads through it): on PostgreSQL the
keys travel as one text parameter the server splits, or as an array when a key could not
be split that way (empty, or with a comma); on SQLite through the ORM."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.sync.writers import row_writer
from people.models import Human

PAGE_A = "0f6b2a8e-1c7d-4e5f-9a0b-3c2d1e0f9a8b"
PAGE_B = "7a1e4c2d-9b3f-4a6e-8d5c-1f0e2b3a4c5d"


@pytest.fixture
def writer(db):
    Human.objects.create(notion_page_id=PAGE_A, full_name="Анна", email="a@example.org")
    Human.objects.create(notion_page_id=PAGE_B, full_name="Борис", is_active=False)
    Human.objects.create(notion_page_id="odd,key", full_name="Вера")
    Human.objects.create(notion_page_id="", full_name="Глеб")
    with row_writer(Human, unique_field="notion_page_id", update_fields=["full_name"]) as w:
        yield w


def existing_and_sql(writer, keys, columns):
    with CaptureQueriesContext(connection) as queries:
        found = writer.existing(keys, columns)
    return found, " ".join(q["sql"] for q in queries.captured_queries)


def test_existing_returns_the_current_columns_of_the_rows_asked_for(writer):
    found, sql = existing_and_sql(
        writer, [PAGE_A, PAGE_B, "00000000-0000-0000-0000-000000000000"], ["email"]
    )

    assert found == {
        PAGE_A: {"notion_page_id": PAGE_A, "email": "a@example.org"},
        PAGE_B: {"notion_page_id": PAGE_B, "email": ""},
    }
    if connection.vendor == "postgresql":
        assert "string_to_array" in sql  # the fast path: one text parameter
    assert writer.existing([], ["email"]) == {}


@pytest.mark.parametrize("odd", ["odd,key", ""])
def test_a_key_that_one_text_parameter_cannot_carry_is_looked_up_whole(writer, odd):
    found, sql = existing_and_sql(writer, [odd, PAGE_B], ["is_active"])

    assert found == {
        odd: {"notion_page_id": odd, "is_active": True},
        PAGE_B: {"notion_page_id": PAGE_B, "is_active": False},
    }
    assert "string_to_array" not in sql
    # Split at its comma, "odd,key" would name two keys no row has.
    assert writer.existing(["odd", "key"], ["full_name"]) == {}
