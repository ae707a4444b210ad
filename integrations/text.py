"""Plain-text renderings of runs shared by the CLI and other text doors."""

from __future__ import annotations

from datetime import timedelta

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations.models import SyncRun


def format_duration(value: float | timedelta | None) -> str:
    if value is None:
        return "—"
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if seconds < 60:
        # number_format: "2,4 с" in Russian, "2.4 s" in English
        return _("%(s)s s") % {"s": formats.number_format(round(seconds, 1), 1)}
    minutes, seconds = divmod(int(seconds), 60)
    return _("%(m)d min %(s)02d s") % {"m": minutes, "s": seconds}


COLUMNS = (
    ("id", "#"),
    ("kind", gettext_lazy("kind")),
    ("status", gettext_lazy("status")),
    ("fetched", gettext_lazy("fetched")),
    ("created", gettext_lazy("created")),
    ("updated", gettext_lazy("updated")),
    ("unchanged", gettext_lazy("unchanged")),
    ("deactivated", gettext_lazy("deactivated")),
    ("skipped", gettext_lazy("skipped")),
    ("notion_requests", gettext_lazy("requests")),
    ("duration", gettext_lazy("duration")),
)


def run_table(runs: list[SyncRun]) -> str:
    header = [str(title) for _key, title in COLUMNS]
    rows = []
    for run in runs:
        row = []
        for key, _title in COLUMNS:
            if key == "id":
                row.append(f"#{run.pk}")
            elif key == "status":
                row.append(str(run.get_status_display()))
            elif key == "duration":
                row.append(format_duration(run.duration))
            else:
                row.append(str(getattr(run, key)))
        rows.append(row)
    return text_table([header, *rows])


def text_table(rows: list[list[str]]) -> str:
    """Left-aligned columns; the first row is the header, underlined."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
