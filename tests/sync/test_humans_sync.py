"""End-to-end syncs of Humans: `manage.py sync` -> notion-client -> emulator over HTTP."""

from __future__ import annotations

import math

from integrations.models import SyncRun
from people.models import Human


def last_run(kind: str = "humans") -> SyncRun:
    return SyncRun.objects.filter(kind=kind).latest("id")


def snapshot() -> list[tuple]:
    return list(
        Human.objects.order_by("notion_page_id").values_list(
            "notion_page_id",
            "full_name",
            "telegram_username",
            "telegram_user_id",
            "email",
            "phone",
            "status",
            "is_active",
        )
    )


def test_full_sync_copies_every_readable_human(org, notion, sync):
    result = sync("humans")

    assert result.code == 0, result.err
    live = notion.page_ids(org.humans_database_id)  # trashed pages are not returned
    run = last_run()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.trigger == SyncRun.Trigger.CLI
    assert run.fetched == len(live)
    assert run.skipped == 1  # the page with no title
    assert run.created == len(live) - 1
    assert Human.objects.count() == len(live) - 1
    assert f"#{run.pk}" in result.out


def test_full_sync_uses_the_minimum_of_notion_requests(org, notion, sync):
    notion.reset_counts()
    sync("humans")

    live = len(notion.page_ids(org.humans_database_id))
    run = last_run()
    assert run.notion_requests == 2 + math.ceil(live / 100)
    assert sum(notion.request_counts.values()) == run.notion_requests


def test_handles_are_normalised_and_invalid_ones_warned(org, sync):
    sync("humans")

    handles = list(
        Human.objects.exclude(telegram_username=None).values_list("telegram_username", flat=True)
    )
    assert handles
    assert all(h == h.lower() and not h.startswith("@") and "/" not in h for h in handles)
    assert any("Telegram" in w for w in last_run().warnings)


def test_member_who_left_is_kept_inactive(org, sync):
    sync("humans")

    departed = Human.objects.get(notion_page_id=org.departed_human_id)
    assert departed.is_active is False
    assert departed.status == "Ушёл"


def test_untitled_page_is_skipped_with_a_warning(org, sync):
    sync("humans")

    assert not Human.objects.filter(notion_page_id=org.untitled_human_id).exists()
    assert any(
        org.untitled_human_id.replace("-", "") in w.replace("-", "") for w in last_run().warnings
    )


def test_second_full_sync_writes_nothing(org, sync):
    sync("humans")
    before = dict(Human.objects.values_list("notion_page_id", "synced_at"))

    result = sync("humans")

    run = last_run()
    assert result.code == 0
    assert (run.created, run.updated, run.deactivated) == (0, 0, 0)
    assert run.unchanged == Human.objects.count()
    assert dict(Human.objects.values_list("notion_page_id", "synced_at")) == before


def test_incremental_sync_picks_up_an_edit(org, notion, sync):
    sync("humans")
    page_id = Human.objects.filter(is_active=True).first().notion_page_id
    notion.update_page(page_id, properties={"Email": "new.address@example.org"})
    notion.reset_counts()

    result = sync("humans", "--incremental")

    run = last_run()
    assert result.code == 0, result.err
    assert run.mode == SyncRun.Mode.INCREMENTAL
    assert run.updated == 1 and run.created == 0
    assert Human.objects.get(notion_page_id=page_id).email == "new.address@example.org"
    # 3, plus one more pass: an edit in the run's own minute may have happened mid-run
    assert run.notion_requests <= 4


def test_no_change_incremental_sync_writes_no_row(org, sync):
    sync("humans")
    before = dict(Human.objects.values_list("notion_page_id", "synced_at"))

    sync("humans", "--incremental")

    run = last_run()
    assert (run.created, run.updated, run.deactivated) == (0, 0, 0)
    assert run.notion_requests <= 3
    assert dict(Human.objects.values_list("notion_page_id", "synced_at")) == before


