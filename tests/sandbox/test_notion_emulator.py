"""The Notion emulator, driven through the real notion-client over HTTP (no Django)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from notion_client import APIResponseError, Client
from notion_client.client import RetryOptions
from notion_client.errors import HTTPResponseError, RequestTimeoutError

from sandbox.notion_emulator import (
    QUERY_RESULT_LIMIT,
    REQUEST_STATUS_COMPLETE,
    REQUEST_STATUS_INCOMPLETE,
    NotionEmulator,
)
from sandbox.sample_data import (
    _FEMALE_NAMES,
    _MALE_NAMES,
    HUMANS_SCHEMA,
    INACTIVE_STATUSES,
    add_humans,
    build_organisation,
    normalize_telegram,
    telegram_handle_variants,
)

REPO = Path(__file__).resolve().parents[2]
CLI_ARGS = ["--port", "0", "--humans", "30", "--directions", "4", "--seed", "3"]
CLI_ARGS += ["--token", "secret_cli"]
LOGGER = logging.getLogger("tests.notion_emulator")
UTC = dt.UTC


def make_client(emu: NotionEmulator, **kwargs) -> Client:
    kwargs.setdefault("retry", False)
    kwargs.setdefault("auth", emu.token)
    return Client(base_url=emu.base_url, logger=LOGGER, **kwargs)


def query_all(client: Client, data_source_id: str, **kwargs) -> tuple[list[dict], list[dict]]:
    """All results of one query followed through its cursors, and the raw responses."""
    results, responses, cursor = [], [], None
    while True:
        response = client.data_sources.query(
            data_source_id=data_source_id, start_cursor=cursor, **kwargs
        )
        responses.append(response)
        results += response["results"]
        cursor = response["next_cursor"]
        if not response["has_more"]:
            return results, responses


@pytest.fixture(scope="module")
def emu():
    with NotionEmulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def org(emu):
    return build_organisation(emu, humans=200, directions=12, seed=1)


@pytest.fixture(autouse=True)
def _clean(request):
    yield
    if "emu" in request.fixturenames:
        emulator = request.getfixturevalue("emu")
        emulator.clear_faults()
        emulator.reset_counts()


@pytest.fixture(scope="module")
def client(emu):
    c = make_client(emu)
    yield c
    c.close()


def title_of(page: dict) -> str:
    for value in page["properties"].values():
        if value["type"] == "title":
            return "".join(t["plain_text"] for t in value["title"])
    raise AssertionError("no title")


# --------------------------------------------------------------------------- basics


def test_database_then_data_source(client, org):
    db = client.databases.retrieve(database_id=org.humans_database_id)
    assert db["object"] == "database"
    assert db["id"] == org.humans_database_id
    assert "properties" not in db
    assert db["data_sources"] == [{"id": org.humans_data_source_id, "name": "Humans"}]
    assert db["title"][0]["plain_text"] == "Humans"

    ds = client.data_sources.retrieve(data_source_id=org.humans_data_source_id)
    assert ds["object"] == "data_source"
    assert ds["parent"] == {"type": "database_id", "database_id": org.humans_database_id}
    props = ds["properties"]
    assert props["ФИО"]["type"] == "title" and props["ФИО"]["id"] == "title"
    assert {name: p["type"] for name, p in props.items()} == {
        name: conf["type"] for name, conf in HUMANS_SCHEMA.items()
    }
    status = props["Status"]["status"]
    assert [o["name"] for o in status["options"]] == ["Активен", "В отпуске", "Ушёл"]
    assert [g["name"] for g in status["groups"]] == ["To-do", "In progress", "Complete"]
    for name, prop in props.items():
        assert prop["name"] == name
        if prop["id"] != "title":
            assert len(prop["id"]) == 4 and prop["id"].isalnum()

    directions = client.data_sources.retrieve(data_source_id=org.directions_data_source_id)
    relation = directions["properties"]["Organizers"]["relation"]
    assert relation["data_source_id"] == org.humans_data_source_id
    assert relation["database_id"] == org.humans_database_id
    assert relation["type"] == "single_property"


def test_ids_without_dashes_are_accepted(client, org):
    db = client.databases.retrieve(database_id=org.humans_database_id.replace("-", ""))
    assert db["id"] == org.humans_database_id


def test_query_pages_through_everything_but_trash(client, org):
    results, responses = query_all(client, org.humans_data_source_id, page_size=100)
    ids = [p["id"] for p in results]
    assert len(ids) == len(set(ids)) == len(org.live_human_ids) == 198
    assert set(ids) == set(org.live_human_ids)
    assert not set(ids) & set(org.trashed_human_ids)
    assert len(responses) == 2
    first = responses[0]
    assert first["object"] == "list" and first["type"] == "page_or_data_source"
    assert first["page_or_data_source"] == {} and first["has_more"] is True
    assert responses[-1]["next_cursor"] is None
    assert all(r["request_status"] == REQUEST_STATUS_COMPLETE for r in responses)
    assert all(r["request_id"] for r in responses)
    # default order: created_time descending
    created = [p["created_time"] for p in results]
    assert created == sorted(created, reverse=True)


def test_page_object_shape(client, org):
    page = client.pages.retrieve(page_id=org.departed_human_id)
    assert page["object"] == "page"
    assert page["parent"] == {
        "type": "data_source_id",
        "data_source_id": org.humans_data_source_id,
        "database_id": org.humans_database_id,
    }
    assert page["in_trash"] is False and page["archived"] is False
    assert page["created_time"].endswith(":00.000Z")
    assert page["url"] == "https://www.notion.so/" + page["id"].replace("-", "")
    props = page["properties"]
    assert props["Status"]["status"]["name"] == "Ушёл"
    telegram = props["Telegram"]["rich_text"]
    assert telegram[0]["type"] == "text"
    assert telegram[0]["plain_text"] == telegram[0]["text"]["content"]
    assert telegram[0]["annotations"]["bold"] is False
    assert props["Номер"]["unique_id"]["prefix"] == "HUM"
    assert props["Создано"]["created_time"] == page["created_time"]
    assert props["Дата прихода"]["date"]["start"]
    assert isinstance(props["Волонтёр с опытом"]["checkbox"], bool)


def test_shorthand_values_become_notion_values():
    with NotionEmulator() as emulator:
        target = emulator.add_database(title="T", properties={"Name": "title"})
        other = emulator.add_page(target.database_id, properties={"Name": "x"})
        db = emulator.add_database(
            title="All",
            properties={
                "Name": {"title": {}},
                "Text": "rich_text",
                "N": {"number": {"format": "percent"}},
                "Sel": {"select": {"options": ["a", "b"]}},
                "Multi": {"multi_select": {"options": [{"name": "x", "color": "red"}]}},
                "St": {"status": {"options": ["Todo", "Doing", "Done"]}},
                "When": "date",
                "Ok": "checkbox",
                "Mail": "email",
                "Tel": "phone_number",
                "Link": "url",
                "Rel": {"relation": {"database_id": target.database_id}},
                "Who": "people",
                "Edited": "last_edited_time",
            },
        )
        page_id = emulator.add_page(
            db,
            properties={
                "Name": "Привет",
                "Text": None,
                "N": 0.5,
                "Sel": "new option",
                "Multi": ["x", "y"],
                "When": dt.datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
                "Ok": True,
                "Mail": "a@b.c",
                "Tel": "",
                "Link": "https://example.org",
                "Rel": [other.replace("-", "")],
                "Who": ["9b1d3f5a7c2e4e8ba6d05f3c1b2a4e6d"],
            },
            created_time=dt.datetime(2026, 1, 1, 10, 0, 59),
        )
        props = emulator.page(page_id)["properties"]
        assert props["Name"]["title"][0]["text"]["content"] == "Привет"
        assert props["Text"]["rich_text"] == []
        assert props["N"]["number"] == 0.5
        assert props["Sel"]["select"]["name"] == "new option"
        assert [o["name"] for o in props["Multi"]["multi_select"]] == ["x", "y"]
        assert props["St"]["status"]["name"] == "Todo"  # Notion's default option
        assert props["When"]["date"] == {
            "start": "2026-01-02T03:04:00.000+00:00",
            "end": None,
            "time_zone": None,
        }
        assert props["Ok"]["checkbox"] is True
        assert props["Tel"]["phone_number"] is None
        assert props["Rel"]["relation"] == [{"id": other}]
        assert props["Rel"]["has_more"] is False
        assert props["Who"]["people"][0]["object"] == "user"
        assert props["Edited"]["last_edited_time"] == "2026-01-01T10:00:00.000Z"
        schema_options = db.properties["Sel"]["select"]["options"]
        assert [o["name"] for o in schema_options] == ["a", "b", "new option"]
        with pytest.raises(KeyError):
            emulator.add_page(db, properties={"Nope": 1})
        with pytest.raises(ValueError):
            emulator.add_page(db, properties={"St": "Unknown status"})
        with pytest.raises(ValueError):
            emulator.add_page(db, properties={"Edited": "2026-01-01"})


# --------------------------------------------------------------------------- filters and sorts


@pytest.fixture(scope="module")
def timeline():
    """Pages created at 10:00, 10:01, ... 10:09 UTC on 2026-01-01 (one at 23:59 the day before)."""
    with NotionEmulator() as emulator:
        db = emulator.add_database(
            title="Timeline",
            properties={
                "Name": "title",
                "Done": "checkbox",
                "Kind": {"select": {"options": ["a", "b"]}},
            },
        )
        base = dt.datetime(2026, 1, 1, 10, 0, 30, tzinfo=UTC)
        ids = [
            emulator.add_page(
                db,
                properties={"Name": f"Page {i}", "Done": i % 2 == 0, "Kind": "ab"[i % 2]},
                created_time=base + dt.timedelta(minutes=i),
                last_edited_time=base + dt.timedelta(minutes=20 - i),
            )
            for i in range(10)
        ]
        early = emulator.add_page(
            db, properties={"Name": "Early"}, created_time=dt.datetime(2025, 12, 31, 23, 59)
        )
        client = make_client(emulator)
        yield emulator, db, ids, early, client
        client.close()


def names(results: list[dict]) -> list[str]:
    return [title_of(p) for p in results]


def test_timestamp_filters(timeline):
    _, db, ids, early, client = timeline

    def created(cond):
        f = {"timestamp": "created_time", "created_time": cond}
        return {p["id"] for p in query_all(client, db.data_source_id, filter=f)[0]}

    assert created({"on_or_after": "2026-01-01T10:05:00Z"}) == set(ids[5:])
    assert created({"after": "2026-01-01T10:05:00.000Z"}) == set(ids[6:])
    assert created({"before": "2026-01-01T13:02:00+03:00"}) == {early, *ids[:2]}
    assert created({"on_or_before": "2026-01-01T10:02:00Z"}) == {early, *ids[:3]}
    assert created({"equals": "2026-01-01T10:03:00Z"}) == {ids[3]}
    # date-only values mean the whole UTC day
    assert created({"equals": "2026-01-01"}) == set(ids)
    assert created({"on_or_after": "2026-01-01"}) == set(ids)
    assert created({"before": "2026-01-01"}) == {early}
    assert created({"after": "2025-12-31"}) == set(ids)
    assert created({"on_or_before": "2025-12-31"}) == {early}

    edited = {
        "timestamp": "last_edited_time",
        "last_edited_time": {"on_or_after": "2026-01-01T10:18:00Z"},
    }
    got = {p["id"] for p in query_all(client, db.data_source_id, filter=edited)[0]}
    assert got == {ids[0], ids[1], ids[2]}


def test_timestamp_fast_path_matches_brute_force():
    """Timestamp sorts + range filters use a bisected index; it must agree with plain logic."""
    rng = random.Random(5)
    base = dt.datetime(2026, 1, 1, 22, 0, tzinfo=UTC)
    with NotionEmulator() as emulator:
        db = emulator.add_database(title="R", properties={"Name": "title"})
        created = {}
        for i in range(300):
            moment = base + dt.timedelta(minutes=rng.randrange(0, 240))
            page_id = emulator.add_page(db, properties={"Name": str(i)}, created_time=moment)
            created[page_id] = moment
        client = make_client(emulator)
        ops = {
            "on_or_after": lambda t, v, d: t >= v,
            "after": lambda t, v, d: t >= v + dt.timedelta(days=1) if d else t > v,
            "before": lambda t, v, d: t < v,
            "on_or_before": lambda t, v, d: t < v + dt.timedelta(days=1) if d else t <= v,
            "equals": lambda t, v, d: v <= t < v + dt.timedelta(days=1) if d else t == v,
        }
        for _ in range(40):
            conds = []
            for _ in range(rng.choice((1, 2))):
                op = rng.choice(list(ops))
                if rng.random() < 0.2:
                    value = base.date() + dt.timedelta(days=rng.choice((0, 1)))
                    moment, text, date_only = (
                        dt.datetime(value.year, value.month, value.day, tzinfo=UTC),
                        value.isoformat(),
                        True,
                    )
                else:
                    moment = base + dt.timedelta(seconds=rng.randrange(-600, 250 * 60, 30))
                    text = moment.astimezone(dt.timezone(dt.timedelta(hours=3))).isoformat()
                    date_only = False
                conds.append((op, moment, date_only, text))
            filters = [
                {"timestamp": "created_time", "created_time": {op: text}}
                for op, _, _, text in conds
            ]
            f = filters[0] if len(filters) == 1 else {"and": filters}
            direction = rng.choice(("ascending", "descending"))
            sorts = [{"timestamp": "created_time", "direction": direction}]
            got, _ = query_all(client, db.data_source_id, filter=f, sorts=sorts)
            expected = [
                pid for pid, t in created.items() if all(ops[op](t, m, d) for op, m, d, _ in conds)
            ]
            expected.sort(key=lambda pid: (created[pid], pid))
            if direction == "descending":
                expected.sort(key=lambda pid: created[pid], reverse=True)
            assert [p["id"] for p in got] == expected, f
        client.close()


def test_compound_and_property_filters(timeline):
    _, db, ids, early, client = timeline
    compound = {
        "or": [
            {
                "and": [
                    {
                        "timestamp": "created_time",
                        "created_time": {"on_or_after": "2026-01-01T10:02:00Z"},
                    },
                    {
                        "timestamp": "created_time",
                        "created_time": {"before": "2026-01-01T10:05:00Z"},
                    },
                ]
            },
            {"property": "Name", "title": {"equals": "Early"}},
        ]
    }
    got = {p["id"] for p in query_all(client, db.data_source_id, filter=compound)[0]}
    assert got == {early, ids[2], ids[3], ids[4]}

    done = {"property": "Done", "checkbox": {"equals": True}}
    assert {p["id"] for p in query_all(client, db.data_source_id, filter=done)[0]} == set(ids[::2])
    kind = {"property": "Kind", "select": {"equals": "b"}}
    assert {p["id"] for p in query_all(client, db.data_source_id, filter=kind)[0]} == set(ids[1::2])
    contains = {"property": "Name", "rich_text": {"contains": "page 7"}}
    assert [p["id"] for p in query_all(client, db.data_source_id, filter=contains)[0]] == [ids[7]]


def test_status_filter_on_sample_data(client, org):
    f = {"property": "Status", "status": {"equals": "Ушёл"}}
    results, _ = query_all(client, org.humans_data_source_id, filter=f)
    expected = {h for h in org.live_human_ids if org.statuses[h] == "Ушёл"}
    assert {p["id"] for p in results} == expected
    assert org.departed_human_id in expected


def test_sorts(timeline):
    _, db, ids, early, client = timeline
    asc = [{"timestamp": "created_time", "direction": "ascending"}]
    assert [p["id"] for p in query_all(client, db.data_source_id, sorts=asc)[0]] == [early, *ids]
    by_edit = [{"timestamp": "last_edited_time", "direction": "descending"}]
    got = [p["id"] for p in query_all(client, db.data_source_id, sorts=by_edit)[0]]
    assert got[:10] == ids  # edited 10:20, 10:19, ...
    by_name = [{"property": "Name", "direction": "descending"}]
    assert names(query_all(client, db.data_source_id, sorts=by_name)[0])[:2] == ["Page 9", "Page 8"]
    by_kind = [
        {"property": "Kind", "direction": "ascending"},
        {"timestamp": "created_time", "direction": "descending"},
    ]
    got = [p["id"] for p in query_all(client, db.data_source_id, sorts=by_kind)[0]]
    assert got == [ids[i] for i in (8, 6, 4, 2, 0, 9, 7, 5, 3, 1)] + [early]
    # ties broken by id: a stable order, also across page boundaries
    tie = [{"property": "Done", "direction": "ascending"}]
    once = [p["id"] for p in query_all(client, db.data_source_id, sorts=tie, page_size=3)[0]]
    again = [p["id"] for p in query_all(client, db.data_source_id, sorts=tie, page_size=4)[0]]
    assert once == again and len(once) == 11


def test_update_page_and_incremental_filter(timeline):
    emulator, db, ids, _, client = timeline
    emulator.update_page(
        ids[4], properties={"Name": "Renamed"}, edited_at=dt.datetime(2026, 2, 1, 12, 30, 45)
    )
    f = {
        "timestamp": "last_edited_time",
        "last_edited_time": {"on_or_after": "2026-02-01T12:30:00Z"},
    }
    results, _ = query_all(client, db.data_source_id, filter=f)
    assert [p["id"] for p in results] == [ids[4]]
    assert results[0]["last_edited_time"] == "2026-02-01T12:30:00.000Z"
    assert title_of(results[0]) == "Renamed"
    assert emulator.page(ids[4])["properties"]["Kind"]["select"]["name"] == "a"  # merged
    emulator.trash_page(ids[4])
    assert client.data_sources.query(data_source_id=db.data_source_id, filter=f)["results"] == []
    assert client.pages.retrieve(page_id=ids[4])["in_trash"] is True
    emulator.update_page(ids[4], in_trash=False, properties={"Name": "Page 4"})


# --------------------------------------------------------------------------- limits


def test_query_result_limit_and_request_status():
    start = dt.datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    with NotionEmulator() as emulator:
        db = emulator.add_database(title="Big", properties=HUMANS_SCHEMA)
        ids = add_humans(emulator, db.database_id, 10_050, seed=7, per_minute=100, start=start)
        assert len(set(ids)) == 10_050
        client = make_client(emulator)
        asc = [{"timestamp": "created_time", "direction": "ascending"}]
        results, responses = query_all(client, db.data_source_id, sorts=asc, page_size=100)
        assert len(results) == QUERY_RESULT_LIMIT
        assert len(responses) == 100
        last = responses[-1]
        assert last["has_more"] is False and last["next_cursor"] is None
        # Notion: every response served from a capped result says so
        assert all(r["request_status"] == REQUEST_STATUS_INCOMPLETE for r in responses)
        assert REQUEST_STATUS_INCOMPLETE == {
            "type": "incomplete",
            "incomplete_reason": "query_result_limit_reached",
        }
        # windowing by created_time gets the rest (the boundary minute is re-read)
        boundary = results[-1]["created_time"]
        window = {"timestamp": "created_time", "created_time": {"on_or_after": boundary}}
        rest, rest_responses = query_all(client, db.data_source_id, filter=window, sorts=asc)
        assert rest_responses[-1]["request_status"] == REQUEST_STATUS_COMPLETE
        assert {p["id"] for p in results} | {p["id"] for p in rest} == set(ids)
        # a cursor belongs to its query
        other = client.data_sources.query(data_source_id=db.data_source_id, page_size=5)
        with pytest.raises(APIResponseError) as error:
            client.data_sources.query(
                data_source_id=db.data_source_id, sorts=asc, start_cursor=other["next_cursor"]
            )
        assert error.value.code == "validation_error"
        client.close()


def test_request_status_complete_can_be_omitted(emu, client, org):
    emu.request_status_complete = None
    try:
        response = client.data_sources.query(data_source_id=org.humans_data_source_id)
        assert "request_status" not in response
    finally:
        emu.request_status_complete = REQUEST_STATUS_COMPLETE


def test_big_relation_truncated_then_completed(client, org):
    page = client.pages.retrieve(page_id=org.big_direction_id)
    organizers = page["properties"]["Organizers"]
    assert len(org.organisers[org.big_direction_id]) == 40
    assert len(org.deputies[org.big_direction_id]) == 30
    assert len(organizers["relation"]) == 25 and organizers["has_more"] is True
    assert organizers["relation"] == [{"id": h} for h in org.organisers[org.big_direction_id][:25]]

    collected, cursor, calls = [], None, 0
    while True:
        item = client.pages.properties.retrieve(
            page_id=org.big_direction_id,
            property_id=organizers["id"],
            start_cursor=cursor,
            page_size=15,
        )
        calls += 1
        assert item["object"] == "list" and item["type"] == "property_item"
        assert item["property_item"]["type"] == "relation"
        assert item["property_item"]["id"] == organizers["id"]
        assert all(
            r["object"] == "property_item" and r["type"] == "relation" for r in item["results"]
        )
        collected += [r["relation"]["id"] for r in item["results"]]
        if not item["has_more"]:
            assert item["next_cursor"] is None and item["property_item"]["next_url"] is None
            break
        assert item["property_item"]["next_url"].endswith(f"start_cursor={item['next_cursor']}")
        cursor = item["next_cursor"]
    assert calls == 3
    assert collected == org.organisers[org.big_direction_id]

    deputies = page["properties"]["Deputies"]
    full = client.pages.properties.retrieve(
        page_id=org.big_direction_id, property_id=deputies["id"]
    )
    assert [r["relation"]["id"] for r in full["results"]] == org.deputies[org.big_direction_id]

    small = client.pages.retrieve(page_id=org.direction_ids[1])["properties"]["Organizers"]
    assert small["has_more"] is False


def test_property_items_for_other_types(emu, client, org):
    page = client.pages.retrieve(page_id=org.departed_human_id)
    status_id = page["properties"]["Status"]["id"]
    item = client.pages.properties.retrieve(page_id=org.departed_human_id, property_id=status_id)
    assert item == {
        "object": "property_item",
        "id": status_id,
        "type": "status",
        "status": {"id": "St-l", "name": "Ушёл", "color": "gray"},
        "request_id": item["request_id"],
    }
    title = client.pages.properties.retrieve(page_id=org.departed_human_id, property_id="title")
    assert title["type"] == "property_item" and title["property_item"]["type"] == "title"
    assert title["results"][0]["title"]["plain_text"] == org.names[org.departed_human_id]


def test_percent_encoded_property_ids():
    with NotionEmulator() as emulator:
        target = emulator.add_database(title="T", properties={"Name": "title"})
        refs = [emulator.add_page(target, properties={"Name": str(i)}) for i in range(30)]
        db = emulator.add_database(
            title="S",
            properties={
                "Name": "title",
                "Rel": {"id": "%3AbC%5D", "relation": {"data_source_id": target.data_source_id}},
            },
        )
        page_id = emulator.add_page(db, properties={"Name": "x", "Rel": refs})
        client = make_client(emulator)
        prop = client.pages.retrieve(page_id=page_id)["properties"]["Rel"]
        assert prop["id"] == "%3AbC%5D"
        for property_id in (prop["id"], ":bC]", "Rel"):
            item = client.pages.properties.retrieve(page_id=page_id, property_id=property_id)
            assert len(item["results"]) == 30
        client.close()


# --------------------------------------------------------------------------- errors


def test_wrong_token_is_401(emu, org):
    client = make_client(emu, auth="secret_wrong")
    with pytest.raises(APIResponseError) as error:
        client.databases.retrieve(database_id=org.humans_database_id)
    assert error.value.status == 401 and error.value.code == "unauthorized"
    body = json.loads(error.value.body)
    assert body["object"] == "error" and body["message"] == "API token is invalid."
    assert body["request_id"]
    assert emu.request_counts["databases.retrieve"] == 1
    client.close()


def test_unknown_ids_are_404(client, org):
    with pytest.raises(APIResponseError) as error:
        client.databases.retrieve(database_id="00000000-0000-4000-8000-000000000000")
    assert error.value.status == 404 and error.value.code == "object_not_found"
    assert "Could not find database with ID" in str(error.value)
    assert "shared with your integration" in str(error.value)
    with pytest.raises(APIResponseError) as error:
        client.databases.retrieve(database_id=org.humans_data_source_id)
    assert error.value.status == 404 and "data source" in str(error.value)
    with pytest.raises(APIResponseError) as error:
        client.data_sources.query(data_source_id=org.humans_database_id)
    assert error.value.status == 404
    with pytest.raises(APIResponseError) as error:
        client.pages.retrieve(page_id="00000000000040008000000000000000")
    assert error.value.code == "object_not_found"


def test_unshared_database_is_404(emu, client, org):
    emu.set_shared(org.directions_database_id, False)
    try:
        with pytest.raises(APIResponseError) as error:
            client.data_sources.query(data_source_id=org.directions_data_source_id)
        assert error.value.status == 404
    finally:
        emu.set_shared(org.directions_database_id, True)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"page_size": 101}, "page_size should be ≤ `100`"),
        ({"page_size": 0}, "page_size should be ≥ `1`"),
        ({"filter": {"timestamp": "created_time", "created_time": {"around": "x"}}}, "around"),
        ({"filter": {"timestamp": "created_time", "created_time": {"after": "soon"}}}, "ISO 8601"),
        ({"filter": {"property": "Nope", "checkbox": {"equals": True}}}, "Nope"),
        ({"filter": {"property": "Status", "select": {"equals": "x"}}}, "type `status`"),
        ({"filter": {"whatever": 1}}, "compound"),
        ({"sorts": [{"timestamp": "created_time"}]}, "direction"),
        ({"sorts": [{"property": "Nope", "direction": "ascending"}]}, "Nope"),
        ({"start_cursor": "garbage"}, "start_cursor"),
    ],
)
def test_bad_queries_are_400(client, org, kwargs, fragment):
    with pytest.raises(APIResponseError) as error:
        client.data_sources.query(data_source_id=org.humans_data_source_id, **kwargs)
    assert error.value.status == 400 and error.value.code == "validation_error"
    assert fragment in str(error.value)


def test_raw_http_errors(emu, org):
    url = f"{emu.base_url}/v1/data_sources/{org.humans_data_source_id}/query"
    headers = {"Authorization": f"Bearer {emu.token}", "Notion-Version": "2025-09-03"}
    with httpx.Client() as http:
        response = http.post(url, content=b"{not json", headers=headers)
        assert response.status_code == 400 and response.json()["code"] == "invalid_json"
        response = http.post(url, json={}, headers={"Authorization": headers["Authorization"]})
        assert response.status_code == 400 and response.json()["code"] == "missing_version"
        response = http.get(f"{emu.base_url}/v1/blocks/abc/children", headers=headers)
        assert response.status_code == 400 and response.json()["code"] == "invalid_request_url"
        response = http.get(f"{emu.base_url}/v1/databases/not-a-uuid", headers=headers)
        assert response.status_code == 400 and "valid uuid" in response.json()["message"]
        response = http.post(url, json={}, headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
    assert emu.request_counts["other"] == 1
    assert emu.request_counts["data_sources.query"] == 3


# --------------------------------------------------------------------------- faults


def test_fault_429_with_retry_after(emu, client, org):
    emu.inject_fault(endpoint="data_sources.query", status=429, retry_after=2)
    with pytest.raises(APIResponseError) as error:
        client.data_sources.query(data_source_id=org.humans_data_source_id)
    assert error.value.status == 429 and error.value.code == "rate_limited"
    assert error.value.headers["retry-after"] == "2"
    # the fault is used up
    assert client.data_sources.query(data_source_id=org.humans_data_source_id)["results"]


def test_sdk_retries_429_honouring_retry_after(emu, org):
    emu.inject_fault(endpoint="data_sources.query", status=429, retry_after=0, count=2)
    client = make_client(emu, retry=RetryOptions(max_retries=2, initial_retry_delay_ms=10))
    assert client.data_sources.query(data_source_id=org.humans_data_source_id)["results"]
    assert emu.request_counts["data_sources.query"] == 3
    client.close()


@pytest.mark.parametrize(
    ("status", "code"),
    [(500, "internal_server_error"), (503, "service_unavailable"), (504, "gateway_timeout")],
)
def test_fault_json_5xx(emu, client, org, status, code):
    emu.inject_fault(endpoint="data_sources.retrieve", status=status)
    with pytest.raises(APIResponseError) as error:
        client.data_sources.retrieve(data_source_id=org.humans_data_source_id)
    assert error.value.status == status and error.value.code == code


def test_fault_502_is_an_html_proxy_page(emu, client, org):
    emu.inject_fault(status=502)
    with pytest.raises(HTTPResponseError) as error:
        client.data_sources.query(data_source_id=org.humans_data_source_id)
    assert error.value.status == 502
    assert "<html>" in error.value.body
    assert error.value.headers["content-type"].startswith("text/html")


def test_fault_529_service_overload(emu, client, org):
    emu.inject_fault(endpoint="data_sources.query", status=529)
    with pytest.raises(HTTPResponseError) as error:
        client.data_sources.query(data_source_id=org.humans_data_source_id)
    assert error.value.status == 529
    assert json.loads(error.value.body)["code"] == "service_overload"


def test_sdk_retries_500_on_get_only(emu, org):
    client = make_client(emu, retry=RetryOptions(max_retries=2, initial_retry_delay_ms=10))
    emu.inject_fault(endpoint="data_sources.retrieve", status=500)
    assert client.data_sources.retrieve(data_source_id=org.humans_data_source_id)["properties"]
    emu.inject_fault(endpoint="data_sources.query", status=500)
    with pytest.raises(APIResponseError):
        client.data_sources.query(data_source_id=org.humans_data_source_id)
    assert emu.request_counts["data_sources.retrieve"] == 2
    assert emu.request_counts["data_sources.query"] == 1
    client.close()


def test_fault_drop_closes_the_connection(emu, client, org):
    emu.inject_fault(endpoint="data_sources.query", drop=True)
    with pytest.raises(httpx.TransportError):
        client.data_sources.query(data_source_id=org.humans_data_source_id)
    assert client.data_sources.query(data_source_id=org.humans_data_source_id)["results"]


def test_fault_delay_makes_the_client_time_out(emu, org):
    client = make_client(emu, timeout_ms=200)
    emu.inject_fault(endpoint="databases.retrieve", status=200, delay=0.6)
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError):
        client.databases.retrieve(database_id=org.humans_database_id)
    assert time.monotonic() - started < 0.5
    client.close()
    slow_ok = make_client(emu)
    emu.inject_fault(endpoint="databases.retrieve", status=200, delay=0.2)
    started = time.monotonic()
    assert slow_ok.databases.retrieve(database_id=org.humans_database_id)["id"]
    assert time.monotonic() - started >= 0.2
    slow_ok.close()


def test_fault_skip_and_count(emu, client, org):
    emu.inject_fault(endpoint="data_sources.query", status=503, skip=1, count=2)
    outcomes = []
    for _ in range(4):
        try:
            client.data_sources.query(data_source_id=org.humans_data_source_id, page_size=1)
            outcomes.append("ok")
        except APIResponseError as error:
            outcomes.append(error.status)
    assert outcomes == ["ok", 503, 503, "ok"]
    assert emu.request_counts["data_sources.query"] == 4


def test_inject_fault_rejects_unknown_endpoint(emu):
    with pytest.raises(ValueError):
        emu.inject_fault(endpoint="databases.query")


def test_request_counts_and_keep_alive(emu, org):
    emu.reset_counts()
    client = make_client(emu)
    client.databases.retrieve(database_id=org.humans_database_id)
    client.data_sources.retrieve(data_source_id=org.humans_data_source_id)
    query_all(client, org.humans_data_source_id)
    client.pages.properties.retrieve(page_id=org.big_direction_id, property_id="title")
    assert emu.request_counts == {
        "databases.retrieve": 1,
        "data_sources.retrieve": 1,
        "data_sources.query": 2,
        "pages.properties.retrieve": 1,
    }
    assert emu.connections_opened == 1  # one keep-alive connection for everything
    client.close()


def test_rate_limit_and_latency(org):
    with NotionEmulator(rate_limit_rps=2, latency=0.05) as emulator:
        emulator_org = build_organisation(emulator, humans=20, directions=4, seed=2)
        client = make_client(emulator)
        statuses = []
        started = time.monotonic()
        for _ in range(5):
            try:
                client.databases.retrieve(database_id=emulator_org.humans_database_id)
                statuses.append(200)
            except APIResponseError as error:
                assert error.code == "rate_limited"
                assert error.headers["retry-after"] == "1"
                statuses.append(429)
        assert time.monotonic() - started >= 5 * 0.05
        assert statuses[:2] == [200, 200] and statuses.count(429) >= 2
        time.sleep(0.6)
        assert client.databases.retrieve(database_id=emulator_org.humans_database_id)["id"]
        assert emulator.request_counts["databases.retrieve"] == 6
        client.close()


# --------------------------------------------------------------------------- sample data


def test_sample_organisation(org):
    assert len(org.human_ids) == 200 and len(org.direction_ids) == 12
    emulator = org.emulator
    for human_id, name in org.names.items():
        if human_id == org.untitled_human_id:
            assert name == ""
            continue
        surname, first, patronymic = name.split()
        female = patronymic.endswith("на")
        assert first in (_FEMALE_NAMES if female else _MALE_NAMES), name
        if surname.endswith(("ов", "ев", "ёв", "ин", "ий", "ой")):
            assert not female, name
        if surname.endswith(("ова", "ева", "ёва", "ина", "ая")):
            assert female, name
    handles = [h for h in org.telegram_by_human.values() if h]
    assert len(handles) == len(set(handles)) > 150
    written = list(org.telegram_written.values())
    assert any(w.startswith("@") for w in written)
    assert any(w.startswith("t.me/") for w in written)
    assert any(w.startswith("https://t.me/") for w in written)
    assert any(w.startswith("  @") and w != w.strip() for w in written)
    assert "" in written
    for human_id in org.invalid_telegram_human_ids:
        assert org.telegram_by_human[human_id] is None
        assert org.telegram_written[human_id] in ("иван", "@a", "not a handle!")
    assert org.statuses[org.departed_human_id] == "Ушёл" in INACTIVE_STATUSES
    assert org.statuses[org.vacation_human_id] == "В отпуске"
    assert emulator.page(org.untitled_human_id)["properties"]["ФИО"]["title"] == []
    assert all(emulator.page(h)["in_trash"] for h in org.trashed_human_ids)
    assert org.trashed_human_ids[0] in org.organisers[org.trashed_relation_direction_id]
    assert org.direction_statuses[org.closed_direction_id] == "Закрыто"
    assert org.direction_statuses[org.paused_direction_id] == "Пауза"
    assert org.direction_names[org.big_direction_id] == "Волонтёрский штаб"
    for direction_id in org.direction_ids:
        if direction_id != org.big_direction_id:
            live = [h for h in org.organisers[direction_id] if h not in org.trashed_human_ids]
            assert 1 <= len(live) <= 3
            assert len(org.deputies[direction_id]) <= 3
        members = org.organisers[direction_id] + org.deputies[direction_id]
        active = set(org.active_human_ids) | set(org.trashed_human_ids)
        assert set(members) <= active
    created = [emulator.page(h)["created_time"] for h in org.human_ids]
    assert len(set(created)) == 4  # 50 a minute
    assert max(emulator.page(d)["created_time"] for d in org.direction_ids) < dt.datetime.now(
        UTC
    ).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_sample_data_is_deterministic():
    start = dt.datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    pages = []
    for _ in range(2):
        emulator = NotionEmulator()
        org = build_organisation(emulator, humans=60, directions=5, seed=42, start=start)
        pages.append([emulator.page(h) for h in org.human_ids + org.direction_ids])
    assert pages[0] == pages[1]


def test_telegram_variants_normalise():
    for variant in telegram_handle_variants("ivan_petrov"):
        assert normalize_telegram(variant) == "ivan_petrov", variant
    for invalid in ("иван", "@a", "not a handle!", "", None):
        assert normalize_telegram(invalid) is None


def test_add_humans_keeps_handles_unique(org):
    emulator = org.emulator
    before = set(filter(None, org.telegram_by_human.values()))
    ids = add_humans(emulator, org.humans_database_id, 300, seed=1)  # same seed as the org
    try:
        new = set()
        for page_id in ids:
            rich = emulator.page(page_id)["properties"]["Telegram"]["rich_text"]
            handle = normalize_telegram("".join(t["plain_text"] for t in rich))
            if handle:
                assert handle not in before and handle not in new
                new.add(handle)
    finally:
        for page_id in ids:
            emulator.remove_page(page_id)


# --------------------------------------------------------------------------- CLI


def test_cli_serves_until_sigterm():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.notion_emulator", *CLI_ARGS],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        info = json.loads(line)
        assert set(info) == {"base_url", "token", "humans_database_id", "directions_database_id"}
        assert info["token"] == "secret_cli"
        client = Client(auth=info["token"], base_url=info["base_url"], logger=LOGGER, retry=False)
        db = client.databases.retrieve(database_id=info["humans_database_id"])
        results, _ = query_all(client, db["data_sources"][0]["id"])
        assert len(results) == 28  # two in the trash
        client.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
