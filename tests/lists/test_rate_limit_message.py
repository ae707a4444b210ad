"""The shared rate limit speaks of the service being waited for: a Google Sheets load whose
limit cannot be kept in the database says Google Sheets, not Notion."""

from __future__ import annotations

import pytest
from django.db import connection

from integrations.models import RateLimitBucket

TABLE = RateLimitBucket._meta.db_table


@pytest.fixture
def no_rate_limit_table(transactional_db):
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_away")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {TABLE}_away RENAME TO {TABLE}")


def test_a_sheets_rate_limit_that_cannot_be_kept_names_google_sheets(
    google, settings, import_list, no_rate_limit_table
):
    settings.GOOGLE_SHEETS_MAX_REQUESTS_PER_MINUTE = 60
    sheet = google.sheet([["ФИО"], ["Анна"]])

    result = import_list(sheet.spreadsheet_id)

    assert result.code == 1
    assert "The Google Sheets rate limit is kept in the database" in result.err
    assert "Notion" not in result.err
