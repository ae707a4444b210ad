"""Plain-text renderings of list loads, shared by the bot's end message and the CLI.

They read a run's `report` (what `lists.loading` put there), never the database, so a dry
run is described as well as a real one.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

NAMES_SHOWN = 10
NAME_LENGTH = 40


def _names(names: list[str], count: int) -> str:
    """The first names shown, and how many more there are."""
    shown = [_short(n) for n in names if n][:NAMES_SHOWN]
    text = ", ".join(shown)
    if count > len(shown):
        text += " " + _("and %(n)d more") % {"n": count - len(shown)}
    return text


def _short(name: str) -> str:
    name = " ".join(name.split())
    return name if len(name) <= NAME_LENGTH else name[: NAME_LENGTH - 1].rstrip() + "…"


def progress_text(phase: str, fetched: int) -> str:
    if phase == "applying":
        return ngettext(
            "writing changes (%(n)d row read)", "writing changes (%(n)d rows read)", fetched
        ) % {"n": fetched}
    return ngettext(
        "reading Google Sheets: %(n)d row so far",
        "reading Google Sheets: %(n)d rows so far",
        fetched,
    ) % {"n": fetched}


def run_summary(run: Any) -> list[str]:
    """What a finished lists run did, list by list."""
    loads = (run.report or {}).get("lists")
    if loads is None:
        return []
    if not loads:
        return [_("No active lists to load: add one with /import_list or manage.py import_list.")]
    lines: list[str] = []
    for load in loads:
        lines += list_summary(load)
    return lines


def list_summary(load: dict[str, Any]) -> list[str]:
    name = load.get("name") or "?"
    if load.get("error"):
        return [
            "❗ "
            + _("«%(name)s» was not loaded: %(reason)s") % {"name": name, "reason": load["error"]}
        ]
    matched = load.get("matched") or {}
    ours = sum(matched.values())
    rows = load.get("rows", 0)
    head = ngettext("«%(name)s»: %(n)d row read", "«%(name)s»: %(n)d rows read", rows) % {
        "name": name,
        "n": rows,
    }
    if load.get("registered"):
        head += " " + _("(a new list)")
    elif load.get("reactivated"):
        head += " " + _("(switched on again: re-imported by every lists run)")
    lines = ["📋 " + head]
    lines.append(
        "👥 "
        + _("our people: %(n)d (by Telegram %(tg)d, by e-mail %(email)d, by phone %(phone)d)")
        % {
            "n": ours,
            "tg": matched.get("telegram", 0),
            "email": matched.get("email", 0),
            "phone": matched.get("phone", 0),
        }
    )
    new = load.get("not_found", 0)
    if new:
        lines.append(
            "🆕 "
            + _("new (not among our people): %(n)d — %(names)s")
            % {"n": new, "names": _names(load.get("new_names", []), new)}
        )
        hints = load.get("name_hints", 0)
        if hints:
            lines.append(
                "   "
                + ngettext(
                    "%(n)d of them has a member's name: check by hand (admin, list entries)",
                    "%(n)d of them have a member's name: check by hand (admin, list entries)",
                    hints,
                )
                % {"n": hints}
            )
    else:
        lines.append("🆕 " + _("new (not among our people): none"))
    former = load.get("former", 0)
    if former:
        lines.append(
            "💤 "
            + _("former members (inactive in Notion): %(n)d — %(names)s")
            % {"n": former, "names": _names(load.get("former_names", []), former)}
        )
    conflicts = load.get("conflicts", 0)
    if conflicts:
        lines.append(
            "⚠️ "
            + _("contacts of different members: %(n)d (matched to neither: see the warnings)")
            % {"n": conflicts}
        )
    merged = load.get("merged", 0)
    if merged:
        lines.append(
            "🔁 "
            + ngettext(
                "%(n)d repeated submission merged (the latest one kept)",
                "%(n)d repeated submissions merged (the latest ones kept)",
                merged,
            )
            % {"n": merged}
        )
    skipped = load.get("skipped") or {}
    blank, nobody = skipped.get("blank", 0), skipped.get("no_identity", 0)
    if blank or nobody:
        reasons = []
        if blank:
            reasons.append(ngettext("%(n)d blank", "%(n)d blank", blank) % {"n": blank})
        if nobody:
            reasons.append(
                ngettext(
                    "%(n)d without a name or contact", "%(n)d without a name or contact", nobody
                )
                % {"n": nobody}
            )
        lines.append(
            "⏭ "
            + _("skipped %(n)d: %(reasons)s") % {"n": blank + nobody, "reasons": ", ".join(reasons)}
        )
    lines.append(
        "✏️ "
        + _("entries: %(created)d added, %(updated)d changed, %(removed)d removed")
        % {
            "created": load.get("created", 0),
            "updated": load.get("updated", 0),
            "removed": load.get("removed", 0),
        }
    )
    return lines
