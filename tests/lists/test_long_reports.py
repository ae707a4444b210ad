"""A report longer than a Telegram message (many lists, long names) is clipped with how much
was left out: the end message and /lists always reach the chat."""

from __future__ import annotations

import re

from integrations.models import SyncRun
from lists.models import PeopleList
from tests.conftest import eventually

LISTS = 40


def many_lists(google, count: int = LISTS) -> None:
    for n in range(count):
        title = f"Регистрация на очень длинное мероприятие номер {n} " + "ж" * 120
        rows = [["ФИО", "Telegram"]] + [
            [f"Новиков{'а' * 60} Человек{n}-{i}", f"@person_{n}_{i}"] for i in range(12)
        ]
        sheet = google.sheet(rows, title=title)
        PeopleList.objects.create(
            name=title,
            spreadsheet_id=sheet.spreadsheet_id,
            sheet_title="Лист1",
            sheet_id=0,
            source_url=sheet.url,
        )


def test_the_end_message_of_many_lists_is_clipped_and_says_how_much_more(
    bot, organiser, google, worker, telegram
):
    many_lists(google)

    accepted = organiser.say("/sync_lists")
    eventually(lambda: worker.queued(), what="task queued")
    worker.run_queued()
    end = telegram.wait_for_message(organiser.id, after=accepted.message_id)

    run = SyncRun.objects.get(kind="lists")
    assert run.status == "succeeded"
    assert len(end.text) <= 4096
    assert f"#{run.pk}" in end.text
    assert re.search(r"… and \d+ more", end.text)


def test_lists_of_many_lists_is_clipped_and_says_how_many_more(bot, organiser, google):
    many_lists(google)

    reply = organiser.say("/lists")

    assert len(reply.text) <= 4096
    assert re.search(r"… and \d+ more lists", reply.text)
