"""Everything the bot says, in one place, through gettext.

Msgids are English; the Russian lives in the project's locale (``ru`` is the default
language). Every text is HTML (parse mode ``HTML``): dynamic values go through `esc()`.
The functions render plain data (runs, humans, kinds) and never query the database: the
callers load what is shown (related objects included) before rendering.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from html import escape, unescape

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from integrations.models import SyncRun
from integrations.sync import registry
from integrations.text import format_duration

# Telegram refuses texts over 4096 characters; keep a margin for the markup.
MAX_MESSAGE = 3900
ERROR_PREVIEW = 300
DETAIL_LINE = 400

ICONS = {
    SyncRun.Status.QUEUED: "🕓",
    SyncRun.Status.RUNNING: "⏳",
    SyncRun.Status.SUCCEEDED: "✅",
    SyncRun.Status.FAILED: "❌",
    SyncRun.Status.SKIPPED: "⏭",
}


def esc(value: object) -> str:
    return escape(str(value), quote=False)


def clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fit(
    head: list[str],
    blocks: list[list[str]],
    tail: list[str],
    *,
    more: Callable[[int], str],
    left_out: int = 0,
    limit: int = MAX_MESSAGE,
) -> str:
    """`head`, as many of `blocks` as fit in one message, then `tail`; the blocks that do not
    fit (plus `left_out` never given) are said as "… and N more" (`more(n)`). Blocks are
    whole lines of markup, so a clipped message never cuts a tag."""
    reserve = len("\n".join(tail)) + len(more(len(blocks) + left_out)) + 8
    lines, used = list(head), len("\n".join(head))
    shown = 0
    for block in blocks:
        size = len("\n".join(block)) + 1
        if used + size + reserve > limit:
            break
        lines += block
        used += size
        shown += 1
    hidden = len(blocks) - shown + left_out
    if hidden:
        lines.append("… " + more(hidden))
    return "\n".join(lines + tail)


def plain(html_text: str, *, limit: int = 200) -> str:
    """An HTML text as plain text (for button alerts, which take no markup)."""
    text = unescape(re.sub(r"<[^>]+>", "", html_text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return local.strftime("%H:%M")
    return local.strftime("%d.%m %H:%M")


def kind_label(name: str) -> str:
    if name == registry.ALL:
        return _("Everything")
    try:
        return str(registry.get(name).label)
    except registry.UnknownSyncKind:
        return name


def who_started(run: SyncRun) -> str:
    """The member who started a run, or the door it came through."""
    if run.triggered_by is not None:
        return esc(run.triggered_by.full_name)
    return {
        SyncRun.Trigger.TELEGRAM: _("a member in Telegram"),
        SyncRun.Trigger.SCHEDULE: _("the schedule"),
        SyncRun.Trigger.CLI: _("the command line"),
        SyncRun.Trigger.ADMIN: _("the admin site"),
        SyncRun.Trigger.WEBHOOK: _("a change in Notion"),
    }.get(run.trigger, esc(run.trigger))


def run_ref(run: SyncRun) -> str:
    return f"#{run.pk} {esc(kind_label(run.kind))}"


def _kind(name: str) -> registry.SyncKind | None:
    try:
        return registry.get(name)
    except registry.UnknownSyncKind:
        return None


# --- commands menu and help ----------------------------------------------------------


def command_descriptions(kinds: Iterable[registry.SyncKind]) -> list[tuple[str, str]]:
    """(command, description) pairs for the menu (`set_my_commands`), in menu order."""
    kinds = list(kinds)
    lists = [
        ("import_list", _("Load a list of people from Google Sheets")),
        ("lists", _("Loaded lists and their last load")),
    ]
    commands = [
        ("sync", _("Sync Notion now (choose what)")),
        *[(k.command, _("Sync: %(label)s") % {"label": k.label}) for k in kinds],
        ("sync_all", _("Sync everything")),
        *(lists if _lists_enabled(kinds) else []),
        ("status", _("What is running; last results")),
        ("history", _("Recent syncs")),
        ("subscribe", _("Get told about other syncs")),
        ("unsubscribe", _("Stop those messages")),
        ("whoami", _("Who I think you are")),
        ("help", _("What this bot can do")),
    ]
    return commands


def _lists_enabled(kinds: list[registry.SyncKind]) -> bool:
    """/import_list and /lists are the `lists` kind's: offered only while it can run."""
    return any(k.name == "lists" for k in kinds)


