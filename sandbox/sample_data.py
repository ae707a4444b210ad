"""A realistic, deterministic sample organisation for the Notion emulator.

``build_organisation(emulator)`` creates two databases:

* **Humans**: Russian full names (gender-consistent surname / first name / patronymic),
  unique Telegram handles written the many ways people write them (``@Ivan_Petrov``,
  ``ivan_petrov``, ``t.me/ivan_petrov``, ``https://t.me/ivan_petrov``, ``"  @IvanPetrov "``,
  empty, a few invalid), e-mails, Russian phone numbers in varied formats, a status
  (mostly "Активен"), plus extras of other property types; one page without a title, one
  member who left, two pages in the trash.
* **Directions**: the organisation's areas with 1-3 organisers and 0-3 deputies each, one big
  direction whose 40 organisers and 30 deputies exceed Notion's 25-item relation limit, a
  closed one, a paused one and one whose relation points to a trashed human.

``add_humans`` adds many plain humans fast (50,000 in a few seconds) for benchmarks.
Everything is reproducible from ``seed`` (``random.Random(seed)``); only the default ``start``
of created times depends on the clock.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.notion_emulator import _gc_paused

if TYPE_CHECKING:
    from sandbox.notion_emulator import NotionEmulator

__all__ = [
    "DIRECTIONS_SCHEMA",
    "DIRECTION_NAMES",
    "HUMANS_DATA_SOURCE",
    "HUMANS_SCHEMA",
    "INACTIVE_STATUSES",
    "Organisation",
    "add_humans",
    "build_organisation",
    "directions_schema",
    "normalize_telegram",
    "telegram_handle_variants",
    "transliterate",
]

HUMANS_TITLE = "Humans"
DIRECTIONS_TITLE = "Directions"

HUMANS_SCHEMA: dict[str, dict[str, Any]] = {
    "ФИО": {"type": "title", "title": {}},
    "Telegram": {"type": "rich_text", "rich_text": {}},
    "Email": {"type": "email", "email": {}},
    "Phone": {"type": "phone_number", "phone_number": {}},
    "Status": {
        "type": "status",
        "status": {
            "options": [
                {"id": "St-a", "name": "Активен", "color": "green"},
                {"id": "St-v", "name": "В отпуске", "color": "yellow"},
                {"id": "St-l", "name": "Ушёл", "color": "gray"},
            ],
            "groups": [
                {"id": "Gr-t", "name": "To-do", "color": "gray", "option_ids": ["St-a"]},
                {"id": "Gr-p", "name": "In progress", "color": "blue", "option_ids": ["St-v"]},
                {"id": "Gr-c", "name": "Complete", "color": "green", "option_ids": ["St-l"]},
            ],
        },
    },
    "Роли": {
        "type": "multi_select",
        "multi_select": {
            "options": [
                {"name": "Волонтёр", "color": "blue"},
                {"name": "Организатор", "color": "purple"},
                {"name": "Заместитель", "color": "pink"},
                {"name": "Медик", "color": "red"},
                {"name": "Водитель", "color": "orange"},
                {"name": "Админ", "color": "brown"},
            ]
        },
    },
    "Дата прихода": {"type": "date", "date": {}},
    "Волонтёр с опытом": {"type": "checkbox", "checkbox": {}},
    "Заметки": {"type": "rich_text", "rich_text": {}},
    "Номер": {"type": "unique_id", "unique_id": {"prefix": "HUM"}},
    "Создано": {"type": "created_time", "created_time": {}},
}

#: Placeholder in DIRECTIONS_SCHEMA replaced by the humans data source id.
HUMANS_DATA_SOURCE = "<humans data source id>"

DIRECTIONS_SCHEMA: dict[str, dict[str, Any]] = {
    "Название": {"type": "title", "title": {}},
    "Organizers": {
        "type": "relation",
        "relation": {
            "data_source_id": HUMANS_DATA_SOURCE,
            "type": "single_property",
            "single_property": {},
        },
    },
    "Deputies": {
        "type": "relation",
        "relation": {
            "data_source_id": HUMANS_DATA_SOURCE,
            "type": "single_property",
            "single_property": {},
        },
    },
    "Status": {
        "type": "select",
        "select": {
            "options": [
                {"name": "Активно", "color": "green"},
                {"name": "Пауза", "color": "yellow"},
                {"name": "Закрыто", "color": "gray"},
            ]
        },
    },
    "Description": {"type": "rich_text", "rich_text": {}},
    "Сайт": {"type": "url", "url": {}},
    "Бюджет": {"type": "number", "number": {"format": "ruble"}},
}

INACTIVE_STATUSES = ("Ушёл", "Закрыто")

DIRECTION_NAMES = (
    "Волонтёрский штаб",
    "Кухня",
    "Медицина",
    "Шатры и стройка",
    "Свет и звук",
    "Транспорт",
    "Регистрация участников",
    "Детская площадка",
    "Безопасность",
    "Уборка и экология",
    "Фото и видео",
    "Информационный центр",
    "Склад и логистика",
    "Декор",
    "Сцена",
    "Питьевая вода",
    "Связь и рации",
    "Парковка",
    "Арт-объекты",
    "Ночной патруль",
)

_DESCRIPTIONS = {
    "Волонтёрский штаб": "Координация всех волонтёров, смены и расписание, помощь новичкам.",
    "Кухня": "Три горячих приёма пищи в день для команды и гостей.",
    "Медицина": "Медпункт, аптечки на площадках, дежурства медиков.",
    "Шатры и стройка": "Монтаж и демонтаж шатров, сцены и навесов.",
    "Свет и звук": "Техническое обеспечение сцены и вечерних программ.",
    "Транспорт": "Трансферы, доставка грузов, график машин.",
}


def _words(text: str) -> list[str]:
    return text.split()


# (masculine, feminine) surnames.
_SURNAMES = [
    (s, s + "а")
    for s in _words(
        "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров "
        "Морозов Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов "
        "Андреев Макаров Никитин Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов "
        "Воробьёв Сергеев Кузьмин Фролов Белов Медведев Киселёв Ильин Максимов"
    )
] + [
    ("Вишневский", "Вишневская"),
    ("Островский", "Островская"),
    ("Толстой", "Толстая"),
    ("Ткаченко", "Ткаченко"),
    ("Шевчук", "Шевчук"),
    ("Бондаренко", "Бондаренко"),
]
_MALE_NAMES = tuple(
    _words(
        "Иван Алексей Дмитрий Сергей Андрей Михаил Никита Артём Павел Егор Максим Кирилл "
        "Владимир Николай Роман Илья Денис Тимур Олег Григорий Фёдор Константин"
    )
)
_FEMALE_NAMES = tuple(
    _words(
        "Анна Мария Елена Ольга Наталья Татьяна Ирина Екатерина Светлана Юлия Анастасия Дарья "
        "Полина Ксения Алина Виктория Софья Вера Надежда Людмила Алёна Марина"
    )
)
# (masculine, feminine) patronymics
_PATRONYMICS = tuple(
    tuple(pair.split("/"))
    for pair in _words(
        "Иванович/Ивановна Петрович/Петровна Сергеевич/Сергеевна Алексеевич/Алексеевна "
        "Андреевич/Андреевна Михайлович/Михайловна Николаевич/Николаевна "
        "Владимирович/Владимировна Дмитриевич/Дмитриевна Александрович/Александровна "
        "Юрьевич/Юрьевна Викторович/Викторовна Олегович/Олеговна Игоревич/Игоревна "
        "Евгеньевич/Евгеньевна Павлович/Павловна Анатольевич/Анатольевна Борисович/Борисовна "
        "Васильевич/Васильевна Геннадьевич/Геннадьевна Константинович/Константиновна "
        "Максимович/Максимовна Романович/Романовна Фёдорович/Фёдоровна "
        "Григорьевич/Григорьевна Степанович/Степановна Леонидович/Леонидовна "
        "Вадимович/Вадимовна Ильич/Ильинична Кириллович/Кирилловна"
    )
)
_NOTES = ("",) * 5 + (
    "Может водить газель",
    "Аллергия на орехи",
    "Приходит по выходным",
    "Знает английский",
    "Есть права категории C",
    "Медицинское образование",
    "Живёт рядом с площадкой",
    "Готов(а) к ночным сменам",
    "Умеет работать со звуком",
)
_EMAIL_DOMAINS = ("gmail.com", "yandex.ru", "mail.ru", "inbox.ru", "outlook.com", "bk.ru")
_PHONE_CODES = ("916", "903", "905", "910", "915", "925", "926", "977", "985", "999", "921", "912")
_INVALID_HANDLES = ("иван", "@a", "not a handle!")

_TRANSLIT = dict(
    pair.split("=", 1)
    for pair in _words(
        "а=a б=b в=v г=g д=d е=e ё=e ж=zh з=z и=i й=y к=k л=l м=m н=n о=o п=p р=r с=s т=t "
        "у=u ф=f х=kh ц=ts ч=ch ш=sh щ=shch ъ= ы=y ь= э=e ю=yu я=ya"
    )
)
_TELEGRAM_RE = re.compile(r"^[a-z][a-z0-9_]{3,31}$")


def transliterate(text: str) -> str:
    """Lowercase Latin transliteration of Russian text (letters outside the map kept)."""
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())


def normalize_telegram(written: str | None) -> str | None:
    """The reference normalisation (DESIGN.md): lowercase, no ``@``, accepts ``@name``,
    ``name``, ``t.me/name``, ``https://t.me/name``; anything invalid -> None."""
    if not written:
        return None
    text = written.strip()
    text = re.sub(r"^(https?://)?(www\.)?(t|telegram)\.me/", "", text, flags=re.IGNORECASE)
    text = text.lstrip("@").strip().lower()
    return text if _TELEGRAM_RE.match(text) else None


