"""The data source and schema are kept between runs: a quiet incremental run costs one
request; full runs read them again; a dry run stores nothing."""

from integrations.models import NotionSource, SyncRun
from people.models import Human


def test_quiet_incremental_run_costs_one_request(org, notion, sync):
    assert sync("all").code == 0
    notion.reset_counts()

    result = sync("all", "--incremental")

    assert result.code == 0, result.err
    runs = SyncRun.objects.filter(mode="incremental")
    assert [r.notion_requests for r in runs] == [1, 1]
    assert dict(notion.request_counts) == {"data_sources.query": 2}


def test_full_run_reads_the_schema_again(org, notion, sync):
    assert sync("humans").code == 0
    notion.reset_counts()

    assert sync("humans").code == 0

    assert notion.request_counts["databases.retrieve"] == 1
    assert notion.request_counts["data_sources.retrieve"] == 1


def test_dry_run_keeps_no_schema(org, sync):
    assert sync("humans", "--dry-run").code == 0

    assert not NotionSource.objects.exists()


def test_a_renamed_property_never_reads_as_empty_with_the_kept_schema(org, notion, sync):
    """An admin renames Status in Notion; an incremental run with the kept schema must not
    read "no status" and bring back a member who left (found by review)."""
    assert sync("humans").code == 0
    left = org.departed_human_id
    assert not Human.objects.get(notion_page_id=left).is_active
    notion.rename_property(org.humans_database_id, "Status", "Статус")
    notion.update_page(left, properties={"Email": "new.address@example.org"})

    result = sync("humans", "--incremental")

    run = SyncRun.objects.order_by("-id").first()
    assert result.code == 1
    assert run.status == "failed" and "Status" in run.error, run.error
    assert not Human.objects.get(notion_page_id=left).is_active
    assert notion.request_counts["data_sources.retrieve"] >= 2  # the schema was read again
