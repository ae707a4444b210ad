"""Importing a list that was switched off switches it on again: the same list, its entries
kept, re-imported by the next runs; never a second list."""

from __future__ import annotations

from lists.models import PeopleList


def test_importing_a_switched_off_list_switches_it_on(google, import_list, db):
    sheet = google.sheet([["ФИО", "Telegram"], ["Анна", "@anna_a"]])
    assert import_list(sheet.spreadsheet_id).code == 0
    people_list = PeopleList.objects.get()
    PeopleList.objects.filter(pk=people_list.pk).update(is_active=False)

    result = import_list(sheet.spreadsheet_id)

    assert result.code == 0, result.err
    (again,) = PeopleList.objects.all()
    assert (again.pk, again.is_active) == (people_list.pk, True)
    assert again.entries.count() == 1
    assert "(switched on again" in result.out
