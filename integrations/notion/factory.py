"""Builds the Notion gateway from settings (one place reads the NOTION_* settings)."""

from django.conf import settings
from django.utils.translation import gettext as _

from integrations.notion.client import NotionGateway, RetryPolicy
from integrations.notion.errors import NotionConfigurationError
from integrations.notion.ratelimit import SharedRateLimit, bucket_key


def require_settings(*names: str) -> list[str]:
    """The values of these settings, or one error naming every one that is missing."""
    missing = [name for name in names if not getattr(settings, name, "")]
    if missing:
        raise NotionConfigurationError(
            _("%(names)s not set: add to the environment or .env (see .env.example).")
            % {"names": ", ".join(missing)}
        )
    return [getattr(settings, name) for name in names]


def require_setting(name: str) -> str:
    return require_settings(name)[0]


def notion_gateway() -> NotionGateway:
    token = require_setting("NOTION_TOKEN")
    return NotionGateway(
        token=token,
        base_url=settings.NOTION_API_BASE_URL,
        limiter=SharedRateLimit(
            key=bucket_key(token), max_rps=settings.NOTION_MAX_RPS, burst=settings.NOTION_BURST
        ),
        timeout=settings.NOTION_TIMEOUT,
        retry=RetryPolicy(
            max_retries=settings.NOTION_MAX_RETRIES,
            base_delay=settings.NOTION_RETRY_BASE_DELAY,
            max_delay=settings.NOTION_RETRY_MAX_DELAY,
        ),
    )
