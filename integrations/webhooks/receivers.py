"""After any run of a kind ends, its waiting webhook events get their refresh (the run may
have held the kind's lock while they arrived)."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def on_sync_run_finished(sender, run, **kwargs) -> None:
    if run.trigger == "webhook" and run.status == "failed":
        return  # retried by the minute schedule after a back-off, not in a loop of failures
    try:
        from integrations.webhooks.services import webhook_refresh_pending

        webhook_refresh_pending(kinds=[run.kind])
    except Exception:
        logger.exception("Refresh after run #%s not asked for", run.pk)
