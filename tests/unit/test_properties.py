"""Decoders for every property type Notion returns (shapes from Notion's API reference)."""

from datetime import UTC, date, datetime

import pytest

from integrations.notion.properties import (
    NotionDate,
    NotionFile,
    NotionUser,
    UnknownPropertyType,
    decode_value,
    property_item_value,
    text_of,
)

RICH = [
    {"type": "text", "text": {"content": "Иван "}, "plain_text": "Иван "},
    {"type": "mention", "mention": {}, "plain_text": "Петров"},
]
USER = {
    "object": "user",
    "id": "u1",
    "name": "Анна",
    "type": "person",
    "person": {"email": "a@x.ru"},
}

CASES = [
    ({"type": "title", "title": RICH}, "Иван Петров"),
    ({"type": "rich_text", "rich_text": RICH}, "Иван Петров"),
    ({"type": "rich_text", "rich_text": []}, ""),
    ({"type": "number", "number": 42}, 42),
    ({"type": "number", "number": None}, None),
    ({"type": "select", "select": {"id": "x", "name": "Активно", "color": "green"}}, "Активно"),
    ({"type": "select", "select": None}, None),
    ({"type": "status", "status": {"id": "s", "name": "Ушёл", "color": "red"}}, "Ушёл"),
    ({"type": "multi_select", "multi_select": [{"name": "a"}, {"name": "b"}]}, ["a", "b"]),
    (
        {"type": "date", "date": {"start": "2026-11-27", "end": None, "time_zone": None}},
        NotionDate(start=date(2026, 11, 27)),
    ),
    ({"type": "date", "date": None}, None),
    ({"type": "people", "people": [USER]}, [NotionUser(id="u1", name="Анна", email="a@x.ru")]),
    (
        {
            "type": "files",
            "files": [
                {
                    "name": "f.pdf",
                    "type": "file",
                    "file": {"url": "https://s3/f.pdf", "expiry_time": "x"},
                },
                {"name": "l", "type": "external", "external": {"url": "https://e/x"}},
            ],
        },
        [NotionFile(name="f.pdf", url="https://s3/f.pdf"), NotionFile(name="l", url="https://e/x")],
    ),
    ({"type": "checkbox", "checkbox": True}, True),
    ({"type": "url", "url": "https://t.me/x"}, "https://t.me/x"),
    ({"type": "url", "url": None}, None),
    ({"type": "email", "email": "a@b.ru"}, "a@b.ru"),
    ({"type": "phone_number", "phone_number": "+7 916 123-45-67"}, "+7 916 123-45-67"),
    ({"type": "formula", "formula": {"type": "string", "string": "abc"}}, "abc"),
    ({"type": "formula", "formula": {"type": "number", "number": 3}}, 3),
    ({"type": "formula", "formula": {"type": "boolean", "boolean": False}}, False),
    (
        {"type": "formula", "formula": {"type": "date", "date": {"start": "2026-01-02"}}},
        NotionDate(start=date(2026, 1, 2)),
    ),
    (
        {"type": "relation", "relation": [{"id": "p1"}, {"id": "p2"}], "has_more": False},
        ["p1", "p2"],
    ),
    ({"type": "rollup", "rollup": {"type": "number", "number": 7, "function": "count"}}, 7),
    (
        {
            "type": "rollup",
            "rollup": {
                "type": "array",
                "array": [{"type": "title", "title": RICH}, {"type": "weird", "weird": {}}],
                "function": "show",
            },
        },
        ["Иван Петров"],
    ),
    (
        {"type": "created_time", "created_time": "2026-11-27T16:12:00.000Z"},
        datetime(2026, 11, 27, 16, 12, tzinfo=UTC),
    ),
    (
        {"type": "last_edited_time", "last_edited_time": "2026-11-27T16:12:00.000Z"},
        datetime(2026, 11, 27, 16, 12, tzinfo=UTC),
    ),
    ({"type": "created_by", "created_by": USER}, NotionUser(id="u1", name="Анна", email="a@x.ru")),
    (
        {"type": "last_edited_by", "last_edited_by": {"object": "user", "id": "u2"}},
        NotionUser(id="u2"),
    ),
    ({"type": "unique_id", "unique_id": {"prefix": "HUM", "number": 12}}, "HUM-12"),
    ({"type": "unique_id", "unique_id": {"prefix": None, "number": 12}}, "12"),
    (
        {"type": "verification", "verification": {"state": "verified", "verified_by": None}},
        "verified",
    ),
    ({"type": "button", "button": {}}, None),
]


@pytest.mark.parametrize(("prop", "expected"), CASES, ids=[c[0]["type"] for c in CASES])
def test_decoder(prop, expected):
    assert decode_value(prop) == expected


def test_unknown_type_is_reported_not_crashed():
    with pytest.raises(UnknownPropertyType):
        decode_value({"type": "hologram", "hologram": {}})


def test_paginated_property_items_decode_as_single_elements():
    assert (
        property_item_value(
            {"object": "property_item", "type": "relation", "relation": {"id": "p9"}}
        )
        == "p9"
    )
    assert property_item_value({"type": "people", "people": USER}).name == "Анна"


def test_text_of_renders_values_as_one_line():
    assert text_of(["a", None, "b"]) == "a, b"
    assert text_of(3.0) == "3"
    assert text_of(None) == ""
