"""`manage.py notion_check`: settings, access and property types, as a table.

The kinds to check and the settings they need come from the sync registry: a new kind
with a `check` shows up here without touching this command.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from integrations.notion.factory import notion_gateway
from integrations.sync import registry
from integrations.text import text_table

COMMON_SETTINGS = ("NOTION_TOKEN", "NOTION_API_BASE_URL")


class Command(BaseCommand):
    help = "Check the Notion configuration: settings, access, and property types."

    def handle(self, *args, **options) -> None:
        ok_mark, bad_mark = "OK", _("PROBLEM")
        kinds = [kind for kind in registry.kinds() if kind.check is not None]
        names = list(COMMON_SETTINGS)
        for kind in kinds:
            names += [name for name in kind.settings if name not in names]
        problems = 0
        rows = [[_("setting"), _("value"), _("check")]]
        for name in names:
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
        try:
            for kind in kinds:
                for row in kind.check(gateway):
                    problems += not row.ok
                    verdict = ok_mark if row.ok else bad_mark
                    if row.detail:
                        verdict = f"{verdict}: {row.detail}"
                    schema_rows.append(
                        [row.source, row.field, row.name, row.expected, row.found, verdict]
                    )
        finally:
            gateway.close()
        self.stdout.write("")
        self.stdout.write(text_table(schema_rows))
        self.stdout.write(_("Notion requests: %(n)d") % {"n": gateway.requests})
        if problems:
            raise CommandError(_("%(n)d problem(s) found.") % {"n": problems})
        self.stdout.write(_("Everything looks right."))
