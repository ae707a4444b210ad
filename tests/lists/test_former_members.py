"""Former members (inactive in Notion) are not our people: never matched, and reported as
former members rather than as newcomers."""

from __future__ import annotations

from lists.models import ListEntry
from people.models import Human


def test_a_former_member_is_not_matched_and_is_reported_as_former(google, import_list, db):
    Human.objects.create(
        notion_page_id="00000000-0000-4000-8000-0000000000f1",
        full_name="Орлова Вера",
        telegram_username="faina_orlova",
        is_active=False,
    )
    sheet = google.sheet(
        [["ФИО", "Telegram"], ["Орлова Вера", "@Faina_Orlova"], ["Новиков Глеб", "@gleb_n"]]
    )

    result = import_list(sheet.spreadsheet_id)

    assert result.code == 0, result.err
    former = ListEntry.objects.get(telegram_username="faina_orlova")
    assert (former.human, former.match) == (None, "")
    assert "our people: 0" in result.out
    assert "new (not among our people): 1 — Глеб" in result.out
    assert "former members (inactive in Notion): 1 — Вера" in result.out
