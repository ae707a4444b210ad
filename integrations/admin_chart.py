"""The chart above the sync history in admin: duration and changes of recent runs.

Drawn as inline SVG on the server (no JavaScript, no build step): this module computes the
geometry, `admin/integrations/syncrun/chart.html` renders it. Bars link to their run and
carry a tooltip; the newest run is on the right.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from integrations.models import SyncRun
from integrations.text import format_duration

# Colours shared by the status badges and the chart (readable on light and dark themes).
STATUS_COLOURS = {
    SyncRun.Status.QUEUED: "#64748b",
    SyncRun.Status.RUNNING: "#2563eb",
    SyncRun.Status.SUCCEEDED: "#15803d",
    SyncRun.Status.FAILED: "#b91c1c",
    SyncRun.Status.SKIPPED: "#a16207",
}
CHANGE_COLOURS = {"created": "#16a34a", "updated": "#0284c7", "deactivated": "#ea580c"}

RUNS = 40  # how many finished runs the chart shows
WIDTH = 900
LEFT, RIGHT = 64, 12
DURATION_TOP, DURATION_HEIGHT = 22, 110
CHANGES_TOP, CHANGES_HEIGHT = DURATION_TOP + DURATION_HEIGHT + 34, 80
HEIGHT = CHANGES_TOP + CHANGES_HEIGHT + 26
MIN_SLOTS = 12  # a few runs still get slim bars, not one wall


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str


@dataclass
class Bar:
    run_id: int
    url: str
    tooltip: str
    duration: Rect
    changes: list[Rect] = field(default_factory=list)


@dataclass
class Tick:
    y: float
    label: str


@dataclass
class Label:
    x: float
    text: str
    anchor: str


@dataclass
class Chart:
    bars: list[Bar]
    duration_ticks: list[Tick]
    changes_ticks: list[Tick]
    time_labels: list[Label]
    summary: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    duration_top: int = DURATION_TOP
    duration_bottom: int = DURATION_TOP + DURATION_HEIGHT
    changes_top: int = CHANGES_TOP
    changes_bottom: int = CHANGES_TOP + CHANGES_HEIGHT
    axis_y: int = CHANGES_TOP + CHANGES_HEIGHT + 16
    status_colours: dict = field(default_factory=lambda: dict(STATUS_COLOURS))
    change_colours: dict = field(default_factory=lambda: dict(CHANGE_COLOURS))


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^k that is >= value (an axis maximum people can read)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        candidate = step * 10**exponent
        if candidate >= value - 1e-9:
            return float(candidate)
    return float(10 ** (exponent + 1))


def _number(value: float) -> str:
    return f"{value:g}" if value < 10_000 else f"{value / 1000:g}k"


def _when(run: SyncRun) -> str:
    return formats.date_format(
        timezone.localtime(run.started_at or run.queued_at), "SHORT_DATETIME_FORMAT"
    )


def _tooltip(run: SyncRun) -> str:
    return _(
        "#%(id)s %(kind)s · %(status)s · %(when)s · %(duration)s · fetched %(fetched)s, "
        "created %(created)s, updated %(updated)s, deactivated %(deactivated)s"
    ) % {
        "id": run.pk,
        "kind": run.kind,
        "status": run.get_status_display(),
        "when": _when(run),
        "duration": format_duration(run.duration),
        "fetched": run.fetched,
        "created": run.created,
        "updated": run.updated,
        "deactivated": run.deactivated,
    }


def recent_finished(queryset, limit: int = RUNS) -> list[SyncRun]:
    """The latest finished runs of `queryset` (whatever the admin filters are), oldest first."""
    runs = list(
        queryset.exclude(started_at=None)
        .exclude(finished_at=None)
        .order_by("-finished_at", "-id")[:limit]
    )
    runs.reverse()
    return runs


def build_chart(runs: list[SyncRun]) -> Chart | None:
    """Geometry for `runs` (oldest first); None when there is nothing to draw."""
    if not runs:
        return None
    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / max(len(runs), MIN_SLOTS)
    bar_width = max(2.0, min(slot * 0.7, 28.0))
    seconds = [run.duration.total_seconds() for run in runs]
    changes = [run.changes for run in runs]
    duration_max = nice_ceiling(max(seconds))
    changes_max = nice_ceiling(max(changes))
    duration_bottom = DURATION_TOP + DURATION_HEIGHT
    changes_bottom = CHANGES_TOP + CHANGES_HEIGHT

    bars = []
    for index, (run, secs) in enumerate(zip(runs, seconds, strict=True)):
        x = LEFT + index * slot + (slot - bar_width) / 2
        height = max(1.5, DURATION_HEIGHT * secs / duration_max)
        bar = Bar(
            run_id=run.pk,
            url=reverse("admin:integrations_syncrun_change", args=[run.pk]),
            tooltip=_tooltip(run),
            duration=Rect(
                x, duration_bottom - height, bar_width, height, STATUS_COLOURS[run.status]
            ),
        )
        y = float(changes_bottom)
        for name, colour in CHANGE_COLOURS.items():
            value = getattr(run, name)
            if value:
                part = CHANGES_HEIGHT * value / changes_max
                y -= part
                bar.changes.append(Rect(x, y, bar_width, part, colour))
        bars.append(bar)

    duration_ticks = [
        Tick(duration_bottom - DURATION_HEIGHT * f, format_duration(duration_max * f) if f else "0")
        for f in (0, 0.5, 1)
    ]
    changes_ticks = [
        Tick(changes_bottom - CHANGES_HEIGHT * f, _number(changes_max * f)) for f in (0, 0.5, 1)
    ]
    first_x = LEFT + (slot - bar_width) / 2
    last_x = LEFT + (len(runs) - 1) * slot + (slot + bar_width) / 2
    time_labels = [Label(first_x, _when(runs[0]), "start")]
    if len(runs) > 1:
        time_labels.append(Label(last_x, _when(runs[-1]), "end"))

    failed = sum(run.status == SyncRun.Status.FAILED for run in runs)
    summary = _(
        "Last %(count)d finished runs: %(failed)d failed; median duration %(median)s, "
        "longest %(longest)s; %(changes)d changes in all."
    ) % {
        "count": len(runs),
        "failed": failed,
        "median": format_duration(statistics.median(seconds)),
        "longest": format_duration(max(seconds)),
        "changes": sum(changes),
    }
    return Chart(
        bars=bars,
        duration_ticks=duration_ticks,
        changes_ticks=changes_ticks,
        time_labels=time_labels,
        summary=summary,
    )
