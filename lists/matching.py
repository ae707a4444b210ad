"""Who of our people a list's row is: an active Human, found by Telegram handle, then e-mail
(case-insensitive), then phone (E.164). A name alone is never a match: a Human whose name
has every word of the row's name (word order aside: Notion has "Петров Иван Сергеевич",
sheets "Иван Петров") is kept as a hint, when exactly one does.

Humans' e-mails and phones are stored as Notion has them, so they are normalised here, the
same way as the sheet's. The index is built once per run: one query over active Humans.
A handle, e-mail or phone two active Humans share matches neither (Notion must be fixed).

A row is matched only when its evidence agrees: every contact of it that is some member's
must be the same member's. A row whose handle is one member's and whose e-mail or phone is
another's is nobody's (`Match.conflict` names both, for the run's warnings): which of them
signed up is for a person to tell, not us.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from lists.contacts import name_words, normalize_email, normalize_phone
from lists.persons import Person
from people.models import Human
from people.normalize import normalize_telegram_username

_AMBIGUOUS = -1


@dataclass(frozen=True)
class Match:
    human_id: int | None
    by: str  # "telegram" | "email" | "phone" | ""
    hint_id: int | None = None
    #: (how, member's name) for each contact that points at a different member; empty when
    #: the contacts agree
    conflict: tuple[tuple[str, str], ...] = ()


class HumanIndex:
    def __init__(self, humans: list[dict], *, region: str) -> None:
        self.by_telegram: dict[str, int] = {}
        self.by_email: dict[str, int] = {}
        self.by_phone: dict[str, int] = {}
        self._words: dict[str, set[int]] = defaultdict(set)
        self.names: dict[int, str] = {}
        for human in humans:
            pk = human["pk"]
            self.names[pk] = human["full_name"] or str(pk)
            handle, _ok = normalize_telegram_username(human["telegram_username"])
            email, _ok = normalize_email(human["email"])
            phone, parsed = normalize_phone(human["phone"], region)
            _put(self.by_telegram, handle, pk)
            _put(self.by_email, email, pk)
            _put(self.by_phone, phone if parsed else "", pk)
            words = set(name_words(human["full_name"]))
            for word in words:
                self._words[word].add(pk)

    @classmethod
    def load(cls, *, region: str, active: bool = True) -> HumanIndex:
        """Active Humans (our people); with `active=False`, the former ones: never a match,
        only so a report can tell a former member from a newcomer."""
        humans = Human.objects.filter(is_active=active).values(
            "pk", "full_name", "telegram_username", "email", "phone"
        )
        return cls(list(humans), region=region)

    def match(self, person: Person) -> Match:
        found: list[tuple[str, int]] = []
        for by, table, key in (
            ("telegram", self.by_telegram, person.telegram_username),
            ("email", self.by_email, person.email),
            ("phone", self.by_phone, person.phone_e164),
        ):
            pk = table.get(key) if key else None
            if pk is not None and pk != _AMBIGUOUS:
                found.append((by, pk))
        if len({pk for _by, pk in found}) > 1:
            return Match(None, "", conflict=tuple((by, self.names[pk]) for by, pk in found))
        if found:
            by, pk = found[0]
            return Match(pk, by)
        return Match(None, "", self.name_hint(person.full_name))

    def name_hint(self, full_name: str) -> int | None:
        words = set(name_words(full_name))
        if len(words) < 2:
            return None
        candidates: set[int] | None = None
        for word in words:
            holders = self._words.get(word, set())
            candidates = holders if candidates is None else candidates & holders
            if not candidates:
                return None
        return next(iter(candidates)) if candidates and len(candidates) == 1 else None


def _put(table: dict[str, int], key: str | None, pk: int) -> None:
    if not key:
        return
    table[key] = _AMBIGUOUS if key in table and table[key] != pk else pk