def sync_kind_disabled(kind: registry.SyncKind) -> str:
    reason = kind.disabled_message() if kind.disabled_message else ""
    return "⏸ " + (
        esc(reason)
        or _("%(kind)s cannot run here: it is not set up.") % {"kind": esc(kind_label(kind.name))}
    )


def help_text(kinds: Iterable[registry.SyncKind], *, first_name: str = "") -> str:
    kinds = list(kinds)
    lines = []
    if first_name:
        lines.append(_("Hello, %(name)s!") % {"name": esc(first_name)})
    lines += [
        _(
            "I copy the organisation's data from Notion into our database. Syncs run on "
            "their own on a schedule; here you can start one right away and follow it."
        ),
        "",
        "<b>" + _("Sync now") + "</b>",
        "/sync — " + _("choose what to sync with buttons"),
    ]
    for kind in kinds:
        lines.append(f"/{kind.command} — {esc(kind.description or kind.label)}")
    lines.append("/sync_all — " + _("everything, one after another"))
    if _lists_enabled(kinds):
        lines += [
            "",
            "<b>" + _("Lists from Google Sheets") + "</b>",
            "/import_list "
            + esc(_("<link>"))
            + " — "
            + _("load a sign-up sheet and see who of them are our people and who is new"),
            "/lists — " + _("the loaded lists and their last load"),
        ]
    lines += [
        "",
        "<b>" + _("Follow") + "</b>",
        "/status — " + _("what is running now and how the last syncs ended"),
        "/history — " + _("the last syncs: who started them, how long they took, what changed"),
        "/subscribe — " + _("get a message about syncs started by others or by the schedule"),
        "/subscribe access — " + _("get a message when an account is bound by username"),
        "/unsubscribe — " + _("stop those messages"),
        "/whoami — " + _("who I think you are and how I recognised you"),
        "",
        _(
            "When a sync is started I answer with its number (like #12), update that message "
            "while it runs and write again when it is done."
        ),
    ]
    return "\n".join(lines)


# --- access --------------------------------------------------------------------------


def _identity(user_id: int, username: str | None) -> str:
    handle = f"@{esc(username)}" if username else _("none")
    return _("Your Telegram id: <code>%(id)s</code>\nYour username: %(username)s") % {
        "id": user_id,
        "username": handle,
    }


def access_refused(*, user_id: int, username: str | None) -> str:
    return "\n".join(
        [
            _("Sorry, this bot is only for members of the organisation."),
            _identity(user_id, username),
            _("If you should have access, send this to an organiser."),
        ]
    )


def access_ambiguous(*, user_id: int, username: str | None) -> str:
    return "\n".join(
        [
            _(
                "Your Telegram username is written for more than one person in Notion, so I "
                "cannot tell who you are. An admin must fix Notion: each username must belong "
                "to one person."
            ),
            _identity(user_id, username),
        ]
    )


def recognised_by(method: str, username: str | None) -> str:
    if method == "notion_id":
        return _("I recognised you by the Telegram id written in Notion.")
    if method == "bound_id":
        return _(
            "I recognised you by your Telegram id, bound when you first wrote to me (then by "
            "your username)."
        )
    return _(
        "I recognised you by your username @%(username)s; from now on I know you by your "
        "Telegram id."
    ) % {"username": esc(username or "")}


def whoami(
    *, full_name: str, user_id: int, username: str | None, method: str, subscriptions
) -> str:
    lines = [
        _("You are <b>%(name)s</b> in Notion.") % {"name": esc(full_name)},
        recognised_by(method, username),
        _identity(user_id, username),
    ]
    scopes = {s.scope for s in subscriptions if s.is_active}
    runs = scopes & {"all", "failures"}
    if runs:
        lines.append(subscribed_state(runs.pop()))
    else:
        lines.append(_("This chat is not subscribed to sync results (/subscribe)."))
    if "access" in scopes:
        lines.append(subscribed_state("access"))
    return "\n".join(lines)


def group_not_allowed(*, chat_id: int) -> str:
    return "\n".join(
        [
            _(
                "I only work in private chats and in groups an admin has allowed. Write to me "
                "privately; an admin can allow this group."
            ),
            _("This group's id (for TELEGRAM_GROUP_CHATS): <code>%(id)s</code>") % {"id": chat_id},
        ]
    )


