"""The optional Notion property with a person's numeric Telegram id (NOTION_HUMANS_FIELDS
`telegram_id=…`), read from a number or a text property."""

from __future__ import annotations

import pytest

from integrations.models import SyncRun
from people.models import Human
from sandbox.sample_data import HUMANS_SCHEMA


@pytest.mark.parametrize("kind", ["number", "rich_text"])
def test_the_telegram_id_property_is_synced(kind, notion, settings, sync):
    schema = {**HUMANS_SCHEMA, "Telegram ID": {"type": kind, kind: {}}}
    database = notion.add_database(title="Люди", properties=schema)
    value = (lambda n: n) if kind == "number" else (lambda n: str(n))
    pages = {
        "good": notion.add_page(
            database, properties={"ФИО": "Анна Кузнецова", "Telegram ID": value(700_000_001)}
        ),
        "empty": notion.add_page(database, properties={"ФИО": "Борис Без Айди"}),
    }
    if kind == "rich_text":
        pages["junk"] = notion.add_page(
            database, properties={"ФИО": "Вера Опечатка", "Telegram ID": "@vera"}
        )
    settings.NOTION_HUMANS_DATABASE_ID = database.database_id
    settings.NOTION_HUMANS_FIELDS = {
        "telegram": "Telegram",
        "telegram_id": "Telegram ID",
        "status": "Status",
    }

    result = sync("humans")

    assert result.code == 0, result.err
    ids = dict(Human.objects.values_list("notion_page_id", "notion_telegram_user_id"))
    assert ids[pages["good"]] == 700_000_001
    assert ids[pages["empty"]] is None
    if kind == "rich_text":
        assert ids[pages["junk"]] is None
        run = SyncRun.objects.get()
        assert any("@vera" in w for w in run.warnings), run.warnings


@pytest.fixture
def humans_with_telegram_ids(notion, settings):
    """A Humans database with a Telegram ID property, wired in settings."""
    schema = {**HUMANS_SCHEMA, "Telegram ID": {"type": "number", "number": {}}}
    database = notion.add_database(title="Люди", properties=schema)
    settings.NOTION_HUMANS_DATABASE_ID = database.database_id
    settings.NOTION_HUMANS_FIELDS = {
        "telegram": "Telegram",
        "telegram_id": "Telegram ID",
        "status": "Status",
    }
    return database


def bound_member(notion, database, sync, *, bound_to: int) -> str:
    """A person with a handle and no id in Notion, bound by the bot to `bound_to`."""
    page = notion.add_page(database, properties={"ФИО": "Алиса Владелец", "Telegram": "alice_x"})
    assert sync("humans").code == 0
    Human.objects.filter(notion_page_id=page).update(telegram_user_id=bound_to)
    return page


def test_an_id_written_in_notion_clears_a_binding_it_contradicts(
    notion, humans_with_telegram_ids, sync
):
    page = bound_member(notion, humans_with_telegram_ids, sync, bound_to=111_000_111)
    notion.update_page(page, properties={"Telegram ID": 222_000_222})  # the real owner's

    assert sync("humans").code == 0

    human = Human.objects.get(notion_page_id=page)
    assert (human.notion_telegram_user_id, human.telegram_user_id) == (222_000_222, None)


def test_an_id_written_in_notion_keeps_the_binding_it_confirms(
    notion, humans_with_telegram_ids, sync
):
    page = bound_member(notion, humans_with_telegram_ids, sync, bound_to=111_000_111)
    notion.update_page(page, properties={"Telegram ID": 111_000_111})

    assert sync("humans").code == 0

    assert Human.objects.get(notion_page_id=page).telegram_user_id == 111_000_111
