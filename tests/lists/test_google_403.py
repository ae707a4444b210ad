"""Google's 403s mean different things, told apart by the error body (`error.status`,
`error.details[].reason`, the older `error.errors[].reason`): not shared (name the account
to share with), the API switched off (enable it), a rate limit (wait and retry)."""

from __future__ import annotations

import pytest

from integrations.models import SyncRun
from lists.models import PeopleList


@pytest.fixture
def sheet(google):
    return google.sheet([["ФИО", "Telegram"], ["Анна", "@anna_a"]])


@pytest.mark.parametrize("reason", ["rateLimitExceeded", "userRateLimitExceeded"])
def test_a_rate_limit_403_is_waited_out(reason, sheet, google, import_list, db):
    google.emulator.inject_fault(endpoint="values.get", status=403, reason=reason, count=2)

    result = import_list(sheet.spreadsheet_id)

    assert result.code == 0, result.err
    assert SyncRun.objects.get(kind="lists").notion_requests == 3 + 2
    assert PeopleList.objects.get().entries.count() == 1


def test_a_rate_limit_403_that_never_ends_is_a_quota_failure(sheet, google, import_list, db):
    google.emulator.inject_fault(status=403, reason="rateLimitExceeded", count=100)

    result = import_list(sheet.spreadsheet_id)

    assert result.code == 1
    assert "Google Sheets is unavailable" in result.err
    assert "as Viewer" not in result.err


def test_the_api_off_in_the_older_error_shape_says_to_enable_it(sheet, google, import_list, db):
    google.emulator.inject_fault(status=403, reason="accessNotConfigured", count=100)

    result = import_list(sheet.spreadsheet_id)

    assert result.code == 1
    assert "Google Sheets API is switched off" in result.err
    assert "console.developers.google.com/apis/api/sheets.googleapis.com" in result.err
    assert "as Viewer" not in result.err


def test_not_shared_names_the_account_to_share_with(google, import_list, db):
    sheet = google.sheet([["ФИО"], ["Анна"]], shared=False)

    result = import_list(sheet.spreadsheet_id)

    assert f"add {google.email} as Viewer" in result.err
