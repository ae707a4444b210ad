"""The data source and schema each kind's Notion database resolves to, kept in the database
(`NotionSource`) between runs.

Full runs always read them from Notion again; incremental runs reuse what is younger than
NOTION_SCHEMA_MAX_AGE_SECONDS (so a quiet incremental run costs one request); the webhook
endpoint reads the stored data source ids to tell which kind an event is for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from integrations.models import NotionSource

_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)  # older than any NOTION_SCHEMA_MAX_AGE_SECONDS


@dataclass(frozen=True)
class Source:
    data_source_id: str
    title: str
    properties: dict
    #: read from our database rather than from Notion in this call
    cached: bool


def notion_source_resolve(
    *,
    kind: str,
    database_id: str,
    gateway: Any,
    max_age: float | None = None,
    store: bool = True,
) -> Source:
    """The kind's data source: from the stored copy when it is for this database and younger
    than `max_age` seconds (None or 0: always from Notion), else from Notion (and stored,
    unless `store` is false: a dry run writes nothing)."""
    if max_age:
        kept = NotionSource.objects.filter(
            kind=kind,
            database_id=database_id,
            resolved_at__gte=timezone.now() - timedelta(seconds=max_age),
        ).first()
        if kept is not None:
            return Source(kept.data_source_id, kept.title, kept.properties, cached=True)
    data_source_id = gateway.resolve_data_source(database_id)
    source = gateway.retrieve_data_source(data_source_id)
    title = "".join(t.get("plain_text", "") for t in source.get("title", []))
    properties = source.get("properties", {})
    if store:
        NotionSource.objects.update_or_create(
            kind=kind,
            defaults={
                "database_id": database_id,
                "data_source_id": data_source_id,
                "title": title[:300],
                "properties": properties,
                "resolved_at": timezone.now(),
            },
        )
    return Source(data_source_id, title, properties, cached=False)


def notion_source_forget(*, kind: str) -> None:
    """The stored schema is out of date (a schema webhook, a page without a mapped
    property): the next run reads it from Notion. The data source id stays: the webhook
    still needs it to tell which kind an event is for."""
    NotionSource.objects.filter(kind=kind).update(resolved_at=_LONG_AGO)


def notion_source_kind(*, data_source_id: str) -> str | None:
    """Which kind syncs this data source, as far as the last runs know."""
    return (
        NotionSource.objects.filter(data_source_id=data_source_id)
        .values_list("kind", flat=True)
        .first()
    )
