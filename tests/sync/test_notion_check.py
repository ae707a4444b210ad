"""`manage.py notion_check` against the emulator."""

from tests.conftest import run_command


def test_check_passes_on_a_workspace_with_default_names(org, db):
    result = run_command("notion_check")

    assert result.code == 0, result.out + result.err
    assert "ФИО" in result.out  # the title, found by type whatever its name
    assert "Organizers" in result.out


def test_check_names_a_property_that_is_missing(org, settings, db):
    settings.NOTION_HUMANS_FIELDS = {**settings.NOTION_HUMANS_FIELDS, "phone": "Телефон"}

    result = run_command("notion_check")

    assert result.code == 1
    assert "Телефон" in result.out


def test_check_names_a_property_of_the_wrong_type(org, settings, db):
    settings.NOTION_DIRECTIONS_FIELDS = {
        **settings.NOTION_DIRECTIONS_FIELDS,
        "organizers": "Status",
    }

    result = run_command("notion_check")

    assert result.code == 1
    line = next(line for line in result.out.splitlines() if "organizers" in line)
    assert "select" in line


def test_check_lists_missing_settings_without_calling_notion(settings, notion, db):
    settings.NOTION_TOKEN = ""
    settings.NOTION_HUMANS_DATABASE_ID = ""

    result = run_command("notion_check")

    assert result.code == 1
    assert "NOTION_TOKEN" in result.out and "NOTION_HUMANS_DATABASE_ID" in result.out
    assert sum(notion.request_counts.values()) == 0


def test_check_reports_an_unshared_database(org, notion, db):
    notion.set_shared(org.directions_database_id, False)

    result = run_command("notion_check")

    assert result.code == 1
    assert org.directions_database_id in result.out
