"""An edit in Notion reaches the database through the webhook in seconds: real gunicorn and
qcluster processes, the emulator delivering signed webhooks over HTTP."""

from __future__ import annotations

import pytest
from django.utils import timezone

from integrations import services
from integrations.models import NotionSource, NotionWebhookEvent, SyncRun, WebhookTally
from people.models import Human
from sandbox.sample_data import HUMANS_SCHEMA
from tests.conftest import eventually, run_command
from tests.webhooks.conftest import refreshes, settled

pytestmark = pytest.mark.e2e


def member(org, index: int = 0) -> Human:
    """The index-th active member with a name (the sample has an untitled page)."""
    named = [page_id for page_id in org.active_human_ids if org.names.get(page_id)]
    return Human.objects.get(notion_page_id=named[index])


def test_a_rename_in_notion_lands_in_the_database(mirrored, notion_server):
    human = member(mirrored)

    notion_server.update_page(human.notion_page_id, properties={"ФИО": "Переименован Пётр"})

    eventually(
        lambda: Human.objects.get(pk=human.pk).full_name == "Переименован Пётр",
        timeout=30,
        what="the new name in the database",
    )
    eventually(settled, timeout=30, what="the refresh to end")
    (run,) = refreshes()
    assert (run.status, run.mode, run.updated, run.notion_requests) == ("succeeded", "pages", 1, 1)
    event = NotionWebhookEvent.objects.get(entity_id=human.notion_page_id)
    assert (event.status, event.run_id) == ("done", run.pk)


def test_a_new_page_in_notion_becomes_a_human(mirrored, notion_server):
    page_id = notion_server.add_page(
        mirrored.humans_database_id,
        properties={"ФИО": "Новенькая Анна", "Telegram": "@new_anna", "Status": "Активен"},
    )

    eventually(
        lambda: Human.objects.filter(notion_page_id=page_id, is_active=True).exists(),
        timeout=30,
        what="the new human",
    )
    assert Human.objects.get(notion_page_id=page_id).telegram_username == "new_anna"


def test_trash_deactivates_after_notion_confirms_and_restore_brings_back(mirrored, notion_server):
    human = member(mirrored, 1)

    notion_server.trash_page(human.notion_page_id)
    eventually(lambda: not Human.objects.get(pk=human.pk).is_active, timeout=30, what="trash")
    eventually(settled, timeout=30, what="the first refresh to end")
    notion_server.update_page(human.notion_page_id, in_trash=False)

    eventually(lambda: Human.objects.get(pk=human.pk).is_active, timeout=30, what="restore")
    types = set(
        NotionWebhookEvent.objects.filter(entity_id=human.notion_page_id).values_list(
            "type", flat=True
        )
    )
    assert {"page.deleted", "page.undeleted"} <= types


def test_a_page_moved_out_of_humans_is_deactivated(mirrored, notion_server):
    human = member(mirrored, 2)
    archive = notion_server.add_database(title="Архив", properties=HUMANS_SCHEMA)

    notion_server.move_page(human.notion_page_id, archive.database_id)

    eventually(lambda: not Human.objects.get(pk=human.pk).is_active, timeout=30, what="moved")


def test_duplicate_deliveries_are_applied_once(mirrored, notion_server, webhooks):
    human = member(mirrored, 3)
    webhooks.duplicate(1)

    notion_server.update_page(human.notion_page_id, properties={"Email": "twice@example.org"})

    eventually(
        lambda: Human.objects.get(pk=human.pk).email == "twice@example.org",
        timeout=30,
        what="the new e-mail",
    )
    webhooks.wait_idle()
    eventually(settled, timeout=30, what="the refresh to end")
    assert NotionWebhookEvent.objects.filter(entity_id=human.notion_page_id).count() == 1
    assert WebhookTally.objects.get(name="duplicate").count >= 1
    assert len(refreshes()) == 1


def test_events_delivered_out_of_order_end_in_notions_state(mirrored, notion_server, webhooks):
    human = member(mirrored, 4)
    notion_server.trash_page(human.notion_page_id)
    eventually(lambda: not Human.objects.get(pk=human.pk).is_active, timeout=30, what="trash")
    webhooks.wait_idle()
    eventually(settled, timeout=30, what="the first refresh to end")
    webhooks.reorder(2)  # the rename arrives before the restore

    notion_server.update_page(human.notion_page_id, in_trash=False)
    notion_server.update_page(human.notion_page_id, properties={"ФИО": "Вернулась Снова"})

    eventually(
        lambda: Human.objects.filter(pk=human.pk, is_active=True, full_name="Вернулась Снова"),
        timeout=30,
        what="Notion's final state: back, with the new name",
    )