def test_first_incremental_sync_falls_back_to_full_and_says_so(org, sync):
    result = sync("humans", "--incremental")

    run = last_run()
    assert result.code == 0
    assert Human.objects.count() > 0
    assert run.mode == SyncRun.Mode.FULL
    assert len(run.warnings) > len([w for w in run.warnings if "Telegram" in w or "http" in w])


def test_changed_handle_unbinds_the_telegram_account(org, notion, sync):
    sync("humans")
    human = Human.objects.exclude(telegram_username=None).filter(is_active=True).first()
    Human.objects.filter(pk=human.pk).update(telegram_user_id=777)
    notion.update_page(human.notion_page_id, properties={"Telegram": "@Brand_New_Handle"})

    sync("humans")

    human.refresh_from_db()
    assert human.telegram_username == "brand_new_handle"
    assert human.telegram_user_id is None


def test_unchanged_handle_keeps_the_binding(org, notion, sync):
    sync("humans")
    human = Human.objects.exclude(telegram_username=None).filter(is_active=True).first()
    Human.objects.filter(pk=human.pk).update(telegram_user_id=777)
    notion.update_page(human.notion_page_id, properties={"Email": "other@example.org"})

    sync("humans")

    human.refresh_from_db()
    assert human.telegram_user_id == 777


def test_trashed_page_deactivates_the_human_without_deleting(org, notion, sync):
    sync("humans")
    page_id = Human.objects.filter(is_active=True).first().notion_page_id
    notion.trash_page(page_id)

    sync("humans")

    human = Human.objects.get(notion_page_id=page_id)
    assert human.is_active is False
    assert last_run().deactivated == 1


def test_mass_deactivation_is_refused_and_changes_nothing(org, notion, sync):
    sync("humans")
    before = snapshot()
    for page_id in org.human_ids[:30]:
        notion.trash_page(page_id)

    result = sync("humans")

    assert result.code == 1
    assert "--allow-mass-deactivation" in result.err
    assert last_run().status == SyncRun.Status.FAILED
    assert snapshot() == before


def test_lost_access_never_wipes_the_organisation(org, notion, sync):
    sync("humans")
    before = snapshot()
    for page_id in notion.page_ids(org.humans_database_id):
        notion.remove_page(page_id)

    result = sync("humans")

    assert result.code == 1
    assert snapshot() == before


def test_mass_deactivation_passes_when_allowed(org, notion, sync):
    sync("humans")
    active = list(Human.objects.filter(is_active=True).values_list("notion_page_id", flat=True))
    for page_id in active[:30]:
        notion.trash_page(page_id)

    result = sync("humans", "--allow-mass-deactivation")

    assert result.code == 0, result.err
    assert last_run().deactivated == 30


def test_dry_run_reports_but_writes_nothing(org, sync):
    result = sync("humans", "--dry-run")

    run = last_run()
    assert result.code == 0
    assert run.dry_run and run.created > 0
    assert Human.objects.count() == 0


def test_unshared_database_fails_with_a_readable_reason(org, notion, sync):
    notion.set_shared(org.humans_database_id, False)

    result = sync("humans")

    assert result.code == 1
    assert org.humans_database_id in last_run().error
    assert "Traceback" not in result.err


def test_page_with_odd_values_is_skipped_and_the_run_goes_on(org, notion, sync):
    sync("humans")
    odd = Human.objects.filter(is_active=True).first()
    # Values no schema allows, as an API change or a corrupt page might send them.
    page = notion.database(org.humans_database_id).pages[odd.notion_page_id]
    page.props["Status"] = "not an object"
    notion.update_page(odd.notion_page_id, properties={})

    result = sync("humans")

    run = last_run()
    assert result.code == 0, result.err
    assert run.skipped == 2  # the untitled page and this one
    assert any(odd.full_name in w for w in run.warnings)
    odd.refresh_from_db()
    assert odd.is_active  # skipped, never deactivated or blanked
