from integrations.models import SyncRun


def test_missing_token_is_one_line_naming_the_variable(settings, sync):
    settings.NOTION_TOKEN = ""

    result = sync("humans")

    assert result.code == 1
    assert "NOTION_TOKEN" in result.err
    assert "Traceback" not in result.err
    assert SyncRun.objects.get().status == SyncRun.Status.FAILED


def test_missing_database_id_names_the_variable(settings, notion, sync):
    settings.NOTION_HUMANS_DATABASE_ID = ""

    result = sync("humans")

    assert result.code == 1
    assert "NOTION_HUMANS_DATABASE_ID" in result.err


def test_wrong_token_fails_readably(org, settings, sync):
    settings.NOTION_TOKEN = "secret_wrong"

    result = sync("humans")

    assert result.code == 1
    assert "NOTION_TOKEN" in SyncRun.objects.get().error


def test_mapping_to_a_missing_property_names_the_setting(org, settings, sync):
    settings.NOTION_HUMANS_FIELDS = {**settings.NOTION_HUMANS_FIELDS, "email": "E-mail"}

    result = sync("humans")

    assert result.code == 1
    assert "NOTION_HUMANS_FIELDS" in SyncRun.objects.get().error
    assert "E-mail" in SyncRun.objects.get().error
