"""Rows of a sign-up sheet as people: who each row is, and one person per submitter.

A row says who it is by its Telegram handle, e-mail or phone; a row with none of them but a
name is still a person (it cannot be matched, only hinted). A row with nothing of the kind
(blank, or only a timestamp) is skipped, and why is counted.

People submit a form twice (a typo fixed, a new phone): rows sharing a handle, an e-mail or a
phone are one person, and so are rows without contacts that carry the same name. The person
is their latest row (by the form's timestamp, else the lower row). Their `row_key` is their
strongest identifier, as the first of their rows wrote it (`tg:ivan_petrov`,
`email:…`, `phone:+7…`, `name:иван петров`): the same person keeps the same key when rows
are sorted, inserted or deleted, so a re-import finds them again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from lists.contacts import (
    day_first,
    first_name_of,
    name_words,
    normalize_email,
    normalize_phone,
    parse_timestamp,
)
from lists.table import Row, Table
from people.normalize import normalize_telegram_username

SKIP_BLANK = "blank"
SKIP_NO_IDENTITY = "no_identity"
KEY_PRIORITY = ("tg", "email", "phone", "name")


@dataclass
class Person:
    row_number: int
    values: dict[str, str]
    full_name: str = ""
    first_name: str = ""
    telegram_username: str | None = None
    email: str = ""
    phone: str = ""  # E.164 when it parsed, else as written
    phone_e164: str = ""
    submitted_at: datetime | None = None
    #: what was written but could not be read (for the run's warnings)
    problems: list[str] = field(default_factory=list)
    row_key: str = ""
    #: why the row is not a person (SKIP_BLANK, SKIP_NO_IDENTITY), or ""
    skip: str = ""

    def identifiers(self) -> list[tuple[str, str]]:
        keys = []
        if self.telegram_username:
            keys.append(("tg", self.telegram_username))
        if self.email:
            keys.append(("email", self.email))
        if self.phone_e164:
            keys.append(("phone", self.phone_e164))
        return keys

    @property
    def name_key(self) -> str:
        return " ".join(sorted(name_words(self.full_name)))


@dataclass
class Persons:
    people: list[Person]
    rows: int
    skipped: Counter[str]
    merged: int


def person_of(
    row: Row, table: Table, columns: dict[str, str], *, region: str, dates_day_first: bool = True
) -> Person:
    """The person a row is; `skip` says why it is none (SKIP_BLANK, SKIP_NO_IDENTITY)."""
    if row.blank:
        return Person(row_number=row.number, values={}, skip=SKIP_BLANK)
    cell = {name: row.cells.get(header, "") for name, header in columns.items()}
    values = {
        header: text for header, text in row.cells.items() if text or header not in table.lettered
    }
    person = Person(row_number=row.number, values=values)
    if cell.get("full_name"):
        person.full_name = cell["full_name"]
    else:
        parts = (cell.get("last_name"), cell.get("first_name"), cell.get("middle_name"))
        person.full_name = " ".join(p for p in parts if p)
    person.full_name = " ".join(person.full_name.split())[:300]
    person.first_name = cell.get("first_name") or first_name_of(person.full_name)
    written = cell.get("telegram", "")
    handle, ok = normalize_telegram_username(written)
    person.telegram_username = handle
    if not ok:
        person.problems.append(
            _("%(value)s is not a Telegram username") % {"value": repr(written[:40])}
        )
    email, ok = normalize_email(cell.get("email"))
    person.email = email[:320]
    if not ok:
        person.problems.append(
            _("%(value)s is not an e-mail address") % {"value": repr(cell["email"][:60])}
        )
    phone, parsed = normalize_phone(cell.get("phone"), region)
    person.phone = phone
    person.phone_e164 = phone if parsed and phone else ""
    if not parsed:
        person.problems.append(
            _("%(value)s is not a phone number") % {"value": repr(cell["phone"][:40])}
        )
    person.submitted_at = parse_timestamp(cell.get("submitted_at"), day_first=dates_day_first)
    if not person.identifiers() and not person.name_key:
        person.skip = SKIP_NO_IDENTITY
    return person


def persons_of(table: Table, columns: dict[str, str], *, region: str) -> tuple[Persons, list]:
    """Every person of the table, duplicates merged; and (row number, problem) pairs."""
    found: list[Person] = []
    skipped: Counter[str] = Counter()
    problems: list[tuple[int, str]] = []
    stamps = columns.get("submitted_at")
    dates_day_first = day_first([row.cells.get(stamps, "") for row in table.rows] if stamps else [])
    for row in table.rows:
        person = person_of(row, table, columns, region=region, dates_day_first=dates_day_first)
        problems += [(person.row_number, p) for p in person.problems]
        if person.skip:
            skipped[person.skip] += 1
            continue
        found.append(person)
    people = _merge(found)
    return Persons(people, len(table.rows), skipped, len(found) - len(people)), problems


def _merge(found: list[Person]) -> list[Person]:
    """One person per group of rows that share an identifier (or, without any, a name), as
    long as the rows agree: rows sharing a contact but with different handles, or with names
    that are clearly different people's (a parent's phone on two children's rows), stay apart.
    """
    group_of = list(range(len(found)))  # row -> its group's id (the group's first row)
    members: dict[int, list[int]] = {i: [i] for i in range(len(found))}
    owners: dict[tuple[str, str], list[int]] = {}
    for i, person in enumerate(found):
        keys = person.identifiers() or [("name", person.name_key)]
        for key in keys:
            for other in owners.get(key, []):
                mine, theirs = group_of[i], group_of[other]
                if mine != theirs and _agree(members[mine], members[theirs], found):
                    first, second = min(mine, theirs), max(mine, theirs)
                    for j in members.pop(second):
                        group_of[j] = first
                        members[first].append(j)
            owners.setdefault(key, []).append(i)
    people = []
    for rows_of_group in members.values():
        rows = [found[i] for i in sorted(rows_of_group)]  # in sheet order
        if all(r.submitted_at for r in rows):
            latest = max(rows, key=lambda p: (p.submitted_at, p.row_number))
        else:
            latest = rows[-1]
        latest.row_key = _key(rows)
        people.append((latest, rows))
    _unique_keys(people)
    return sorted((latest for latest, _rows in people), key=lambda p: p.row_number)


def _agree(group: list[int], other: list[int], found: list[Person]) -> bool:
    return not any(_conflict(found[i], found[j]) for i in group for j in other)


def _conflict(one: Person, other: Person) -> bool:
    """Whether two rows sharing a contact are clearly two people: two Telegram accounts, or
    names with no word in common (for rows with one handle), or names of which neither is
    the other's (for rows sharing only an e-mail or a phone, which families share)."""
    if one.telegram_username and other.telegram_username:
        if one.telegram_username != other.telegram_username:
            return True
        same_account = True
    else:
        same_account = False
    words, other_words = set(name_words(one.full_name)), set(name_words(other.full_name))
    if not words or not other_words:
        return False
    if same_account:
        return not any(_alike(w, v) for w in words for v in other_words)
    shorter, longer = sorted((words, other_words), key=len)
    return not all(any(_alike(w, v) for v in longer) for w in shorter)


