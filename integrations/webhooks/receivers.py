"""After any run of a kind ends, its waiting webhook events get their refresh (the run may
have held the kind's lock while they arrived)."""

from __future__ import annotations

import logging

from integrations.models import NotionWebhookEvent

logger = logging.getLogger(__name__)


def on_sync_run_finished(sender, run, **kwargs) -> None:
    if run.trigger == "webhook" and run.status == "failed":
        return  # retried by the minute schedule, not in a loop of failures
    try:
        waiting = NotionWebhookEvent.objects.filter(
            kind=run.kind, status=NotionWebhookEvent.Status.PENDING
        ).exists()
        if waiting:
            from integrations.webhooks.services import webhook_refresh_request

            webhook_refresh_request(kind=run.kind)
    except Exception:
        logger.exception("Refresh after run #%s not asked for", run.pk)