def group_not_allowed_alert(*, chat_id: int) -> str:
    """The hint as a button's alert (plain text, 200 characters at most): short enough
    that the group's id always fits."""
    return _(
        "Not here: I only work in private chats and in groups an admin has allowed. Write to "
        "me privately. This group's id: %(id)s"
    ) % {"id": chat_id}


def group_migrated(*, old_chat_id: int, new_chat_id: int) -> str:
    return _(
        "This group became a supergroup and got a new id: <code>%(new)s</code>. Subscriptions "
        "moved with it. An admin must put the new id in TELEGRAM_GROUP_CHATS instead of "
        "%(old)s, or I will stop answering here."
    ) % {"new": new_chat_id, "old": old_chat_id}


def stale_command(*, command: str, sent_at: datetime) -> str:
    return _(
        "You sent %(command)s at %(when)s, while I was unavailable. I did not run it: too much "
        "time has passed. If you still need it, send it again."
    ) % {"command": esc(clip(command, 40)), "when": when(sent_at)}


def stale_press() -> str:
    return _(
        "You pressed this button while I was unavailable: I did not run anything. Press it "
        "again, or send the command again (/sync, /subscribe) for fresh buttons."
    )


def forwarded_command(*, command: str) -> str:
    return _(
        "You forwarded %(command)s: I do not run forwarded commands (they may be someone "
        "else's, and old). If you need it, send it yourself."
    ) % {"command": esc(clip(command, 40))}


def too_many_commands(*, seconds: int) -> str:
    return _(
        "Too many commands at once: I am skipping yours for a while. Try again in about "
        "%(seconds)d seconds."
    ) % {"seconds": seconds}


def access_bound(*, human, user_id: int, username: str | None, name: str) -> str:
    handle = f"@{esc(username)}" if username else _("no username")
    return "\n".join(
        [
            "🔐 "
            + _(
                "A Telegram account was recognised by its username for the first time and is "
                "now bound to a person in Notion:"
            ),
            _("%(account)s (id <code>%(id)s</code>, “%(name)s” in Telegram) → %(human)s")
            % {
                "account": handle,
                "id": user_id,
                "name": esc(clip(name, 80)),
                "human": f'<a href="{esc(human.notion_url)}">{esc(human.full_name)}</a>',
            },
            _(
                "If that is not them, forget the binding in the admin site (Humans) and fix the "
                "username in Notion."
            ),
        ]
    )


# --- hints ---------------------------------------------------------------------------


def unknown_command(command: str) -> str:
    return _("I do not know the command %(command)s. Here is what I can do: /help") % {
        "command": esc(clip(command, 40))
    }


def plain_text_hint() -> str:
    return _("I only understand commands. Try /sync to sync Notion now, or /help.")


def no_arguments(command: str) -> str:
    return _("/%(command)s takes nothing after it: just send /%(command)s.") % {
        "command": esc(command)
    }


def sync_unknown_kind(value: str, kinds: Iterable[registry.SyncKind]) -> str:
    options = ", ".join(f"/{k.command}" for k in kinds)
    return _("I cannot sync “%(value)s”. Choose: %(options)s, /sync_all or just /sync.") % {
        "value": esc(clip(value, 40)),
        "options": options,
    }


def history_bad_argument() -> str:
    return _("Send /history for the last 10 syncs, or /history 25 for more (up to 30).")


def stale_button() -> str:
    return _("This button is out of date. Send /help to see what I can do.")


def something_went_wrong() -> str:
    return _(
        "Sorry, something went wrong on my side. Please try again in a minute; if it "
        "happens again, tell the developers."
    )


# --- syncs ---------------------------------------------------------------------------


def sync_choose() -> str:
    return _("What should I sync from Notion?")


def sync_button_all() -> str:
    return _("Everything")


def sync_accepted(runs: list[SyncRun]) -> str:
    refs = ", ".join(run_ref(r) for r in runs)
    return "\n".join(
        [
            "🕓 " + _("Sync started: %(runs)s.") % {"runs": refs},
            _("I will update this message while it runs and write when it is done."),
        ]
    )


def sync_busy(run: SyncRun) -> str:
    started = run.started_at or run.queued_at
    return "\n".join(
        [
            _(
                "This sync is already running: %(run)s, started by %(who)s at %(when)s. "
                "I did not start another one."
            )
            % {"run": run_ref(run), "who": who_started(run), "when": when(started)},
            _("/status shows how far it got."),
        ]
    )