def _alike(word: str, other: str) -> bool:
    """The same name word, or one typo apart in a long one («Александр», «Алексанр»)."""
    if word == other:
        return True
    if min(len(word), len(other)) < 5 or abs(len(word) - len(other)) > 1:
        return False
    if len(word) == len(other):
        return sum(a != b for a, b in zip(word, other, strict=True)) <= 1
    short, long_ = sorted((word, other), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _unique_keys(people: list[tuple[Person, list[Person]]]) -> None:
    """Two people kept apart may have the same strongest identifier (the shared phone): then
    each of them is told by their name as well, whichever comes first in the sheet, so the
    keys do not change when the rows are reordered."""
    taken = Counter(latest.row_key for latest, _rows in people)
    for latest, _rows in people:
        if taken[latest.row_key] > 1:
            latest.row_key = f"{latest.row_key}|name:{latest.name_key}"[:400]
    seen: Counter[str] = Counter()
    for latest, _rows in sorted(people, key=lambda item: item[1][0].row_number):
        seen[latest.row_key] += 1
        if seen[latest.row_key] > 1:  # the same contact and the same name, kept apart
            latest.row_key = f"{latest.row_key}#{seen[latest.row_key]}"[:400]


def _key(rows: list[Person]) -> str:
    """The group's strongest identifier, as its first row wrote it."""
    for kind in KEY_PRIORITY:
        for person in rows:
            if kind == "name":
                if not person.identifiers():
                    return f"name:{person.name_key}"[:400]
                continue
            for key_kind, value in person.identifiers():
                if key_kind == kind:
                    return f"{kind}:{value}"[:400]
    return f"row:{rows[0].row_number}"