def telegram_handle_variants(handle: str) -> list[str]:
    """The ways people write ``handle`` (all normalise to ``handle.lower()``)."""
    cased = "_".join(part.capitalize() for part in handle.split("_"))
    return [
        f"@{handle}",
        handle,
        f"t.me/{handle}",
        f"https://t.me/{handle}",
        f"  @{cased} ",
        f"@{cased}",
        f"https://t.me/{cased}",
        f" {handle}\t",
    ]


@dataclass
class Organisation:
    """What :func:`build_organisation` created, with handy references for tests."""

    emulator: NotionEmulator
    humans_database_id: str
    directions_database_id: str
    humans_data_source_id: str
    directions_data_source_id: str
    human_ids: list[str]
    direction_ids: list[str]
    big_direction_id: str
    closed_direction_id: str
    paused_direction_id: str
    trashed_relation_direction_id: str
    departed_human_id: str
    vacation_human_id: str
    untitled_human_id: str
    trashed_human_ids: list[str]
    invalid_telegram_human_ids: list[str]
    #: page id -> full name ("" for the untitled page)
    names: dict[str, str] = field(default_factory=dict)
    #: page id -> the Telegram text as written in Notion
    telegram_written: dict[str, str] = field(default_factory=dict)
    #: page id -> expected normalised username (None: empty or invalid)
    telegram_by_human: dict[str, str | None] = field(default_factory=dict)
    #: page id -> status name
    statuses: dict[str, str] = field(default_factory=dict)
    #: direction page id -> organiser / deputy human page ids (complete, in Notion order)
    organisers: dict[str, list[str]] = field(default_factory=dict)
    deputies: dict[str, list[str]] = field(default_factory=dict)
    direction_names: dict[str, str] = field(default_factory=dict)
    direction_statuses: dict[str, str] = field(default_factory=dict)

    @property
    def live_human_ids(self) -> list[str]:
        """Humans not in the trash (what a full query returns)."""
        trashed = set(self.trashed_human_ids)
        return [h for h in self.human_ids if h not in trashed]

    @property
    def active_human_ids(self) -> list[str]:
        """Live humans whose status is not inactive."""
        return [h for h in self.live_human_ids if self.statuses.get(h) not in INACTIVE_STATUSES]