def _run_state_line(run: SyncRun, *, fetched: int | None = None, elapsed=None) -> str:
    icon = ICONS.get(run.status, "•")
    ref = run_ref(run)
    if run.status == SyncRun.Status.QUEUED:
        return f"{icon} {ref}: " + _("waiting for its turn")
    if run.status == SyncRun.Status.RUNNING:
        count = run.fetched if fetched is None else fetched
        kind = _kind(run.kind)
        if kind is not None and kind.progress_text is not None:
            state = esc(kind.progress_text(run.phase, count))
        elif run.phase == "applying":
            state = ngettext(
                "writing changes (%(n)d page fetched)",
                "writing changes (%(n)d pages fetched)",
                count,
            ) % {"n": count}
        else:
            state = ngettext(
                "fetching from Notion: %(n)d page so far",
                "fetching from Notion: %(n)d pages so far",
                count,
            ) % {"n": count}
        if elapsed is None and run.started_at:
            elapsed = timezone.now() - run.started_at
        if elapsed is not None:
            state += f", {format_duration(elapsed)}"
        return f"{icon} {ref}: {state}"
    if run.status == SyncRun.Status.SUCCEEDED:
        return f"{icon} {ref}: " + _("done in %(duration)s") % {
            "duration": format_duration(run.duration)
        }
    if run.status == SyncRun.Status.FAILED:
        return f"{icon} {ref}: " + _("failed")
    return f"{icon} {ref}: " + _("not run")


def sync_progress(runs: list[SyncRun], *, current: SyncRun | None = None, progress=None) -> str:
    """The accepted message, updated: one line per run started with it."""
    lines = []
    for run in runs:
        if current is not None and progress is not None and run.pk == current.pk:
            lines.append(
                _run_state_line(current, fetched=progress.fetched, elapsed=progress.elapsed)
            )
        else:
            lines.append(_run_state_line(run))
    if any(r.is_active for r in runs):
        lines.append(_("I will write when it is done."))
    return "\n".join(lines)


def counts_line(run: SyncRun) -> str:
    parts = [
        _("fetched %(n)d") % {"n": run.fetched},
        _("new %(n)d") % {"n": run.created},
        _("updated %(n)d") % {"n": run.updated},
        _("unchanged %(n)d") % {"n": run.unchanged},
        _("deactivated %(n)d") % {"n": run.deactivated},
    ]
    if run.skipped:
        parts.append(_("skipped %(n)d") % {"n": run.skipped})
    return ", ".join(parts)


def _warnings_line(run: SyncRun) -> str:
    count = len(run.warnings or [])
    if not count:
        return ""
    first = esc(clip(run.warnings[0], 200))
    text = ngettext(
        "⚠️ %(n)d warning, e.g.: %(first)s",
        "⚠️ %(n)d warnings, e.g.: %(first)s",
        count,
    ) % {"n": count, "first": first}
    return text + "\n" + _("All of them are in the admin site, on the run's page.")


def _more_lines(n: int) -> str:
    return ngettext(
        "and %(n)d more line: the whole report is in the admin site, on the run's page.",
        "and %(n)d more lines: the whole report is in the admin site, on the run's page.",
        n,
    ) % {"n": n}


def run_finished(run: SyncRun, *, for_subscriber: bool = False) -> str:
    """The message that reports a run's end (to the chat that started it, or a subscriber)."""
    ref = run_ref(run)
    lines = []
    if for_subscriber:
        lines.append(
            "🔔 "
            + _("Sync %(run)s, started by %(who)s at %(when)s:")
            % {"run": ref, "who": who_started(run), "when": when(run.started_at or run.queued_at)}
        )
        ref_in_sentence = ""
    else:
        ref_in_sentence = ref
    icon = ICONS.get(run.status, "•")
    duration = format_duration(run.duration)
    dry = " " + _("(dry run: nothing was written)") if run.dry_run else ""
    if run.status == SyncRun.Status.SUCCEEDED:
        if ref_in_sentence:
            head = _("Sync %(run)s is done in %(duration)s.") % {
                "run": ref_in_sentence,
                "duration": duration,
            }
        else:
            head = _("done in %(duration)s.") % {"duration": duration}
        lines.append(f"{icon} {head}{dry}")
        kind = _kind(run.kind)
        details = kind.summarize(run) if kind is not None and kind.summarize else []
        warnings = _warnings_line(run)
        return fit(
            lines,
            [
                [esc(line if len(line) <= DETAIL_LINE else clip(line, DETAIL_LINE))]
                for line in details
            ]
            or [[counts_line(run)]],
            [warnings] if warnings else [],
            more=_more_lines,
        )
    elif run.status == SyncRun.Status.FAILED:
        if ref_in_sentence:
            head = _("Sync %(run)s failed.") % {"run": ref_in_sentence}
        else:
            head = _("failed.")
        lines.append(f"{icon} {head}{dry}")
        lines.append(_("Reason: %(reason)s") % {"reason": esc(clip(run.error, ERROR_PREVIEW))})
        lines.append(_("A failed sync changes nothing: the data stays as it was before. /status"))
    else:
        if ref_in_sentence:
            head = _("Sync %(run)s did not run.") % {"run": ref_in_sentence}
        else:
            head = _("did not run.")
        lines.append(f"{icon} {head}")
        if run.error:
            lines.append(esc(clip(run.error, ERROR_PREVIEW)))
    return "\n".join(lines)


