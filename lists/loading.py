"""A run of the `lists` kind: read each sheet, match its people, diff them against the stored
entries, then write every change of the run in its one apply transaction.

Which lists: the one the run was asked for (`ctx.params`, from `import_list`), registered
in the same transaction if it is new (a failed load or a dry run registers nothing); else
every active list. Reading comes first, with no transaction open (the network is slow, and
the bot, the queue and the run's heartbeat keep writing meanwhile); the diff reads the
stored entries; the apply writes only what changed: a re-import with nothing changed writes
no entry, and an entry whose row only moved (a row inserted above) gets its new row number
and is counted unchanged. Entries whose person is gone from the sheet are deleted and counted
(`deactivated`), behind the same mass-change guard as Humans: a sheet emptied by mistake
never wipes a list.

A list that cannot be read (no longer shared, tab deleted, no usable columns) fails the run
when it was the one asked for; in a run of every list it is a warning, and the others load.

Requests: a list asked for costs `spreadsheets.get` (its title and tabs) + `values.get`;
a known list in a run of every list costs one `values.get` (and `spreadsheets.get` only when
its tab was renamed). Plus a token request per run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.sheets.client import SheetsClient, quote_title
from integrations.sheets.errors import (
    SheetsAccessDenied,
    SheetsBadRange,
    SheetsConfigurationError,
    SheetsError,
    SheetsNotASpreadsheet,
    SheetsNotFound,
)
from integrations.sheets.factory import sheets_client
from integrations.sheets.links import sheet_url
from integrations.sync.base import (
    MassDeactivationRefused,
    SyncContext,
    SyncCounts,
    SyncFailed,
    is_mass_change,
    mass_change_percent,
)
from lists.columns import FIELDS, IDENTIFYING, effective_columns, looks_like_header
from lists.matching import HumanIndex
from lists.models import ListEntry, PeopleList
from lists.persons import SKIP_BLANK, SKIP_NO_IDENTITY, Person, persons_of
from lists.table import read_table

ENTRY_FIELDS = (
    "row_number",
    "values",
    "full_name",
    "telegram_username",
    "email",
    "phone",
    "submitted_at",
    "human_id",
    "match",
    "name_match_id",
    "conflict",
    "former_member_id",
)
BATCH = 500
NEW_NAMES_SHOWN = 15


@dataclass(frozen=True)
class ImportTarget:
    """The list a run was asked to load (kept on the run as its `params`)."""

    spreadsheet_id: str
    sheet_id: int | None = None
    sheet_title: str | None = None
    name: str | None = None
    created_by: int | None = None

    def as_params(self) -> dict[str, Any]:
        return {"list": {k: v for k, v in asdict(self).items() if v is not None}}

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ImportTarget | None:
        wanted = params.get("list")
        return cls(**wanted) if wanted else None


class ListProblem(SyncFailed):
    """This list cannot be loaded; `str()` says why, as the end of a sentence ("… was not
    loaded: the tab «X» is empty")."""


@dataclass
class StagedList:
    """What one list's load will write, computed before the apply transaction."""

    people_list: PeopleList | None  # None: a list seen for the first time
    registration: dict[str, Any]
    changes: dict[str, Any]  # fields of an existing list that change (name, tab, columns...)
    create: list[dict] = field(default_factory=list)
    update: list[dict] = field(default_factory=list)
    delete: list[int] = field(default_factory=list)
    #: (pk, row number) of entries whose person is unchanged but whose row moved (a row
    #: inserted above, rows sorted): written so the link goes to the row, not counted
    move: list[tuple[int, int]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


class ListsRun:
    """One run of the `lists` kind. The registered kind makes a new one for every run."""

    def __init__(self, ctx: SyncContext, client: SheetsClient) -> None:
        self.ctx = ctx
        self.client = client
        self.region = settings.LISTS_PHONE_REGION
        self.index: HumanIndex | None = None
        self.former: HumanIndex | None = None

    @classmethod
    def execute(cls, ctx: SyncContext) -> SyncCounts:
        try:
            client = ctx.use_client(sheets_client())
        except SheetsConfigurationError as exc:
            raise SyncFailed(str(exc)) from exc
        return cls(ctx, client).run()

    # -- the run ------------------------------------------------------------------------
    def run(self) -> SyncCounts:
        ctx = self.ctx
        target = ImportTarget.from_params(ctx.params)
        self.index = HumanIndex.load(region=self.region)
        self.former = HumanIndex.load(region=self.region, active=False)
        staged: list[StagedList] = []
        failed: list[tuple[PeopleList, str]] = []
        ctx.progress("fetching")
        if target is not None:
            try:
                staged.append(self._stage_target(target))
            except SheetsError as exc:
                raise SyncFailed(str(exc)) from exc
            except ListProblem as exc:
                raise SyncFailed(
                    _("The list was not loaded: %(reason)s") % {"reason": exc}
                ) from exc
        else:
            for people_list in PeopleList.objects.filter(is_active=True).order_by("pk"):
                try:
                    staged.append(self._stage_known(people_list))
                except (SheetsError, SyncFailed) as exc:
                    if not _about_this_list(exc):
                        raise SyncFailed(str(exc)) from exc  # Google itself: fail the run
                    ctx.warn(
                        _("List «%(name)s» was not loaded: %(reason)s")
                        % {"name": people_list.name, "reason": exc}
                    )
                    failed.append((people_list, str(exc)))
                ctx.progress("fetching")
            if failed and not staged:
                self._fail_every_list(failed)
        ctx.progress("applying")
        with ctx.apply_transaction():
            # A dry run sends no write at all (the transaction's rollback is only the safety
            # net): a list created and rolled back would still take an id from the sequence,
            # and the report would name a list that does not exist.
            if not ctx.dry_run:
                for item in staged:
                    self._apply(item)
                for people_list, reason in failed:
                    PeopleList.objects.filter(pk=people_list.pk).update(last_error=reason[:2000])
            ctx.report = {
                "lists": [item.summary for item in staged]
                + [
                    {"list_id": pl.pk, "name": pl.name, "url": pl.sheet_link, "error": reason}
                    for pl, reason in failed
                ]
            }
        return ctx.counts

    def _fail_every_list(self, failed: list[tuple[PeopleList, str]]) -> None:
        """No list could be read: the run failed (not a success with warnings). Each list
        keeps why, for /lists and the admin (bookkeeping, not the lists' data)."""
        if not self.ctx.dry_run:
            for people_list, reason in failed:
                PeopleList.objects.filter(pk=people_list.pk).update(last_error=reason[:2000])
        raise SyncFailed(
            _("No list could be loaded: %(reasons)s")
            % {"reasons": "; ".join(f"«{pl.name}»: {reason}" for pl, reason in failed)}
        )

    # -- reading ------------------------------------------------------------------------
    def _stage_target(self, target: ImportTarget) -> StagedList:
        client, sid = self.client, target.spreadsheet_id
        meta = client.spreadsheet(sid)
        tabs = [s.get("properties", {}) for s in meta.get("sheets", [])]
        tab = _choose_tab(tabs, target)
        title, gid = tab["title"], tab.get("sheetId")
        known = PeopleList.objects.filter(spreadsheet_id=sid)
        # By the tab's id first: the tab may have been renamed since the list was loaded.
        people_list = (gid is not None and known.filter(sheet_id=gid).first()) or known.filter(
            sheet_title=title
        ).first()
        values = client.values(sid, quote_title(title))
        spreadsheet_title = (meta.get("properties") or {}).get("title") or sid
        default_name = spreadsheet_title if len(tabs) == 1 else f"{spreadsheet_title} — {title}"
        if people_list is None:
            registration = {
                "name": (target.name or default_name)[:300],
                "spreadsheet_id": sid,
                "sheet_title": title,
                "sheet_id": gid,
                "source_url": sheet_url(sid, gid),
                "created_by_id": target.created_by,
            }
            return self._stage(None, registration, values)
        changes = {}
        if not people_list.is_active:
            changes["is_active"] = True  # asked for by name: switched on again
        if target.name and target.name != people_list.name:
            changes["name"] = target.name[:300]
        if people_list.sheet_title != title:
            changes["sheet_title"] = title
        if people_list.sheet_id != gid:
            changes["sheet_id"] = gid
        return self._stage(people_list, {}, values, changes)

    def _stage_known(self, people_list: PeopleList) -> StagedList:
        sid, changes = people_list.spreadsheet_id, {}
        try:
            values = self.client.values(sid, quote_title(people_list.sheet_title))
        except SheetsBadRange:
            tabs = [s.get("properties", {}) for s in self.client.spreadsheet(sid).get("sheets", [])]
            tab = next((t for t in tabs if t.get("sheetId") == people_list.sheet_id), None)
            if tab is None or people_list.sheet_id is None:
                raise ListProblem(
                    _("its tab «%(tab)s» is gone from the spreadsheet.")
                    % {"tab": people_list.sheet_title}
                ) from None
            changes["sheet_title"] = tab["title"]
            values = self.client.values(sid, quote_title(tab["title"]))
        return self._stage(people_list, {}, values, changes)

    # -- from values to the changes -------------------------------------------------------
    def _stage(
        self,
        people_list: PeopleList | None,
        registration: dict[str, Any],
        values: list[list[Any]],
        changes: dict[str, Any] | None = None,
    ) -> StagedList:
        ctx = self.ctx
        changes = dict(changes or {})
        name = people_list.name if people_list else registration["name"]
        if "name" in changes:
            name = changes["name"]
        title = changes.get("sheet_title") or (
            people_list.sheet_title if people_list else registration["sheet_title"]
        )
        saved = people_list.columns if people_list else {}
        saved_headers = {h for h in (saved or {}).values() if h}
        table = read_table(
            values,
            is_header=lambda cells: looks_like_header(cells) or bool(saved_headers & set(cells)),
        )
        if table is None:
            raise ListProblem(
                _("the tab «%(tab)s» is empty: there is not even a header row.") % {"tab": title}
            )
        columns, missing = effective_columns(saved=saved or {}, headers=table.headers)
        for header in missing:
            ctx.warn(
                _("List «%(name)s»: the column «%(header)s» is not in the sheet any more.")
                % {"name": name, "header": header}
            )
        if not any(f in columns for f in IDENTIFYING):
            shown = ", ".join(f"«{h}»" for h in table.headers[:8])
            raise ListProblem(
                _(
                    "no column of the tab «%(tab)s» holds names or contacts. The first row "
                    "should have headers such as «ФИО», «Telegram», «Почта», «Телефон»; it has "
                    "%(headers)s."
                )
                % {"tab": title, "headers": shown}
            )
        # Kept: what was used, and the fields the admin switched off (so they stay off).
        stored = {
            f: columns.get(f, "") for f in FIELDS if f in columns or (saved or {}).get(f) == ""
        }
        if people_list is None or stored != people_list.columns:
            changes["columns"] = stored
        if people_list is None or table.headers != people_list.headers:
            changes["headers"] = table.headers
        persons, problems = persons_of(table, columns, region=self.region)
        for row_number, problem in problems:
            ctx.warn(
                _("List «%(name)s», row %(row)d: %(problem)s; left empty.")
                % {"name": name, "row": row_number, "problem": problem}
            )
        entries = [self._entry(person) for person in persons.people]
        for entry in entries:
            if entry["conflict"]:
                whom = entry["conflict"]
                ctx.warn(
                    _(
                        "List «%(name)s», row %(row)d: its contacts are different members' "
                        "(%(whom)s), so it is matched to neither; correct the row or Notion."
                    )
                    % {"name": name, "row": entry["row_number"], "whom": whom}
                )
        staged = StagedList(people_list, registration, changes)
        self._diff(staged, entries, name)
        # Counted once the list is sure to load (a refused list counts nothing).
        ctx.counts.fetched += persons.rows
        ctx.counts.skipped += sum(persons.skipped.values())
        staged.summary = self._summary(staged, name, persons, entries)
        return staged

    def _entry(self, person: Person) -> dict[str, Any]:
        match = self.index.match(person)
        former = None
        if match.human_id is None and not match.conflict:
            former = self.former.match(person).human_id
        conflict = ", ".join(
            f"{member} ({ListEntry.Match(by).label})" for by, member in match.conflict
        )
        return {
            "row_key": person.row_key,
            "row_number": person.row_number,
            "values": person.values,
            "full_name": person.full_name,
            "telegram_username": person.telegram_username,
            "email": person.email,
            "phone": person.phone,
            "submitted_at": person.submitted_at,
            "human_id": match.human_id,
            "match": match.by,
            "name_match_id": match.hint_id,
            "_first_name": person.first_name,
            "conflict": conflict[:600],
            "former_member_id": former,
        }

    def _diff(self, staged: StagedList, entries: list[dict], name: str) -> None:
        """Classify entries against the stored ones (reads only: one lists run at a time)."""
        counts = self.ctx.counts
        existing: dict[str, dict] = {}
        if staged.people_list is not None:
            existing = {
                row["row_key"]: row
                for row in ListEntry.objects.filter(people_list=staged.people_list).values(
                    "pk", "row_key", *ENTRY_FIELDS
                )
            }
        seen, unchanged = set(), 0
        for entry in entries:
            row = {k: v for k, v in entry.items() if not k.startswith("_")}
            old = existing.get(row["row_key"])
            seen.add(row["row_key"])
            if old is None:
                staged.create.append(row)
            elif any(old[f] != row[f] for f in ENTRY_FIELDS if f != "row_number"):
                staged.update.append({**row, "pk": old["pk"]})
            else:
                unchanged += 1
                if old["row_number"] != row["row_number"]:
                    staged.move.append((old["pk"], row["row_number"]))
        staged.delete = [row["pk"] for key, row in existing.items() if key not in seen]
        if is_mass_change(len(staged.delete), len(existing), self.ctx):
            raise MassDeactivationRefused(
                _(
                    "Refused: loading «%(name)s» would remove %(n)d of its %(total)d entries (more "
                    "than %(pct)d%%). Nothing was changed. If the sheet was emptied by mistake, "
                    "restore it; if the removal is intended, run `manage.py import_list %(link)s "
                    "--allow-mass-deactivation`."
                )
                % {
                    "name": name,
                    "n": len(staged.delete),
                    "total": len(existing),
                    "pct": mass_change_percent(),
                    "link": staged.people_list.sheet_link,
                }
            )
        counts.unchanged += unchanged
        counts.created += len(staged.create)
        counts.updated += len(staged.update)
        counts.deactivated += len(staged.delete)

    def _summary(self, staged: StagedList, name: str, persons, entries: list[dict]) -> dict:
        matched = Counter(e["match"] for e in entries if e["match"])
        new = [e for e in entries if not (e["match"] or e["conflict"] or e["former_member_id"])]
        former = [e for e in entries if e["former_member_id"]]
        people_list = staged.people_list
        return {
            "list_id": people_list.pk if people_list else None,
            "name": name,
            "url": people_list.sheet_link if people_list else staged.registration["source_url"],
            "registered": people_list is None,
            "reactivated": staged.changes.get("is_active") is True,
            "rows": persons.rows,
            "entries": len(entries),
            "created": len(staged.create),
            "updated": len(staged.update),
            "removed": len(staged.delete),
            "skipped": {
                SKIP_BLANK: persons.skipped.get(SKIP_BLANK, 0),
                SKIP_NO_IDENTITY: persons.skipped.get(SKIP_NO_IDENTITY, 0),
            },
            "merged": persons.merged,
            "matched": {by: matched.get(by, 0) for by in ("telegram", "email", "phone")},
            "not_found": len(new),
            "conflicts": sum(1 for e in entries if e["conflict"]),
            "former": len(former),
            "former_names": [e["_first_name"] or e["full_name"] for e in former][:NEW_NAMES_SHOWN],
            "new_names": [e["_first_name"] or e["full_name"] for e in new][:NEW_NAMES_SHOWN],
            "name_hints": sum(1 for e in new if e["name_match_id"]),
        }

    # -- writing (inside the run's apply transaction) ------------------------------------
    def _apply(self, staged: StagedList) -> None:
        now = timezone.now()
        bookkeeping = {"last_run_id": self.ctx.run_id, "last_loaded_at": now, "last_error": ""}
        people_list = staged.people_list
        if people_list is None:
            people_list = PeopleList.objects.create(
                **staged.registration, **staged.changes, **bookkeeping
            )
            staged.summary["list_id"] = people_list.pk
        else:
            values = dict(bookkeeping)
            if staged.changes:
                values.update(staged.changes, updated_at=now)
            PeopleList.objects.filter(pk=people_list.pk).update(**values)
        for start in range(0, len(staged.create), BATCH):
            ListEntry.objects.bulk_create(
                [
                    ListEntry(people_list=people_list, created_at=now, updated_at=now, **row)
                    for row in staged.create[start : start + BATCH]
                ]
            )
        if staged.update:
            ListEntry.objects.bulk_update(
                [
                    ListEntry(people_list=people_list, updated_at=now, **row)
                    for row in staged.update
                ],
                [*ENTRY_FIELDS, "updated_at"],
                batch_size=BATCH,
            )
        if staged.move:
            ListEntry.objects.bulk_update(
                [ListEntry(pk=pk, row_number=number) for pk, number in staged.move],
                ["row_number"],
                batch_size=BATCH,
            )
        for start in range(0, len(staged.delete), BATCH):
            ListEntry.objects.filter(pk__in=staged.delete[start : start + BATCH]).delete()


def _choose_tab(tabs: list[dict], target: ImportTarget) -> dict:
    """The tab a link (gid) or `--sheet` names; the first tab when neither does."""
    if not tabs:
        raise ListProblem(_("the spreadsheet has no tabs."))
    names = ", ".join(f"«{t.get('title')}»" for t in tabs)
    if target.sheet_title:
        wanted = target.sheet_title.strip()
        found = next((t for t in tabs if t.get("title") == wanted), None)
        found = found or next(
            (t for t in tabs if (t.get("title") or "").casefold() == wanted.casefold()), None
        )
        if found is None:
            raise ListProblem(
                _("the spreadsheet has no tab «%(tab)s»; its tabs: %(tabs)s.")
                % {"tab": wanted, "tabs": names}
            )
        return found
    if target.sheet_id is not None:
        found = next((t for t in tabs if t.get("sheetId") == target.sheet_id), None)
        if found is None:
            raise ListProblem(
                _(
                    "the link points to a tab (gid=%(gid)s) the spreadsheet does not have; its "
                    "tabs: %(tabs)s."
                )
                % {"gid": target.sheet_id, "tabs": names}
            )
        return found
    return min(tabs, key=lambda t: t.get("index", 0))


def _about_this_list(exc: Exception) -> bool:
    """Problems of one list (its sharing, existence, format, columns, a mass removal), not
    of Google or our key: the other lists can still load."""
    return isinstance(exc, _LIST_PROBLEMS)


_LIST_PROBLEMS = (
    SyncFailed,  # ListProblem, MassDeactivationRefused
    SheetsAccessDenied,
    SheetsNotFound,
    SheetsNotASpreadsheet,
    SheetsBadRange,
)
