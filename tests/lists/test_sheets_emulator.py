"""The Google Sheets emulator answers as Google does: read over HTTP with a token the real
google-auth flow got from its token endpoint, or with none."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
import requests
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from google.oauth2 import service_account

from integrations.sheets.client import SCOPE
from sandbox.google_sheets_emulator import FormattedCell, GoogleSheetsEmulator


@pytest.fixture
def emulator(private_key):
    with GoogleSheetsEmulator() as emu:
        emu.account = emu.add_service_account(private_key=private_key)
        yield emu


@pytest.fixture
def token(emulator) -> str:
    credentials = service_account.Credentials.from_service_account_info(
        emulator.account, scopes=[SCOPE]
    )
    credentials.refresh(Request())
    return credentials.token


@pytest.fixture
def spreadsheet(emulator):
    return emulator.add_spreadsheet(
        "Регистрация",
        {
            "Ответы на форму (1)": [
                ["Отметка времени", "ФИО", "Телефон", ""],
                [FormattedCell("28.03.2026 10:04:11", 46109.42), "Иван", 79000000005, "", ""],
                [],
                ["", "Анна"],
            ],
            "It's empty": [],
        },
        shared_with=[emulator.account["client_email"]],
    )


def get(emulator, token, path: str, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(emulator.base_url + path, params=params, headers=headers, timeout=5)


def values_path(spreadsheet, a1: str) -> str:
    return f"/v4/spreadsheets/{spreadsheet.spreadsheet_id}/values/{quote(a1, safe='')}"


def test_a_quoted_percent_encoded_tab_title_reads_the_whole_tab(emulator, token, spreadsheet):
    answer = get(emulator, token, values_path(spreadsheet, "'Ответы на форму (1)'")).json()

    assert answer == {
        "range": "'Ответы на форму (1)'!A1:Z1000",
        "majorDimension": "ROWS",
        "values": [
            ["Отметка времени", "ФИО", "Телефон"],  # trailing empty cells dropped
            ["28.03.2026 10:04:11", "Иван", "79000000005"],
            [],
            ["", "Анна"],
        ],
    }


def test_unformatted_values_are_numbers_and_serial_dates(emulator, token, spreadsheet):
    answer = get(
        emulator,
        token,
        values_path(spreadsheet, "'Ответы на форму (1)'!A2:C2"),
        valueRenderOption="UNFORMATTED_VALUE",
    ).json()

    assert answer["values"] == [[46109.42, "Иван", 79000000005]]
    assert answer["range"] == "'Ответы на форму (1)'!A2:C2"


def test_an_empty_range_has_no_values_key(emulator, token, spreadsheet):
    answer = get(emulator, token, values_path(spreadsheet, "'It''s empty'")).json()

    assert answer == {"range": "'It''s empty'!A1:Z1000", "majorDimension": "ROWS"}


def test_batch_get_answers_each_range_in_order(emulator, token, spreadsheet):
    answer = requests.get(
        f"{emulator.base_url}/v4/spreadsheets/{spreadsheet.spreadsheet_id}/values:batchGet",
        params=[("ranges", "B:B"), ("ranges", "'Ответы на форму (1)'!A1:B1")],
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    ).json()

    assert [vr["values"] for vr in answer["valueRanges"]] == [
        [["ФИО"], ["Иван"], [], ["Анна"]],
        [["Отметка времени", "ФИО"]],
    ]
    assert answer["spreadsheetId"] == spreadsheet.spreadsheet_id


def test_spreadsheets_get_honours_a_field_mask(emulator, token, spreadsheet):
    answer = get(
        emulator,
        token,
        f"/v4/spreadsheets/{spreadsheet.spreadsheet_id}",
        fields="properties(title),sheets(properties(sheetId,title))",
    ).json()

    assert answer == {
        "properties": {"title": "Регистрация"},
        "sheets": [
            {"properties": {"sheetId": 0, "title": "Ответы на форму (1)"}},
            {"properties": {"sheetId": spreadsheet.sheets[1].sheet_id, "title": "It's empty"}},
        ],
    }


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("bad range", 400, "INVALID_ARGUMENT"),
        ("excel", 400, "FAILED_PRECONDITION"),
        ("no token", 401, "UNAUTHENTICATED"),
        ("not shared", 403, "PERMISSION_DENIED"),
        ("missing", 404, "NOT_FOUND"),
        ("quota", 429, "RESOURCE_EXHAUSTED"),
    ],
)
def test_errors_have_googles_body(case, status, code, emulator, token, spreadsheet):
    path = values_path(spreadsheet, "'Ответы на форму (1)'!A1")
    use_token = token
    if case == "bad range":
        path = values_path(spreadsheet, "'Нет такого'!A1")
    if case == "excel":
        spreadsheet.excel = True
    if case == "no token":
        use_token = None
    if case == "not shared":
        emulator.unshare(spreadsheet.spreadsheet_id, emulator.account["client_email"])
    if case == "missing":
        path = values_path(spreadsheet, "A1").replace(spreadsheet.spreadsheet_id, "1nope" * 9)
    if case == "quota":
        emulator.read_quota = 1
        get(emulator, token, path)

    response = get(emulator, use_token, path)

    error = response.json()["error"]
    assert response.status_code == status == error["code"]
    assert error["status"] == code
    assert error["message"]


def test_the_token_endpoint_refuses_a_jwt_not_signed_by_the_accounts_key(emulator):
    other = emulator.add_service_account("other@volunteers-lists.iam.gserviceaccount.com")
    forged = dict(other, private_key=emulator.account["private_key"])  # someone else's key
    credentials = service_account.Credentials.from_service_account_info(forged, scopes=[SCOPE])

    with pytest.raises(RefreshError, match="Invalid JWT Signature"):
        credentials.refresh(Request())


def test_the_token_endpoint_checks_the_assertions_claims(emulator):
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).decode().rstrip("=")
    claims = base64.urlsafe_b64encode(
        json.dumps({"iss": emulator.account["client_email"]}).encode()
    ).decode()

    response = requests.post(
        emulator.token_uri,
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": f"{header}.{claims.rstrip('=')}.",
        },
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid JWT Signature.",
    }