# --- status and history --------------------------------------------------------------


def status(
    *,
    active: list[SyncRun],
    last_by_kind: dict[str, SyncRun | None],
    last_success_by_kind: dict[str, SyncRun | None],
) -> str:
    lines = ["<b>" + _("Running now") + "</b>"]
    if active:
        for run in active:
            lines.append(_run_state_line(run))
            lines.append("   " + _("started by %(who)s") % {"who": who_started(run)})
    else:
        lines.append(_("Nothing is running."))
    lines += ["", "<b>" + _("Last results") + "</b>"]
    for name, run in last_by_kind.items():
        label = esc(kind_label(name))
        if run is None:
            lines.append("▫️ " + _("%(kind)s: never synced yet") % {"kind": label})
            continue
        icon = ICONS.get(run.status, "•")
        if run.status == SyncRun.Status.SUCCEEDED:
            lines.append(
                f"{icon} "
                + _("%(kind)s: #%(id)s at %(when)s, %(changes)s")
                % {
                    "kind": label,
                    "id": run.pk,
                    "when": when(run.finished_at),
                    "changes": ngettext("%(n)d change", "%(n)d changes", run.changes)
                    % {"n": run.changes},
                }
            )
        else:
            lines.append(
                f"{icon} "
                + _("%(kind)s: #%(id)s failed at %(when)s: %(reason)s")
                % {
                    "kind": label,
                    "id": run.pk,
                    "when": when(run.finished_at),
                    "reason": esc(clip(run.error, 150)),
                }
            )
            success = last_success_by_kind.get(name)
            lines.append(
                "   "
                + (
                    _("last success: #%(id)s at %(when)s")
                    % {"id": success.pk, "when": when(success.finished_at)}
                    if success
                    else _("no successful sync yet")
                )
            )
    return "\n".join(lines)


def history(runs: list[SyncRun]) -> str:
    if not runs:
        return _("No syncs yet. Start one with /sync.")
    lines = [
        "<b>"
        + ngettext("The last %(n)d sync", "The last %(n)d syncs", len(runs)) % {"n": len(runs)}
        + "</b>"
    ]
    for run in runs:
        icon = ICONS.get(run.status, "•")
        head = " · ".join(
            [
                f"{icon} {run_ref(run)}",
                when(run.started_at or run.queued_at),
                who_started(run),
            ]
        )
        if run.duration is not None and run.status != SyncRun.Status.SKIPPED:
            head += " · " + format_duration(run.duration)
        lines.append(head)
        if run.status == SyncRun.Status.SUCCEEDED:
            detail = counts_line(run)
            if run.warnings:
                detail += ", " + ngettext("%(n)d warning", "%(n)d warnings", len(run.warnings)) % {
                    "n": len(run.warnings)
                }
        elif run.is_active:
            detail = _run_state_line(run).split(": ", 1)[-1]
        else:
            detail = esc(clip(run.error, 120)) if run.error else str(run.get_status_display())
        lines.append("   " + detail)
    text = "\n".join(lines)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE].rsplit("\n", 1)[0]


# --- subscriptions -------------------------------------------------------------------


def subscribe_choose() -> str:
    return _(
        "Which syncs should I tell this chat about? Only those started by others or by the "
        "schedule: you always hear about your own. Or the new bindings: when a Telegram "
        "account is first recognised by its username."
    )