def test_a_page_moved_under_an_ordinary_page_is_deactivated(mirrored, notion_server):
    """Offboarding by moving someone's page to an "Archive" page: out of the database, with
    only a title left (found by review)."""
    human = member(mirrored, -1)

    notion_server.move_page_under_page(human.notion_page_id, "2b5f7a9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c")

    eventually(lambda: not Human.objects.get(pk=human.pk).is_active, timeout=30, what="moved")


def test_a_page_moved_from_humans_to_directions_leaves_humans(mirrored, notion_server):
    human = member(mirrored, -2)

    notion_server.move_page(human.notion_page_id, mirrored.directions_database_id)

    eventually(lambda: not Human.objects.get(pk=human.pk).is_active, timeout=30, what="moved")
    kinds = set(
        NotionWebhookEvent.objects.filter(entity_id=human.notion_page_id).values_list(
            "kind", flat=True
        )
    )
    assert kinds == {"humans", "directions"}


def test_a_wrong_signature_changes_nothing_and_polling_covers_a_lost_event(
    mirrored, notion_server, webhooks
):
    forged, lost = member(mirrored, 5), member(mirrored, 6)
    webhooks.bad_signature(1)
    notion_server.update_page(forged.notion_page_id, properties={"ФИО": "Подделка"})
    webhooks.wait_idle()
    webhooks.drop(1)
    notion_server.update_page(lost.notion_page_id, properties={"ФИО": "Потерянное событие"})
    webhooks.wait_idle()
    eventually(settled, timeout=30, what="quiet")

    assert Human.objects.get(pk=forged.pk).full_name != "Подделка"
    assert Human.objects.get(pk=lost.pk).full_name != "Потерянное событие"
    assert WebhookTally.objects.get(name="refused").count >= 1
    assert not refreshes()
    assert run_command("sync", "humans", "--incremental").code == 0  # the polling fallback
    assert Human.objects.get(pk=forged.pk).full_name == "Подделка"
    assert Human.objects.get(pk=lost.pk).full_name == "Потерянное событие"


def test_an_event_during_a_full_run_is_applied_after_it(mirrored, notion_server):
    human = member(mirrored, 7)
    (busy,) = services.sync_runs_create(
        kind="humans", trigger=SyncRun.Trigger.CLI, dry_run=True, claim=True
    )

    notion_server.update_page(human.notion_page_id, properties={"ФИО": "После полной"})
    eventually(
        lambda: NotionWebhookEvent.objects.filter(
            entity_id=human.notion_page_id, status="pending"
        ).exists(),
        timeout=30,
        what="the event waiting",
    )
    assert not refreshes()  # the kind's lock is taken: the event waits, it is not lost
    services.sync_runs_execute(runs=[busy])  # a dry run: it writes nothing itself

    eventually(
        lambda: Human.objects.get(pk=human.pk).full_name == "После полной",
        timeout=30,
        what="the change applied after the run",
    )
    assert [r.status for r in refreshes()] == ["succeeded"]


def test_a_burst_of_100_edits_is_a_few_runs_and_at_most_110_requests(mirrored, notion_server):
    pages = mirrored.active_human_ids[10:110]
    before = sum(notion_server.request_counts.values())

    for n, page_id in enumerate(pages):
        notion_server.update_page(page_id, properties={"Email": f"burst{n}@example.org"})

    eventually(
        lambda: Human.objects.filter(email__startswith="burst").count() == len(pages),
        timeout=60,
        what="all 100 edits",
    )
    eventually(settled, timeout=30, what="the refreshes to end")
    runs = refreshes()
    assert 1 <= len(runs) <= 5, [(r.pk, r.fetched) for r in runs]
    assert sum(r.notion_requests for r in runs) <= 110
    assert sum(notion_server.request_counts.values()) - before <= 110


def test_a_schema_change_forgets_the_kept_schema_and_checks_it(mirrored, notion_server):
    assert NotionSource.objects.filter(kind="humans").exists()

    notion_server.notify_schema_updated(mirrored.humans_database_id)

    eventually(
        lambda: NotionWebhookEvent.objects.filter(
            type="data_source.schema_updated", status="done"
        ).exists(),
        timeout=30,
        what="the schema checked",
    )
    kept = NotionSource.objects.get(kind="humans")  # the id stays: later events need it
    assert (timezone.now() - kept.resolved_at).days > 365  # the schema is read again next run
    page_id = notion_server.add_page(
        mirrored.humans_database_id, properties={"ФИО": "Пришла После Схемы", "Status": "Активен"}
    )
    eventually(
        lambda: Human.objects.filter(notion_page_id=page_id).exists(),
        timeout=30,
        what="a page created after the schema event",
    )
