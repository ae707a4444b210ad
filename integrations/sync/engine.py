"""The Notion data source -> model sync shared by Humans and Directions.

Fetch (in a background thread, overlapping with decoding) -> decode -> stage on disk ->
apply in one short transaction: batch upserts with `bulk_create(update_conflicts=True)`,
unchanged rows not written, soft deactivation behind the mass-deactivation guard. A dry run
does all of it and rolls back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.notion.factory import require_settings
from integrations.notion.properties import (
    UnknownPropertyType,
    decode_value,
    parse_datetime,
    property_item_value,
)
from integrations.notion.schema import ResolvedSchema, resolve_schema
from integrations.sync.base import (
    MassDeactivationRefused,
    SyncContext,
    SyncCounts,
    prefetch,
)
from integrations.sync.staging import Staging

logger = logging.getLogger(__name__)


class SkipPage(Exception):
    """This page cannot be read; the message says why (becomes a run warning)."""


def page_label(page: dict, title: str = "") -> str:
    return (
        f"«{title}» ({page.get('url') or page['id']})" if title else (page.get("url") or page["id"])
    )


class NotionModelSync:
    """Subclasses name the model, the settings and the rules, and decode a page."""

    model: type[models.Model]
    database_setting: str
    fields_setting: str
    rules: dict[str, tuple[str, ...]]
    #: model fields every run owns (the title's column and activity)
    base_columns: tuple[str, ...]
    #: mapping field -> model columns it fills (relations fill none)
    field_columns: dict[str, tuple[str, ...]] = {}

    # -- hooks --------------------------------------------------------------------------
    def decode(self, page: dict, values: dict[str, Any], title: str, ctx: SyncContext) -> dict:
        """Model values of one page; keys starting with `_` are for `after_batch` only."""
        raise NotImplementedError

    def columns(self, schema: ResolvedSchema) -> list[str]:
        """The columns this run compares and writes: unmapped fields are left alone."""
        cols = list(self.base_columns)
        for field_name in schema.fields:
            cols.extend(c for c in self.field_columns.get(field_name, ()) if c not in cols)
        return cols

    def update_groups(self, old: dict, new: dict) -> tuple[str, ...]:
        """Extra columns to write for this row (e.g. clearing a binding)."""
        return ()

    def after_batch(self, batch: list[dict], ctx: SyncContext, changed: set[str]) -> set[str]:
        """Called in the apply transaction after each batch; returns page ids changed."""
        return set()

    # -- the run ------------------------------------------------------------------------
    def __call__(self, ctx: SyncContext) -> SyncCounts:
        _token, database_id = require_settings("NOTION_TOKEN", self.database_setting)
        gateway = ctx.gateway()
        data_source_id = gateway.resolve_data_source(database_id)
        source = gateway.retrieve_data_source(data_source_id)
        schema = resolve_schema(
            data_source_id=data_source_id,
            properties=source.get("properties", {}),
            mapping=getattr(settings, self.fields_setting),
            rules=self.rules,
            setting=self.fields_setting,
        )
        columns = self.columns(schema)
        counts = ctx.counts
        seen: set[str] = set()
        with Staging(batch_size=settings.SYNC_BATCH_SIZE) as staging:
            ctx.progress("fetching")
            for page in prefetch(self._pages(gateway, schema, ctx)):
                page_id = page["id"]
                if page_id in seen:
                    continue
                seen.add(page_id)
                counts.fetched += 1
                try:
                    record = self._decode_page(page, schema, ctx)
                except SkipPage as exc:
                    counts.skipped += 1
                    ctx.warn(str(exc))
                else:
                    staging.add(record)
                ctx.progress("fetching")
            ctx.progress("applying")
            with transaction.atomic():
                self._apply(staging, seen, columns, ctx)
                if ctx.dry_run:
                    transaction.set_rollback(True)
        return counts

    def _pages(self, gateway: Any, schema: ResolvedSchema, ctx: SyncContext) -> Iterator[dict]:
        """Pages with truncated relation / people values completed (runs in the fetch thread)."""
        window = "created_time" if ctx.full else "last_edited_time"
        paginated = [p for p in schema.fields.values() if p.type in ("relation", "people")]
        for page in gateway.iter_pages(schema.data_source_id, window=window, since=ctx.since):
            for prop in paginated:
                value = page.get("properties", {}).get(prop.name)
                if value and value.get("has_more"):
                    items = gateway.property_items(page["id"], prop.id)
                    if prop.type == "relation":
                        value["relation"] = [
                            {"id": property_item_value(i)}
                            for i in items
                            if i.get("type") == "relation"
                        ]
                    else:
                        value["people"] = [i["people"] for i in items if i.get("type") == "people"]
                    value["has_more"] = False
            yield page

    def _decode_page(self, page: dict, schema: ResolvedSchema, ctx: SyncContext) -> dict:
        props = page.get("properties") or {}
        title_prop = props.get(schema.title.name)
        title = (decode_value(title_prop) if title_prop else "").strip()
        if not title:
            raise SkipPage(_("Page %(page)s has no title: skipped.") % {"page": page_label(page)})
        values: dict[str, Any] = {}
        for field_name, prop in schema.fields.items():
            raw = props.get(prop.name)
            if raw is None:
                values[field_name] = None
                continue
            try:
                values[field_name] = decode_value(raw)
            except UnknownPropertyType as exc:
                ctx.warn(
                    _("Page %(page)s: property %(name)s has an unknown type %(type)s; ignored.")
                    % {"page": page_label(page, title), "name": prop.name, "type": exc}
                )
                values[field_name] = None
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise SkipPage(
                    _("Page %(page)s: cannot read property %(name)s (%(error)s): skipped.")
                    % {"page": page_label(page, title), "name": prop.name, "error": exc}
                ) from exc
        record = self.decode(page, values, title, ctx)
        record["notion_page_id"] = page["id"]
        record["notion_last_edited_time"] = parse_datetime(page.get("last_edited_time"))
        if page.get("in_trash") or page.get("archived"):
            record["is_active"] = False
        return record

    @staticmethod
    def is_active_status(status: str | None) -> bool:
        inactive = {s.casefold() for s in settings.NOTION_INACTIVE_STATUSES}
        return (status or "").casefold() not in inactive

    def _apply(
        self, staging: Staging, seen: set[str], columns: list[str], ctx: SyncContext
    ) -> None:
        model = self.model
        counts = ctx.counts
        now = timezone.now()
        active_before = model.objects.filter(is_active=True).count()
        for batch in staging.batches():
            ids = [r["notion_page_id"] for r in batch]
            existing = {
                row["notion_page_id"]: row
                for row in model.objects.filter(notion_page_id__in=ids).values(
                    "notion_page_id", *columns
                )
            }
            writes: dict[tuple[str, ...], list[models.Model]] = {}
            changed: set[str] = set()
            unchanged: set[str] = set()
            for record in batch:
                old = existing.get(record["notion_page_id"])
                extra: tuple[str, ...] = ()
                if old is None:
                    counts.created += 1
                elif all(old[c] == record[c] for c in columns):
                    unchanged.add(record["notion_page_id"])
                    continue
                elif old["is_active"] and not record["is_active"]:
                    counts.deactivated += 1
                else:
                    counts.updated += 1
                if old is not None:
                    extra = self.update_groups(old, record)
                changed.add(record["notion_page_id"])
                fields = {k: v for k, v in record.items() if not k.startswith("_")}
                writes.setdefault(extra, []).append(model(**fields, synced_at=now))
            for extra, objs in writes.items():
                model.objects.bulk_create(
                    objs,
                    update_conflicts=True,
                    unique_fields=["notion_page_id"],
                    update_fields=[*columns, *extra, "notion_last_edited_time", "synced_at"],
                )
            relinked = self.after_batch(batch, ctx, changed) & unchanged
            counts.unchanged += len(unchanged) - len(relinked)
            counts.updated += len(relinked)
        if ctx.full:
            missing = [
                pk
                for pk, page_id in model.objects.filter(is_active=True)
                .values_list("pk", "notion_page_id")
                .iterator(chunk_size=5000)
                if page_id not in seen
            ]
            self._guard(counts.deactivated + len(missing), active_before, ctx)
            for start in range(0, len(missing), 1000):
                model.objects.filter(pk__in=missing[start : start + 1000]).update(
                    is_active=False, synced_at=now
                )
            counts.deactivated += len(missing)
        else:
            self._guard(counts.deactivated, active_before, ctx)

    def _guard(self, deactivating: int, active_before: int, ctx: SyncContext) -> None:
        ratio = settings.SYNC_MASS_DEACTIVATION_RATIO
        minimum = settings.SYNC_MASS_DEACTIVATION_MIN
        if (
            deactivating > minimum
            and deactivating > ratio * active_before
            and not ctx.allow_mass_deactivation
        ):
            raise MassDeactivationRefused(
                _(
                    "Refused: this run would deactivate %(n)d of %(total)d active records "
                    "(more than %(pct)d%%). Nothing was changed. If Notion lost access to the "
                    "database, restore sharing; if the removal is intended, run again with "
                    "--allow-mass-deactivation."
                )
                % {"n": deactivating, "total": active_before, "pct": round(ratio * 100)}
            )