def subscribe_button_all() -> str:
    return _("All results")


def subscribe_button_failures() -> str:
    return _("Failures only")


def subscribe_button_access() -> str:
    return _("New bindings")


def subscribed_state(scope: str) -> str:
    if scope == "access":
        return _("This chat is told when a Telegram account is bound to a person by username.")
    if scope == "failures":
        return _("This chat is subscribed to failed syncs.")
    return _("This chat is subscribed to the results of all syncs.")


def subscribed(scope: str) -> str:
    return "🔔 " + subscribed_state(scope) + "\n" + _("Send /unsubscribe to stop.")


def unsubscribed() -> str:
    return _("Done: I will not write here about other syncs any more.")


def not_subscribed() -> str:
    return _("This chat was not subscribed. /subscribe to start.")


def subscription_bad_argument() -> str:
    return _(
        "Send /subscribe and pick with the buttons, or /subscribe all, /subscribe failures, "
        "/subscribe access."
    )


def schema_problems(*, kind: str, problems: list[str]) -> str:
    lines = "\n".join(f"• {esc(clip(problem, 200))}" for problem in problems[:10])
    return _(
        "⚠️ The Notion database of %(kind)s changed, and its properties no longer fit the "
        "settings:\n%(problems)s\nSyncs of it will fail until Notion or the mapping "
        "(NOTION_*_FIELDS) is fixed; `manage.py notion_check` shows the details."
    ) % {"kind": esc(kind_label(kind)), "problems": lines}


# --- lists from Google Sheets -------------------------------------------------------------


def _share_hint(email: str | None) -> str:
    if not email:
        return import_list_not_configured()
    return _("The sheet must be shared with <code>%(email)s</code> (Viewer).") % {
        "email": esc(email)
    }


def import_list_usage(email: str | None) -> str:
    return "\n".join(
        [
            _(
                "Send /import_list and the link to a Google Sheet (a form's answers sheet "
                "works), for example:"
            ),
            "<code>/import_list https://docs.google.com/spreadsheets/d/…/edit</code>",
            _share_hint(email),
        ]
    )


def import_list_not_a_link(reason: str) -> str:
    return "❌ " + esc(reason)


def import_list_not_configured() -> str:
    return _(
        "Lists from Google Sheets are not set up here yet: the admin must set "
        "GOOGLE_SERVICE_ACCOUNT_FILE (README, “Lists from Google Sheets”)."
    )


def list_import_accepted(run: SyncRun, *, link: str) -> str:
    return "\n".join(
        [
            "🕓 " + _("Loading the list: %(run)s.") % {"run": run_ref(run)},
            esc(clip(link, 200)),
            _("I will update this message while it runs and write when it is done."),
        ]
    )


def lists_overview(items: list, *, share_with: str | None, total: int | None = None) -> str:
    """`/lists`: each list with its entries and last load (items: ListOverview, the first
    of `total` lists)."""
    if not items:
        return "\n".join(
            [
                _("No lists yet. Load one with /import_list and a sheet's link."),
                _share_hint(share_with),
            ]
        )
    total = max(total or 0, len(items))
    head = ["<b>" + ngettext("%(n)d list", "%(n)d lists", total) % {"n": total} + "</b>"]
    blocks = []
    for item in items:
        lines = []
        blocks.append(lines)
        icon = "📋" if item.is_active else "💤"
        lines.append(f"{icon} <b>{esc(clip(item.name, 200))}</b>")
        lines.append(
            "   "
            + _("%(entries)d people: our %(ours)d, new %(new)d")
            % {"entries": item.entries, "ours": item.ours, "new": item.new}
        )
        if item.last_run_id is not None:
            lines.append(
                "   "
                + _("last load: #%(id)s at %(when)s")
                % {"id": item.last_run_id, "when": when(item.last_loaded_at)}
            )
        else:
            lines.append("   " + _("last load: —"))
        if item.last_error:
            lines.append("   ❗ " + esc(clip(item.last_error, 200)))
        if not item.is_active:
            lines.append("   " + _("(not re-imported: switched off in the admin)"))
        lines.append("   " + esc(item.url))
    return fit(
        head,
        blocks,
        ["", _share_hint(share_with)],
        more=lambda n: ngettext("and %(n)d more list", "and %(n)d more lists", n) % {"n": n},
        left_out=total - len(items),
    )
