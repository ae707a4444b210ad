"""What people paste as a sheet's link: the spreadsheet and tab it names, or why not."""

from __future__ import annotations

import pytest

from integrations.sheets.errors import NotASheetsLink
from integrations.sheets.links import SheetRef, parse_sheet_link

SID = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"https://docs.google.com/spreadsheets/d/{SID}/edit#gid=123", SheetRef(SID, 123)),
        (f"https://docs.google.com/spreadsheets/d/{SID}/edit?gid=7#gid=7", SheetRef(SID, 7)),
        (f"https://docs.google.com/spreadsheets/d/{SID}/edit?usp=sharing", SheetRef(SID)),
        (f"docs.google.com/spreadsheets/d/{SID}/edit#gid=0", SheetRef(SID, 0)),
        (f"https://docs.google.com/spreadsheets/u/1/d/{SID}/htmlview", SheetRef(SID)),
        (
            f"  <https://docs.google.com/spreadsheets/d/{SID}/edit#gid=5&range=A1>  ",
            SheetRef(SID, 5),
        ),
        (f"https://drive.google.com/open?id={SID}", SheetRef(SID)),
        (SID, SheetRef(SID)),
    ],
)
def test_a_link_or_an_id_names_the_spreadsheet_and_its_tab(text, expected):
    assert parse_sheet_link(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("https://docs.google.com/forms/d/1FAIpQLSf/viewform", "Google Form"),
        ("https://forms.gle/abcDEF123", "Google Form"),
        ("https://docs.google.com/spreadsheets/d/e/2PACX-1vQ/pubhtml", "published"),
        ("https://docs.google.com/document/d/1xyz/edit", "Docs"),
        (f"https://drive.google.com/file/d/{SID}/view", "Save as Google Sheets"),
        ("https://drive.google.com/drive/folders/1abc", "folder"),
        ("https://example.org/sheet", "not a Google Sheets link"),
        ("посмотри таблицу", "not a Google Sheets link"),
        ("", "link"),
    ],
)
def test_anything_else_is_refused_saying_what_to_send(text, says):
    with pytest.raises(NotASheetsLink) as refused:
        parse_sheet_link(text)

    assert says in str(refused.value)


def test_the_link_a_person_opens_goes_to_the_tab():
    assert SheetRef(SID, 42).url == f"https://docs.google.com/spreadsheets/d/{SID}/edit#gid=42"
