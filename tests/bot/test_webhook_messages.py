"""What chats hear of the webhook's work: nothing per edit, failures, schema problems."""

from __future__ import annotations

import uuid

from django.utils import timezone

from integrations import tasks
from integrations.models import NotionWebhookEvent
from tests.bot.test_subscriptions import subscribe


def refresh_for(org, page_id: str, worker) -> None:
    NotionWebhookEvent.objects.create(
        event_id=str(uuid.uuid4()),
        type="page.properties_updated",
        entity_id=page_id,
        entity_type="page",
        data_source_id=org.humans_data_source_id,
        kind="humans",
        occurred_at=timezone.now(),
        received_at=timezone.now(),
    )
    NotionWebhookEvent.objects.update(received_at=timezone.now() - timezone.timedelta(seconds=30))
    assert tasks.refresh_pending_webhook_events() == 1
    worker.run_queued()


def test_a_subscriber_hears_of_the_first_failed_refresh_only(
    bot, org_member, org, notion, telegram, worker, sync, settings
):
    settings.NOTION_WEBHOOK_RETRY_SECONDS = 0
    assert sync("humans").code == 0
    worker.run_queued()
    subscribe(org_member, telegram)
    before = org_member.messages()[-1].message_id

    refresh_for(org, org.active_human_ids[3], worker)  # succeeds: one edit, no message
    quiet = [m for m in org_member.messages() if m.message_id > before]
    notion.inject_fault(endpoint="pages.retrieve", status=503, count=10_000)
    refresh_for(org, org.active_human_ids[4], worker)  # fails: the subscriber is told

    told = telegram.wait_for_message(org_member.id, after=before)
    refresh_for(org, org.active_human_ids[5], worker)  # fails again: a retry, not news

    assert quiet == []
    assert "a change in Notion" in told.text
    assert "❌" in told.text or "failed" in told.text.lower()
    later = [m for m in org_member.messages() if m.message_id > told.message_id]
    assert later == []


def test_subscribers_hear_when_a_schema_change_breaks_the_mapping(
    bot, org_member, org, settings, telegram, worker, sync
):
    assert sync("humans").code == 0
    worker.run_queued()
    subscribe(org_member, telegram)
    before = org_member.messages()[-1].message_id
    settings.NOTION_HUMANS_FIELDS = {**settings.NOTION_HUMANS_FIELDS, "phone": "Мобильный"}

    problems = worker.call(tasks.notion_schema_check, "humans")

    told = telegram.wait_for_message(org_member.id, after=before)
    assert any("Мобильный" in p for p in problems), problems
    assert "Мобильный" in told.text and "changed" in told.text
