"""`manage.py notion_check`: settings, access and property types, as a table."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from integrations.notion.errors import NotionError
from integrations.notion.factory import notion_gateway
from integrations.notion.schema import check_schema
from integrations.sync.directions import DirectionsSync
from integrations.sync.humans import HumansSync
from integrations.text import text_table

SETTINGS = (
    "NOTION_TOKEN",
    "NOTION_API_BASE_URL",
    "NOTION_HUMANS_DATABASE_ID",
    "NOTION_DIRECTIONS_DATABASE_ID",
)


class Command(BaseCommand):
    help = "Check the Notion configuration: settings, access, and property types."

    def handle(self, *args, **options) -> None:
        ok_mark, bad_mark = "OK", _("PROBLEM")
        problems = 0
        rows = [[_("setting"), _("value"), _("check")]]
        for name in SETTINGS:
            value = getattr(settings, name, "")
            shown = (value[:4] + "…" + value[-4:]) if name == "NOTION_TOKEN" and value else value
            rows.append([name, shown or _("(not set)"), ok_mark if value else bad_mark])
            problems += not value
        rows.append(
            [
                "NOTION_INACTIVE_STATUSES",
                ", ".join(settings.NOTION_INACTIVE_STATUSES) or _("(none)"),
                ok_mark,
            ]
        )
        rows.append(["NOTION_MAX_RPS", str(settings.NOTION_MAX_RPS), ok_mark])
        self.stdout.write(text_table(rows))
        if problems:
            raise CommandError(_("Set the missing settings above (in .env or the environment)."))

        gateway = notion_gateway()
        schema_rows = [
            [_("database"), _("field"), _("Notion property"), _("expected"), _("found"), _("check")]
        ]
        for sync in (HumansSync, DirectionsSync):
            database_id = getattr(settings, sync.database_setting)
            label = sync.database_setting.removeprefix("NOTION_").removesuffix("_DATABASE_ID")
            try:
                data_source_id = gateway.resolve_data_source(database_id)
                source = gateway.retrieve_data_source(data_source_id)
                sample = gateway.query(data_source_id, page_size=1)
            except NotionError as exc:
                problems += 1
                schema_rows.append([label.lower(), "—", "—", "—", "—", f"{bad_mark}: {exc}"])
                continue
            title = "".join(t.get("plain_text", "") for t in source.get("title", []))
            schema_rows.append(
                [
                    label.lower(),
                    _("access"),
                    title or data_source_id,
                    _("readable"),
                    _("%(n)s page(s) seen") % {"n": len(sample.get("results", []))},
                    ok_mark,
                ]
            )
            mapping = getattr(settings, sync.fields_setting)
            unknown = sorted(set(mapping) - set(sync.rules))
            for field_name in unknown:
                problems += 1
                schema_rows.append(
                    [
                        label.lower(),
                        field_name,
                        mapping[field_name],
                        "—",
                        "—",
                        _("%(bad)s: unknown field in %(setting)s")
                        % {"bad": bad_mark, "setting": sync.fields_setting},
                    ]
                )
            for row in check_schema(
                properties=source.get("properties", {}), mapping=mapping, rules=sync.rules
            ):
                if row.field in unknown:
                    continue
                problems += not row.ok
                schema_rows.append(
                    [
                        label.lower(),
                        row.field,
                        row.name,
                        " / ".join(row.expected),
                        row.found or _("(missing)"),
                        ok_mark if row.ok else bad_mark,
                    ]
                )
        gateway.close()
        self.stdout.write("")
        self.stdout.write(text_table(schema_rows))
        self.stdout.write(_("Notion requests: %(n)d") % {"n": gateway.requests})
        if problems:
            raise CommandError(_("%(n)d problem(s) found.") % {"n": problems})
        self.stdout.write(_("Everything looks right."))
