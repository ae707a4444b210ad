"""The Notion data source -> model sync shared by Humans and Directions.

Fetch in a background thread (overlapping with everything else) -> decode -> diff each
batch against the database and stage the changed rows (writers.py) -> apply in one short
transaction: batch upserts, unchanged rows never written, soft deactivation behind the
mass-deactivation guard. A dry run does all of it and rolls back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.notion.errors import NotionNotFound
from integrations.notion.factory import require_settings
from integrations.notion.properties import (
    UnknownPropertyType,
    decode_value,
    parse_datetime,
    property_item_value,
)
from integrations.notion.schema import ResolvedProperty, ResolvedSchema, resolve_schema
from integrations.sync.base import (
    MassDeactivationRefused,
    SyncContext,
    SyncCounts,
    gc_tuned,
    is_mass_change,
    mass_change_percent,
    prefetch,
)
from integrations.sync.staging import Staging
from integrations.sync.writers import RowWriter, row_writer

logger = logging.getLogger(__name__)


class SkipPage(Exception):
    """This page cannot be read; the message says why (becomes a run warning)."""


def page_label(page: dict, title: str = "") -> str:
    where = page.get("url") or page["id"]
    return f"«{title}» ({where})" if title else where


@dataclass
class _RunState:
    """What one run of a kind accumulates between its phases."""

    schema: ResolvedSchema
    columns: list[str]
    started: datetime
    seen: set[str] = field(default_factory=set)
    edited_during_run: bool = False
    writer: RowWriter | None = None
    kept: Staging | None = None


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
    #: whether `after_batch` needs every record of the run in the apply transaction
    keeps_records = False
    _inactive: frozenset[str] = frozenset()

    # -- hooks --------------------------------------------------------------------------
    def decode(self, page: dict, values: dict[str, Any], title: str, ctx: SyncContext) -> dict:
        """Model values of one page; keys starting with `_` are for `after_batch` only."""
        raise NotImplementedError

    def update_groups(self, old: dict, new: dict) -> tuple[str, ...]:
        """Extra columns to write for this changed row (e.g. clearing a binding)."""
        return ()

    def after_batch(self, batch: list[dict], ctx: SyncContext) -> set[str]:
        """In the apply transaction, per batch of records; returns page ids it changed."""
        return set()

    def before_batches(self, ctx: SyncContext) -> None:
        """In the apply transaction, before the first `after_batch`."""

    def after_batches(self, ctx: SyncContext) -> None:
        """In the apply transaction, after the last `after_batch`; may still refuse."""

    def columns(self, schema: ResolvedSchema) -> list[str]:
        """The columns this run compares and writes: unmapped fields are left alone."""
        cols = list(self.base_columns)
        for field_name in schema.fields:
            cols.extend(c for c in self.field_columns.get(field_name, ()) if c not in cols)
        return cols

    def is_active_status(self, status: str | None) -> bool:
        """False for the statuses in NOTION_INACTIVE_STATUSES (case-insensitive)."""
        return (status or "").casefold() not in self._inactive

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
        self._inactive = frozenset(s.casefold() for s in settings.NOTION_INACTIVE_STATUSES)
        columns = self.columns(schema)
        self._run = _RunState(
            schema=schema,
            columns=columns,
            started=timezone.now().replace(second=0, microsecond=0),
        )
        writer = row_writer(
            self.model,
            unique_field="notion_page_id",
            update_fields=[*columns, "notion_last_edited_time", "synced_at"],
        )
        with gc_tuned(), writer, Staging(batch_size=settings.SYNC_BATCH_SIZE) as kept:
            self._run.writer, self._run.kept = writer, kept
            ctx.progress("fetching")
            self._consume(prefetch(self._page_batches(gateway, schema, ctx), maxsize=20), ctx)
            if not ctx.full and self._run.edited_during_run:
                # A page edited while we paged moved to the end of the last_edited_time
                # order, and may have shifted an unseen page past our cursor: one more
                # pass over the same window (pages already seen are skipped).
                self._consume(self._page_batches(gateway, schema, ctx), ctx)
            gone = self._verify_missing(gateway, ctx) if ctx.full else []
            ctx.progress("applying")
            with transaction.atomic():
                self._apply(writer, kept, gone, ctx)
                if ctx.dry_run:
                    transaction.set_rollback(True)
        return ctx.counts

    def _consume(self, batches: Iterable[list[dict]], ctx: SyncContext) -> None:
        """Decode, diff and stage pages, a batch of SYNC_BATCH_SIZE records at a time."""
        state, counts = self._run, ctx.counts
        pending: list[dict] = []
        for pages in batches:
            for page in pages:
                page_id = page["id"]
                if page_id in state.seen:
                    continue
                state.seen.add(page_id)
                counts.fetched += 1
                try:
                    record = self._decode_page(page, state.schema, ctx)
                except SkipPage as exc:
                    counts.skipped += 1
                    ctx.warn(str(exc))
                    continue
                edited = record["notion_last_edited_time"]
                if edited is not None and edited >= state.started:
                    state.edited_during_run = True
                pending.append(record)
            if len(pending) >= settings.SYNC_BATCH_SIZE:
                self._diff(pending, ctx)
                pending = []
            ctx.progress("fetching")
        if pending:
            self._diff(pending, ctx)

    def _verify_missing(self, gateway: Any, ctx: SyncContext) -> list[int]:
        """Active records the full query did not return: ask Notion about each before
        deactivating it. A query that skipped a live page (pages trashed while we paged
        shift the cursor) must not deactivate it: such a page is synced from its own
        answer instead. Returns the primary keys of records whose page is really gone."""
        state = self._run
        active, missing = 0, []
        for pk, page_id in (
            self.model.objects.filter(is_active=True)
            .values_list("pk", "notion_page_id")
            .iterator(chunk_size=5000)
        ):
            active += 1
            if page_id not in state.seen:
                missing.append((pk, page_id))
        if not missing:
            return []
        self._guard(ctx.counts.deactivated + len(missing), active, ctx)  # before any request
        limit = settings.SYNC_VERIFY_MISSING_MAX
        if len(missing) > limit:
            ctx.warn(
                _(
                    "%(n)d records were not in Notion's answer; only the first %(limit)d were "
                    "checked one by one (SYNC_VERIFY_MISSING_MAX)."
                )
                % {"n": len(missing), "limit": limit}
            )
        gone: list[int] = [pk for pk, _page_id in missing[limit:]]
        alive: list[dict] = []
        for pk, page_id in missing[:limit]:
            try:
                page = gateway.retrieve_page(page_id)
            except NotionNotFound:
                gone.append(pk)
                continue
            parent = page.get("parent") or {}
            moved = parent.get("data_source_id") not in (None, state.schema.data_source_id)
            if page.get("in_trash") or page.get("archived") or moved:
                gone.append(pk)
                continue
            self._complete_page(gateway, page, state.schema)
            alive.append(page)
        if alive:
            ctx.warn(
                _(
                    "%(n)d page(s) were missing from Notion's query answer but exist; they "
                    "were read one by one and kept."
                )
                % {"n": len(alive)}
            )
            self._consume([alive], ctx)
        return gone

    def _page_batches(
        self, gateway: Any, schema: ResolvedSchema, ctx: SyncContext
    ) -> Iterator[list[dict]]:
        """Pages, one query answer at a time, with truncated relation / people values
        completed. Runs in the fetch thread."""
        window = "created_time" if ctx.full else "last_edited_time"
        for pages in gateway.iter_page_batches(
            schema.data_source_id, window=window, since=ctx.since
        ):
            for page in pages:
                self._complete_page(gateway, page, schema)
            yield pages

    def _complete_page(self, gateway: Any, page: dict, schema: ResolvedSchema) -> None:
        for prop in schema.paginated:
            value = page.get("properties", {}).get(prop.name)
            if value and value.get("has_more"):
                self._complete(gateway, page, prop, value)

    @staticmethod
    def _complete(gateway: Any, page: dict, prop: ResolvedProperty, value: dict) -> None:
        items = gateway.property_items(page["id"], prop.id)
        if prop.type == "relation":
            value["relation"] = [
                {"id": property_item_value(i)} for i in items if i.get("type") == "relation"
            ]
        else:
            value["people"] = [i["people"] for i in items if i.get("type") == "people"]
        value["has_more"] = False

    def _decode_page(self, page: dict, schema: ResolvedSchema, ctx: SyncContext) -> dict:
        props = page.get("properties") or {}
        title_prop = props.get(schema.title.name)
        title = decode_value(title_prop).strip() if title_prop else ""
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

    def _diff(self, batch: list[dict], ctx: SyncContext) -> None:
        """Classify a batch against the database and stage the rows that changed.

        Runs outside any transaction while the next pages download: only this run writes
        these columns (the per-kind lock), so what it reads stays true until the apply.
        """
        counts, columns, writer = ctx.counts, self._run.columns, self._run.writer
        existing = writer.existing([r["notion_page_id"] for r in batch], columns)
        now = timezone.now()
        groups: dict[tuple[str, ...], list[dict]] = {}
        for record in batch:
            old = existing.get(record["notion_page_id"])
            extra: tuple[str, ...] = ()
            if old is None:
                counts.created += 1
            elif all(old[c] == record[c] for c in columns):
                counts.unchanged += 1
                record["_unchanged"] = True
                continue
            else:
                if old["is_active"] and not record["is_active"]:
                    counts.deactivated += 1
                else:
                    counts.updated += 1
                extra = self.update_groups(old, record)
            row = {k: v for k, v in record.items() if not k.startswith("_")}
            row["synced_at"] = now
            groups.setdefault(extra, []).append(row)
        for extra, rows in groups.items():
            writer.stage(rows, extra=extra)
        if self.keeps_records:
            for record in batch:
                self._run.kept.add(record)

    def _apply(self, writer: RowWriter, kept: Staging, gone: list[int], ctx: SyncContext) -> None:
        """The run's only writes, in one transaction: staged rows, relations, deactivation."""
        if ctx.confirm_alive:
            ctx.confirm_alive()
        model = self.model
        counts = ctx.counts
        active_before = model.objects.filter(is_active=True).count()
        self._guard(counts.deactivated + len(gone), active_before, ctx)
        writer.apply()
        if self.keeps_records:
            self.before_batches(ctx)
            for batch in kept.batches():
                unchanged = {r["notion_page_id"] for r in batch if r.get("_unchanged")}
                relinked = self.after_batch(batch, ctx) & unchanged
                counts.unchanged -= len(relinked)
                counts.updated += len(relinked)
            self.after_batches(ctx)
        now = timezone.now()
        for start in range(0, len(gone), 1000):
            model.objects.filter(pk__in=gone[start : start + 1000], is_active=True).update(
                is_active=False, synced_at=now
            )
        counts.deactivated += len(gone)

    def _guard(self, deactivating: int, active_before: int, ctx: SyncContext) -> None:
        if is_mass_change(deactivating, active_before, ctx):
            raise MassDeactivationRefused(
                _(
                    "Refused: this run would deactivate %(n)d of %(total)d active records "
                    "(more than %(pct)d%%). Nothing was changed. If Notion lost access to the "
                    "database, restore sharing; if the removal is intended, run again with "
                    "--allow-mass-deactivation."
                )
                % {"n": deactivating, "total": active_before, "pct": mass_change_percent()}
            )