def directions_schema(humans_data_source_id: str) -> dict[str, dict[str, Any]]:
    """DIRECTIONS_SCHEMA with its relations pointing at ``humans_data_source_id``."""
    schema = copy.deepcopy(DIRECTIONS_SCHEMA)
    for config in schema.values():
        if config.get("type") == "relation":
            config["relation"]["data_source_id"] = humans_data_source_id
    return schema


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _floor_minute(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.replace(second=0, microsecond=0)


def _default_start(count: int, per_minute: int) -> dt.datetime:
    minutes = -(-count // max(1, per_minute)) + 6  # room for edits a few minutes later
    return _floor_minute(dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=minutes)


class _HumanFactory:
    """Generates human rows; keeps handles unique (case-insensitively)."""

    def __init__(self, rng: random.Random, used: set[str] | None = None) -> None:
        self.rng = rng
        self.used: set[str] = set(used or ())
        self._translit: dict[str, str] = {}

    def _lat(self, word: str) -> str:
        cached = self._translit.get(word)
        if cached is None:
            cached = self._translit[word] = transliterate(word)
        return cached

    def person(self) -> tuple[str, bool, str, str]:
        """(full name, is_female, first name latin, surname latin)."""
        rng = self.rng
        female = rng.random() < 0.5
        surname = rng.choice(_SURNAMES)[1 if female else 0]
        first = rng.choice(_FEMALE_NAMES if female else _MALE_NAMES)
        patronymic = rng.choice(_PATRONYMICS)[1 if female else 0]
        return f"{surname} {first} {patronymic}", female, self._lat(first), self._lat(surname)

    def handle(self, first: str, last: str) -> tuple[str, list[str]]:
        """A unique lowercase handle and its parts (for writing it with capitals)."""
        rng = self.rng
        style = rng.random()
        if style < 0.45:
            parts, joiner = [first, last], "_"
        elif style < 0.7:
            parts, joiner = [first, last], ""
        elif style < 0.85:
            parts, joiner = [last, first], "_"
        else:
            parts, joiner = [first[0] + last], ""
        base = joiner.join(parts)
        candidate = base
        while candidate in self.used or not _TELEGRAM_RE.match(candidate):
            candidate = f"{base}{rng.randint(1, 9999)}"
        self.used.add(candidate)
        suffix = candidate[len(base) :]
        return candidate, [*parts[:-1], parts[-1] + suffix] if suffix else parts

    def written(self, handle: str, parts: list[str]) -> str:
        r = self.rng.random()
        if r < 0.40:
            return f"@{handle}"
        if r < 0.60:
            return handle
        if r < 0.70:
            return f"t.me/{handle}"
        if r < 0.80:
            return f"https://t.me/{handle}"
        joiner = "_" if "_" in handle else ""
        cased = joiner.join(p.capitalize() for p in parts)
        if r < 0.92:
            return f"  @{cased} "
        return f"@{cased}"

    def row(self, *, status: str | None = None, telegram: str | None = "auto") -> dict[str, Any]:
        rng = self.rng
        name, _female, first, last = self.person()
        handle, parts = self.handle(first, last)
        if telegram == "auto":
            telegram = self.written(handle, parts) if rng.random() >= 0.06 else ""
        if status is None:
            r = rng.random()
            status = "Активен" if r < 0.88 else ("В отпуске" if r < 0.97 else "Ушёл")
        r = rng.random()
        if r < 0.06:
            email = None
        elif r < 0.12:
            email = f"{handle.capitalize()}@{rng.choice(_EMAIL_DOMAINS)}"
        else:
            email = f"{handle.replace('_', '.')}@{rng.choice(_EMAIL_DOMAINS)}"
        roles = ["Волонтёр"]
        if rng.random() < 0.2:
            roles.append(rng.choice(("Медик", "Водитель", "Админ")))
        joined = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(0, 6 * 365))
        return {
            "ФИО": name,
            "Telegram": telegram,
            "Email": email,
            "Phone": _phone(rng),
            "Status": status,
            "Роли": roles,
            "Дата прихода": joined,
            "Волонтёр с опытом": rng.random() < 0.4,
            "Заметки": rng.choice(_NOTES),
        }


def _phone(rng: random.Random) -> str | None:
    r = rng.random()
    if r < 0.07:
        return None
    code = _PHONE_CODES[int(r * 10_000) % len(_PHONE_CODES)]
    digits = rng.getrandbits(32) % 9_000_000 + 1_000_000
    a, b, c = digits // 10_000, digits // 100 % 100, digits % 100
    return _PHONE_FORMATS[int(r * 1000) % len(_PHONE_FORMATS)].format(code=code, a=a, b=b, c=c)


_PHONE_FORMATS = (
    "+7 ({code}) {a}-{b:02d}-{c:02d}",
    "8{code}{a}{b:02d}{c:02d}",
    "+7{code}{a}{b:02d}{c:02d}",
    "8 {code} {a} {b:02d} {c:02d}",
    "+7 {code} {a}-{b:02d}-{c:02d}",
    "8-{code}-{a}-{b:02d}-{c:02d}",
    "8 ({code}) {a}{b:02d}{c:02d}",
)


def _existing_handles(emulator: NotionEmulator, database_id: str) -> set[str]:
    db = emulator.database(database_id)
    if "Telegram" not in db.properties:
        return set()
    handles = set()
    for page in db.pages.values():
        items = page.props.get("Telegram") or []
        handle = normalize_telegram("".join(i.get("plain_text", "") for i in items))
        if handle:
            handles.add(handle)
    return handles


def add_humans(
    emulator: NotionEmulator,
    database_id: str,
    count: int,
    *,
    seed: int,
    per_minute: int = 50,
    start: dt.datetime | None = None,
) -> list[str]:
    """Add ``count`` ordinary humans (HUMANS_SCHEMA) to ``database_id``; returns page ids.

    Created times: ``per_minute`` pages per minute going forward from ``start`` (default: so
    that the last one is a few minutes in the past). Handles stay unique, also against the
    pages already in the database. Fast: one bulk insert.
    """
    rng = random.Random(f"add_humans/{seed}")  # a stream of its own: no clash with the org
    factory = _HumanFactory(rng, _existing_handles(emulator, database_id))
    start = _floor_minute(start) if start else _default_start(count, per_minute)
    base = int(start.timestamp())
    per_minute = max(1, per_minute)
    existing = emulator.database(database_id).pages
    with _gc_paused():
        rows = []
        for i in range(count):
            page_id = _uuid(rng)
            while page_id in existing:  # the same seed twice on one database
                page_id = _uuid(rng)
            rows.append(
                {
                    "page_id": page_id,
                    "properties": factory.row(),
                    "created_time": base + (i // per_minute) * 60,
                }
            )
        return emulator.add_pages_bulk(database_id, rows)


def build_organisation(
    emulator: NotionEmulator,
    *,
    humans: int = 200,
    directions: int = 12,
    seed: int = 1,
    per_minute: int = 50,
    start: dt.datetime | None = None,
) -> Organisation:
    """Create the Humans and Directions databases and fill them; see the module docstring.

    Needs ``humans >= 20`` and ``directions >= 4``. The big direction has 40 organisers and
    30 deputies when there are at least 70 active humans (~90 humans; with fewer, organisers
    are served first). Humans are created first (``per_minute`` a minute from ``start``, a
    tenth of them edited 1-4 minutes later), directions after. Default ``start``: early
    enough that every timestamp is in the past.
    """
    if humans < 20:
        raise ValueError("build_organisation needs at least 20 humans")
    if directions < 4:
        raise ValueError("build_organisation needs at least 4 directions")
    rng = random.Random(seed)
    total = humans + directions
    start = _floor_minute(start) if start else _default_start(total, per_minute)
    base = int(start.timestamp())
    per_minute = max(1, per_minute)

    humans_db = emulator.add_database(
        title=HUMANS_TITLE,
        properties=HUMANS_SCHEMA,
        database_id=_uuid(rng),
        data_source_id=_uuid(rng),
        created_time=start - dt.timedelta(days=30),
    )
    directions_db = emulator.add_database(
        title=DIRECTIONS_TITLE,
        properties=directions_schema(humans_db.data_source_id),
        database_id=_uuid(rng),
        data_source_id=_uuid(rng),
        created_time=start - dt.timedelta(days=30),
    )

    factory = _HumanFactory(rng)
    # Fixed positions for the special pages (spread over the first 20).
    departed_at, vacation_at, untitled_at = 3, 4, 7
    trashed_at = (11, 12)
    invalid_at = {5: _INVALID_HANDLES[0], 9: _INVALID_HANDLES[1], 13: _INVALID_HANDLES[2]}

    rows = []
    statuses: dict[str, str] = {}
    names: dict[str, str] = {}
    written: dict[str, str] = {}
    for i in range(humans):
        status = "Ушёл" if i == departed_at else "В отпуске" if i == vacation_at else None
        if status is None and i < 20:
            status = "Активен"  # keep the special pages' neighbours predictable
        row = factory.row(status=status)
        if i in invalid_at:
            row["Telegram"] = invalid_at[i]
        if i == untitled_at:
            row["ФИО"] = ""
        page_id = _uuid(rng)
        edited = base + (i // per_minute) * 60
        if rng.random() < 0.1:
            edited += 60 * rng.randrange(1, 5)
        rows.append(
            {
                "page_id": page_id,
                "properties": row,
                "created_time": base + (i // per_minute) * 60,
                "last_edited_time": edited,
                "in_trash": i in trashed_at,
            }
        )
        statuses[page_id] = row["Status"]
        names[page_id] = row["ФИО"]
        written[page_id] = row["Telegram"] or ""
    human_ids = emulator.add_pages_bulk(humans_db, rows)
    trashed_ids = [human_ids[i] for i in trashed_at]
    active = [
        h
        for i, h in enumerate(human_ids)
        if statuses[h] == "Активен" and i not in trashed_at and i != untitled_at
    ]

    # ---- directions
    names_pool = list(DIRECTION_NAMES)
    direction_names = [
        names_pool[i]
        if i < len(names_pool)
        else f"{names_pool[i % len(names_pool)]} {i // len(names_pool) + 1}"
        for i in range(directions)
    ]
    big_at, closed_at, paused_at, trashed_rel_at = 0, directions - 1, directions - 2, 2
    organisers: dict[str, list[str]] = {}
    deputies: dict[str, list[str]] = {}
    direction_statuses: dict[str, str] = {}
    direction_rows = []
    direction_ids = []
    pool = list(active)
    for i, title in enumerate(direction_names):
        if i == big_at:
            n_org = min(40, len(pool))  # organisers first: they must exceed 25
            n_dep = min(30, len(pool) - n_org)
            chosen = rng.sample(pool, n_org + n_dep)
            orgs, deps = chosen[:n_org], chosen[n_org:]
        else:
            chosen = rng.sample(pool, rng.randint(1, 3) + rng.randint(0, 3))
            n_org = max(1, min(3, len(chosen) - rng.randint(0, 3)))
            orgs, deps = chosen[:n_org], chosen[n_org:]
        if i == trashed_rel_at:
            orgs = [*orgs, trashed_ids[0]]
        status = "Закрыто" if i == closed_at else "Пауза" if i == paused_at else "Активно"
        page_id = _uuid(rng)
        direction_ids.append(page_id)
        organisers[page_id] = orgs
        deputies[page_id] = deps
        direction_statuses[page_id] = status
        created = base + ((humans + i) // per_minute) * 60
        direction_rows.append(
            {
                "page_id": page_id,
                "properties": {
                    "Название": title,
                    "Organizers": orgs,
                    "Deputies": deps,
                    "Status": status,
                    "Description": _DESCRIPTIONS.get(title, f"Направление «{title}»."),
                    "Сайт": f"https://example.org/{transliterate(title).replace(' ', '-')}"
                    if rng.random() < 0.4
                    else None,
                    "Бюджет": rng.choice((None, 15000, 50000, 120000, 250000.5)),
                },
                "created_time": created,
            }
        )
    emulator.add_pages_bulk(directions_db, direction_rows)

    return Organisation(
        emulator=emulator,
        humans_database_id=humans_db.database_id,
        directions_database_id=directions_db.database_id,
        humans_data_source_id=humans_db.data_source_id,
        directions_data_source_id=directions_db.data_source_id,
        human_ids=human_ids,
        direction_ids=direction_ids,
        big_direction_id=direction_ids[big_at],
        closed_direction_id=direction_ids[closed_at],
        paused_direction_id=direction_ids[paused_at],
        trashed_relation_direction_id=direction_ids[trashed_rel_at],
        departed_human_id=human_ids[departed_at],
        vacation_human_id=human_ids[vacation_at],
        untitled_human_id=human_ids[untitled_at],
        trashed_human_ids=trashed_ids,
        invalid_telegram_human_ids=[human_ids[i] for i in sorted(invalid_at)],
        names=names,
        telegram_written=written,
        telegram_by_human={h: normalize_telegram(w) for h, w in written.items()},
        statuses=statuses,
        organisers=organisers,
        deputies=deputies,
        direction_names=dict(zip(direction_ids, direction_names, strict=True)),
        direction_statuses=direction_statuses,
    )
