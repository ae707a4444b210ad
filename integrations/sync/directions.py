"""Sync kind `directions`: the Notion Directions database -> Direction + Participation."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directions.models import Direction, Participation
from integrations.notion.properties import text_of
from integrations.sync import registry
from integrations.sync.base import (
    MassDeactivationRefused,
    SyncContext,
    is_mass_change,
    mass_change_percent,
)
from integrations.sync.engine import NotionModelSync
from people.models import Human

ROLE_FIELDS = {"organizers": Participation.Role.ORGANIZER, "deputies": Participation.Role.DEPUTY}


class DirectionsSync(NotionModelSync):
    model = Direction
    database_setting = "NOTION_DIRECTIONS_DATABASE_ID"
    fields_setting = "NOTION_DIRECTIONS_FIELDS"
    rules = {
        "organizers": ("relation",),
        "deputies": ("relation",),
        "status": ("status", "select"),
        "description": ("rich_text", "title", "formula", "url"),
    }
    base_columns = ("name", "is_active")
    field_columns = {"description": ("description",), "status": ("status",)}

    def decode(self, page: dict, values: dict[str, Any], title: str) -> dict:
        status = text_of(values.get("status"))
        record = {
            "name": title[:300],
            "description": text_of(values.get("description")),
            "status": status[:200],
            "is_active": self.is_active_status(status),
            "_title": title,
        }
        for field_name, role in ROLE_FIELDS.items():
            if field_name in values:
                record[f"_{role}"] = list(dict.fromkeys(values[field_name] or []))
        return record

    keeps_records = True

    def __init__(self, ctx: SyncContext) -> None:
        super().__init__(ctx)
        self.participations_before = 0
        self.participations_removed = 0

    def before_batches(self) -> None:
        self.participations_before = Participation.objects.count()
        self.participations_removed = 0

    def after_batches(self) -> None:
        """Relations come back empty when the Humans database is not shared with the
        integration: never let that wipe the organisers and deputies."""
        removed, before = self.participations_removed, self.participations_before
        if is_mass_change(removed, before, self.ctx):
            raise MassDeactivationRefused(
                _(
                    "Refused: this run would remove %(n)d of %(total)d organiser and deputy "
                    "links (more than %(pct)d%%). Nothing was changed. Check that the Humans "
                    "database is shared with the integration; if the removal is intended, run "
                    "again with --allow-mass-deactivation."
                )
                % {"n": removed, "total": before, "pct": mass_change_percent()}
            )

    def after_batch(self, batch: list[dict]) -> set[str]:
        """Rebuild the participations of this batch's directions from their relations."""
        roles = [role for role in ROLE_FIELDS.values() if f"_{role}" in batch[0]]
        if not roles:
            return set()
        direction_ids = dict(
            Direction.objects.filter(
                notion_page_id__in=[r["notion_page_id"] for r in batch]
            ).values_list("notion_page_id", "id")
        )
        wanted_pages = {p for r in batch for role in roles for p in r.get(f"_{role}", [])}
        humans = dict(
            Human.objects.filter(notion_page_id__in=wanted_pages).values_list(
                "notion_page_id", "id"
            )
        )
        desired: set[tuple[int, int, str]] = set()
        for record in batch:
            direction_id = direction_ids[record["notion_page_id"]]
            for role in roles:
                for page_id in record.get(f"_{role}", []):
                    human_id = humans.get(page_id)
                    if human_id is None:
                        self.ctx.warn(
                            _(
                                "Direction «%(direction)s»: %(role)s %(page)s is not among the "
                                "synced humans (not shared, trashed or not synced yet)."
                            )
                            % {
                                "direction": record["_title"],
                                "role": Participation.Role(role).label,
                                "page": f"https://www.notion.so/{page_id.replace('-', '')}",
                            }
                        )
                        continue
                    desired.add((direction_id, human_id, role))
        existing = {
            (d, h, role): pk
            for pk, d, h, role in Participation.objects.filter(
                direction_id__in=direction_ids.values(), role__in=roles
            ).values_list("pk", "direction_id", "human_id", "role")
        }
        stale = [pk for key, pk in existing.items() if key not in desired]
        new = [key for key in desired if key not in existing]
        self.participations_removed += len(stale)
        if stale:
            Participation.objects.filter(pk__in=stale).delete()
        if new:
            Participation.objects.bulk_create(
                [Participation(direction_id=d, human_id=h, role=role) for d, h, role in new]
            )
        by_id = {v: k for k, v in direction_ids.items()}
        stale_set = set(stale)
        return {by_id[key[0]] for key in new} | {
            by_id[key[0]] for key, pk in existing.items() if pk in stale_set
        }


registry.register(
    registry.SyncKind(
        name="directions",
        label=gettext_lazy("Directions"),
        description=gettext_lazy("directions with their organisers and deputies"),
        run=DirectionsSync.execute,
        check=DirectionsSync.check,
        has_page=DirectionsSync.has_page,
        settings=(DirectionsSync.database_setting,),
        order=20,
    )
)
