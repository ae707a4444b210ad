"""Builds the Notion gateway from settings (one place reads the NOTION_* settings)."""

from django.conf import settings
from django.utils.translation import gettext as _

from integrations.notion.client import NotionGateway, RetryPolicy
from integrations.notion.errors import NotionConfigurationError


def require_setting(name: str) -> str:
    value = getattr(settings, name, "")
    if not value:
        raise NotionConfigurationError(
            _("%(name)s is not set: add it to the environment or .env.") % {"name": name}
        )
    return value


def notion_gateway() -> NotionGateway:
    return NotionGateway(
        token=require_setting("NOTION_TOKEN"),
        base_url=settings.NOTION_API_BASE_URL,
        max_rps=settings.NOTION_MAX_RPS,
        timeout=settings.NOTION_TIMEOUT,
        retry=RetryPolicy(
            max_retries=settings.NOTION_MAX_RETRIES,
            base_delay=settings.NOTION_RETRY_BASE_DELAY,
            max_delay=settings.NOTION_RETRY_MAX_DELAY,
        ),
    )
