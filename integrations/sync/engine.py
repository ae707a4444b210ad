"""The Notion data source -> model sync shared by Humans and Directions.

Fetch in a background thread (overlapping with everything else; a big query as disjoint
`created_time` windows paged at once, integrations/notion/windows.py) -> decode -> diff each
batch against the database and stage the changed rows (writers.py) -> apply in one short
transaction: batch upserts, unchanged rows never written, soft deactivation behind the
mass-deactivation guard. A dry run does all of it and rolls back.

A `NotionModelSync` object is one run: the registered kind creates a new one for every run
(`execute`), so nothing of a run outlives it or leaks into the next one.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.notion.errors import NotionConfigurationError, NotionError, NotionNotFound
from integrations.notion.factory import require_settings
from integrations.notion.properties import (
    UnknownPropertyType,
    decode_value,
    parse_datetime,
    property_item_value,
)
from integrations.notion.schema import (
    ResolvedProperty,
    ResolvedSchema,
    check_schema,
    resolve_schema,
)
from integrations.notion.sources import Source, notion_source_forget, notion_source_resolve
from integrations.notion.windows import WindowPlan, minute_boundaries
from integrations.sync.base import (
    MassDeactivationRefused,
    SyncContext,
    SyncCounts,
    SyncFailed,
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


class SchemaChanged(Exception):
    """A page lacks a mapped property: Notion's schema is not the one the run resolved
    (page objects always carry every property of their data source)."""

    def __init__(self, name: str, page: str) -> None:
        super().__init__(name, page)
        self.name = name
        self.page = page


def page_label(page: dict, title: str = "") -> str:
    where = page.get("url") or page["id"]
    return f"«{title}» ({where})" if title else where


@dataclass(frozen=True)
class CheckRow:
    """One row of `manage.py notion_check` for a kind: a field and what Notion has."""

    source: str
    field: str
    name: str
    expected: str
    found: str
    ok: bool = True
    detail: str = ""  # why it is not ok, when there is more to say than the row


class NotionModelSync:
    """One run of a Notion data source -> model sync. Subclasses name the model, the
    settings and the rules, and decode a page."""

    model: type[models.Model]
    database_setting: str
    fields_setting: str
    rules: dict[str, tuple[str, ...]]
    #: model fields every run owns (the title's column and activity)
    base_columns: tuple[str, ...]
    #: mapping field -> model columns it fills (relations fill none)
    field_columns: dict[str, tuple[str, ...]] = {}
    #: columns Notion does not fill that `update_groups` looks at (read, never compared)
    local_columns: tuple[str, ...] = ()
    #: whether `after_batch` needs every record of the run in the apply transaction
    keeps_records = False

    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx
        self.inactive = frozenset(s.casefold() for s in settings.NOTION_INACTIVE_STATUSES)
        self.schema: ResolvedSchema | None = None
        self.columns: list[str] = []
        # Minute-rounded like Notion's timestamps: pages edited at or after it were edited
        # while this run paged.
        self.started: datetime = timezone.now().replace(second=0, microsecond=0)
        self.seen: set[str] = set()
        self.edited_during_run = False
        self.writer: RowWriter | None = None
        self.kept: Staging | None = None
        #: whether the schema came from an earlier run (NotionSource) rather than Notion
        self.schema_cached = False

    @classmethod
    def execute(cls, ctx: SyncContext) -> SyncCounts:
        """The registered kind's entry point: a new object for every run."""
        return cls(ctx).run()

    @classmethod
    def has_page(cls, page_id: str) -> bool:
        return cls.model.objects.filter(notion_page_id=page_id).exists()

    @classmethod
    def check(cls, gateway: Any) -> list[CheckRow]:
        """`manage.py notion_check` for this kind: access to the database, then every
        mapped field against the property Notion has."""
        source_name = cls.database_setting.removeprefix("NOTION_").removesuffix("_DATABASE_ID")
        source_name = source_name.lower()
        database_id = getattr(settings, cls.database_setting)
        try:
            data_source_id = gateway.resolve_data_source(database_id)
            source = gateway.retrieve_data_source(data_source_id)
            sample = gateway.query(data_source_id, page_size=1)
        except NotionError as exc:
            return [CheckRow(source_name, "—", "—", "—", "—", ok=False, detail=str(exc))]
        title = "".join(t.get("plain_text", "") for t in source.get("title", []))
        rows = [
            CheckRow(
                source_name,
                _("access"),
                title or data_source_id,
                _("readable"),
                _("%(n)s page(s) seen") % {"n": len(sample.get("results", []))},
            )
        ]
        mapping = getattr(settings, cls.fields_setting)
        unknown = sorted(set(mapping) - set(cls.rules))
        rows += [
            CheckRow(
                source_name,
                name,
                mapping[name],
                "—",
                "—",
                ok=False,
                detail=_("unknown field in %(setting)s") % {"setting": cls.fields_setting},
            )
            for name in unknown
        ]
        for row in check_schema(
            properties=source.get("properties", {}), mapping=mapping, rules=cls.rules
        ):
            if row.field in unknown:
                continue
            rows.append(
                CheckRow(
                    source_name,
                    row.field,
                    row.name,
                    " / ".join(row.expected),
                    row.found or _("(missing)"),
                    ok=row.ok,
                )
            )
        return rows

    # -- hooks --------------------------------------------------------------------------
    def decode(self, page: dict, values: dict[str, Any], title: str) -> dict:
        """Model values of one page; keys starting with `_` are for `after_batch` only."""
        raise NotImplementedError

    def update_groups(self, old: dict, new: dict) -> tuple[str, ...]:
        """Extra columns to write for this changed row (e.g. clearing a binding)."""
        return ()

    def after_batch(self, batch: list[dict]) -> set[str]:
        """In the apply transaction, per batch of records; returns page ids it changed."""
        return set()

    def before_batches(self) -> None:
        """In the apply transaction, before the first `after_batch`."""

    def after_batches(self) -> None:
        """In the apply transaction, after the last `after_batch`; may still refuse."""

    def columns_for(self, schema: ResolvedSchema) -> list[str]:
        """The columns this run compares and writes: unmapped fields are left alone."""
        cols = list(self.base_columns)
        for field_name in schema.fields:
            cols.extend(c for c in self.field_columns.get(field_name, ()) if c not in cols)
        return cols

    def is_active_status(self, status: str | None) -> bool:
        """False for the statuses in NOTION_INACTIVE_STATUSES (case-insensitive)."""
        return (status or "").casefold() not in self.inactive

    # -- the run ------------------------------------------------------------------------
    def run(self) -> SyncCounts:
        ctx = self.ctx
        notes = len(ctx.warnings)
        try:
            return self._run(fresh_schema=False)
        except SchemaChanged as exc:
            # Never decode pages with a schema that does not fit them: a renamed Status
            # would read as "no status" and bring back members who left.
            notion_source_forget(kind=ctx.kind)
            if not self.schema_cached:
                raise SyncFailed(
                    _(
                        "Notion's schema changed during the run (page %(page)s has no "
                        "property «%(name)s»); nothing was changed: run the sync again."
                    )
                    % {"page": exc.page, "name": exc.name}
                ) from exc
        logger.info("Kept schema of %s is out of date; reading it again", ctx.kind)
        del ctx.warnings[notes:]
        ctx.counts = SyncCounts()
        self.seen, self.edited_during_run = set(), False
        return self._run(fresh_schema=True)

    def _run(self, *, fresh_schema: bool) -> SyncCounts:
        ctx = self.ctx
        gateway = ctx.gateway()
        schema = self.schema = self._resolve(gateway, fresh=fresh_schema)
        columns = self.columns = self.columns_for(schema)
        writer = row_writer(
            self.model,
            unique_field="notion_page_id",
            update_fields=[
                *columns,
                "notion_created_time",
                "notion_last_edited_time",
                "synced_at",
            ],
        )
        with gc_tuned(), writer, Staging(batch_size=settings.SYNC_BATCH_SIZE) as kept:
            self.writer, self.kept = writer, kept
            ctx.progress("fetching")
            if ctx.targets is not None:
                gone = self._refresh(gateway)
            else:
                plan = self._window_plan()
                # Closed here, not when the generator is collected: a consumer that raised
                # (Ctrl-C, SIGTERM, an error of ours) keeps this frame alive in its
                # traceback, and until the stream is closed its windows would wait on.
                with contextlib.closing(
                    prefetch(self._page_batches(gateway, plan), maxsize=4)
                ) as batches:
                    self._consume(batches)
                if not ctx.full and self.edited_during_run:
                    # A page edited while we paged moved to the end of the last_edited_time
                    # order, and may have shifted an unseen page past our cursor: one more
                    # pass over the same window (pages already seen are skipped).
                    self._consume(self._page_batches(gateway))
                gone = self._verify_missing(gateway) if ctx.full else []
            ctx.progress("applying")
            with ctx.apply_transaction():
                self._apply(gone)
        return ctx.counts

    def _resolve(self, gateway: Any, *, fresh: bool = False) -> ResolvedSchema:
        """The data source and its schema: read from Notion by full runs, reused from an
        earlier run by the others (read again when the kept one does not fit the mapping,
        or a page shows it is out of date: `SchemaChanged`)."""
        _token, database_id = require_settings("NOTION_TOKEN", self.database_setting)
        ctx = self.ctx
        max_age = None if ctx.full or fresh else settings.NOTION_SCHEMA_MAX_AGE_SECONDS
        source = notion_source_resolve(
            kind=ctx.kind,
            database_id=database_id,
            gateway=gateway,
            max_age=max_age,
            store=not ctx.dry_run,
        )
        self.schema_cached = source.cached
        try:
            return self._schema(source)
        except NotionConfigurationError:
            if not source.cached:
                raise
        source = notion_source_resolve(
            kind=ctx.kind, database_id=database_id, gateway=gateway, store=not ctx.dry_run
        )
        self.schema_cached = False
        return self._schema(source)

    def _schema(self, source: Source) -> ResolvedSchema:
        return resolve_schema(
            data_source_id=source.data_source_id,
            properties=source.properties,
            mapping=getattr(settings, self.fields_setting),
            rules=self.rules,
            setting=self.fields_setting,
        )

    def _consume(self, batches: Iterable[list[dict]]) -> None:
        """Decode, diff and stage pages, a batch of SYNC_BATCH_SIZE records at a time."""
        ctx, counts = self.ctx, self.ctx.counts
        pending: list[dict] = []
        for pages in batches:
            for page in pages:
                page_id = page["id"]
                if page_id in self.seen:
                    continue
                self.seen.add(page_id)
                counts.fetched += 1
                try:
                    record = self._decode_page(page)
                except SkipPage as exc:
                    counts.skipped += 1
                    ctx.warn(str(exc))
                    continue
                edited = record["notion_last_edited_time"]
                if edited is not None and edited >= self.started:
                    self.edited_during_run = True
                pending.append(record)
            if len(pending) >= settings.SYNC_BATCH_SIZE:
                self._diff(pending)
                pending = []
            ctx.progress("fetching")
        if pending:
            self._diff(pending)

    def _verify_missing(self, gateway: Any) -> list[int]:
        """Active records the full query did not return: ask Notion about each before
        deactivating it. A query can skip a live page (pages trashed while we paged shift
        the cursor); such a page is synced from its own answer instead. Returns the primary
        keys of the records whose page Notion confirmed gone: not found, in the trash, moved
        out of the data source (an inactive status comes through the diff).

        At most SYNC_VERIFY_MISSING_MAX records are checked per run, oldest records first;
        the others stay active (the run says so) and a later run checks them.
        """
        ctx = self.ctx
        active, missing = 0, []
        for pk, page_id in (
            self.model.objects.filter(is_active=True)
            .order_by("pk")
            .values_list("pk", "notion_page_id")
            .iterator(chunk_size=5000)
        ):
            active += 1
            if page_id not in self.seen:
                missing.append((pk, page_id))
        if not missing:
            return []
        self._guard(ctx.counts.deactivated + len(missing), active)  # before any request
        limit = max(settings.SYNC_VERIFY_MISSING_MAX, 0)
        if len(missing) > limit:
            ctx.warn(
                _(
                    "%(n)d records were not in Notion's answer; %(limit)d were checked one by "
                    "one (SYNC_VERIFY_MISSING_MAX), the other %(left)d stay active until a later "
                    "run checks them."
                )
                % {"n": len(missing), "limit": limit, "left": len(missing) - limit}
            )
        gone, alive = self._read_pages(gateway, missing[:limit])
        if alive:
            ctx.warn(
                _(
                    "%(n)d page(s) were missing from Notion's query answer but exist; they "
                    "were read one by one and kept."
                )
                % {"n": alive}
            )
        return gone

    def _read_pages(
        self, gateway: Any, pages: list[tuple[int | None, str]]
    ) -> tuple[list[int], int]:
        """Ask Notion about each (record pk or None, page id), one request each. Live pages
        go through the diff; returns the pks of records whose page Notion confirmed gone
        (not found, in the trash, moved out of the data source), and how many were live."""
        gone: list[int] = []
        alive: list[dict] = []
        for pk, page_id in pages:
            try:
                page = gateway.retrieve_page(page_id)
            except NotionNotFound:
                if pk is not None:
                    gone.append(pk)
                continue
            # Ours only while its parent is our data source: a page moved under an ordinary
            # page (an "Archive") or to the workspace has no data source at all.
            parent = page.get("parent") or {}
            moved = parent.get("data_source_id") != self.schema.data_source_id
            if page.get("in_trash") or page.get("archived") or moved:
                if pk is not None:
                    gone.append(pk)
                continue
            self._complete_page(gateway, page)
            alive.append(page)
        if alive:
            self._consume([alive])
        return gone, len(alive)

    def _refresh(self, gateway: Any) -> list[int]:
        """A refresh of the pages webhook events named: one query of what changed since
        the first event when that is cheaper than a request per page (or an event asked
        for it), then each named page the query did not return is read by itself; a page
        is deactivated only when Notion confirms it is gone."""
        ctx = self.ctx
        targets = list(dict.fromkeys(ctx.targets or []))
        if ctx.since is not None and (
            ctx.read_changes or len(targets) > settings.NOTION_WEBHOOK_RETRIEVE_MAX
        ):
            self._consume(self._page_batches(gateway))
        rest = [page_id for page_id in targets if page_id not in self.seen]
        if not rest:
            return []
        pks = dict(
            self.model.objects.filter(notion_page_id__in=rest).values_list("notion_page_id", "pk")
        )
        gone, _alive = self._read_pages(gateway, [(pks.get(p), p) for p in rest])
        return gone

    def _window_plan(self) -> WindowPlan | None:
        """How a run splits its query (integrations/notion/windows.py).

        A full run: one `created_time` window per NOTION_WINDOW_RECORDS records the mirror
        knows, at most NOTION_MAX_WINDOWS, cut at the quantiles of the stored
        `notion_created_time` so they are even; a smaller mirror pages one query (nothing
        extra). A window larger than it should be after its first answer (an empty or
        outdated mirror) splits further while slots are left.

        An incremental run starts as one query (a quiet run costs one request); when its
        first answer suggests many more edits, the rest is cut by `created_time` at the
        mirror's quantiles.
        """
        most, per = settings.NOTION_MAX_WINDOWS, settings.NOTION_WINDOW_RECORDS
        if most <= 1 or per <= 0:
            return None
        if not self.ctx.full:
            return WindowPlan(
                max_windows=most,
                split_records=per,
                split_at=lambda: self._created_quantiles(most),
            )
        count = self._known_created().count()
        parts = min(most, max(1, math.ceil(count / per)))
        newest = (
            self._known_created()
            .order_by("-notion_created_time")
            .values_list("notion_created_time", flat=True)
            .first()
        )
        return WindowPlan(
            boundaries=self._created_quantiles(parts, count=count),
            max_windows=most,
            split_records=per,
            horizon=newest + timedelta(minutes=1) if newest else None,
        )

    def _known_created(self) -> models.QuerySet:
        return self.model.objects.filter(notion_created_time__isnull=False)

    def _created_quantiles(self, parts: int, *, count: int | None = None) -> tuple[datetime, ...]:
        """Whole-minute `created_time` boundaries cutting the mirror into `parts` even
        windows (fewer when many records share a minute); one query per boundary."""
        known = self._known_created()
        if count is None:
            count = known.count()
        if parts < 2 or not count:
            return ()
        ordered = known.order_by("notion_created_time").values_list(
            "notion_created_time", flat=True
        )
        return minute_boundaries([ordered[count * i // parts] for i in range(1, parts)])

    def _page_batches(self, gateway: Any, plan: WindowPlan | None = None) -> Iterator[list[dict]]:
        """Pages, one query answer at a time, with truncated relation / people values
        completed. Runs in the fetch thread."""
        window = "created_time" if self.ctx.full else "last_edited_time"
        for pages in gateway.iter_page_batches(
            self.schema.data_source_id, window=window, since=self.ctx.since, plan=plan
        ):
            for page in pages:
                self._complete_page(gateway, page)
            yield pages

    def _complete_page(self, gateway: Any, page: dict) -> None:
        for prop in self.schema.paginated:
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

    def _decode_page(self, page: dict) -> dict:
        ctx, schema = self.ctx, self.schema
        props = page.get("properties") or {}
        title_prop = props.get(schema.title.name)
        title = decode_value(title_prop).strip() if title_prop else ""
        if not title:
            raise SkipPage(_("Page %(page)s has no title: skipped.") % {"page": page_label(page)})
        values: dict[str, Any] = {}
        for field_name, prop in schema.fields.items():
            raw = props.get(prop.name)
            if raw is None:
                raise SchemaChanged(prop.name, page_label(page, title))
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
        record = self.decode(page, values, title)
        record["notion_page_id"] = page["id"]
        record["notion_last_edited_time"] = parse_datetime(page.get("last_edited_time"))
        record["notion_created_time"] = parse_datetime(page.get("created_time"))
        if page.get("in_trash") or page.get("archived"):
            record["is_active"] = False
        return record

    def _diff(self, batch: list[dict]) -> None:
        """Classify a batch against the database and stage the rows that changed.

        Runs outside any transaction while the next pages download: only this run writes
        these columns (the per-kind lock), so what it reads stays true until the apply.
        """
        counts, columns, writer = self.ctx.counts, self.columns, self.writer
        existing = writer.existing(
            [r["notion_page_id"] for r in batch],
            [*columns, *self.local_columns, "notion_created_time"],
        )
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
                if old["notion_created_time"] == record["notion_created_time"]:
                    continue
                # Rows synced before `notion_created_time` existed get it written once,
                # without counting as a change nobody made.
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
                self.kept.add(record)

    def _apply(self, gone: list[int]) -> None:
        """The run's only writes, inside its apply transaction: staged rows, relations,
        deactivation."""
        ctx, model = self.ctx, self.model
        counts = ctx.counts
        active_before = model.objects.filter(is_active=True).count()
        self._guard(counts.deactivated + len(gone), active_before)
        self.writer.apply()
        if self.keeps_records:
            self.before_batches()
            for batch in self.kept.batches():
                unchanged = {r["notion_page_id"] for r in batch if r.get("_unchanged")}
                relinked = self.after_batch(batch) & unchanged
                counts.unchanged -= len(relinked)
                counts.updated += len(relinked)
            self.after_batches()
        now = timezone.now()
        for start in range(0, len(gone), 1000):
            model.objects.filter(pk__in=gone[start : start + 1000], is_active=True).update(
                is_active=False, synced_at=now
            )
        counts.deactivated += len(gone)

    def _guard(self, deactivating: int, active_before: int) -> None:
        if is_mass_change(deactivating, active_before, self.ctx):
            raise MassDeactivationRefused(
                _(
                    "Refused: this run would deactivate %(n)d of %(total)d active records "
                    "(more than %(pct)d%%). Nothing was changed. If Notion lost access to the "
                    "database, restore sharing; if the removal is intended, run again with "
                    "--allow-mass-deactivation."
                )
                % {"n": deactivating, "total": active_before, "pct": mass_change_percent()}
            )
