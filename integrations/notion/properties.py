"""Decoders: a Notion property value (page JSON) -> a plain Python value.

Every property type Notion returns has a decoder. A type we do not know raises
`UnknownPropertyType`; callers turn that into a warning on the run, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


class UnknownPropertyType(ValueError):
    pass


@dataclass(frozen=True)
class NotionDate:
    start: date | datetime
    end: date | datetime | None = None
    time_zone: str | None = None


@dataclass(frozen=True)
class NotionUser:
    id: str
    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class NotionFile:
    name: str
    url: str


def plain_text(rich_text: list[dict] | None) -> str:
    """Concatenate the plain text of a rich-text array (mentions and equations included)."""
    parts = []
    for item in rich_text or []:
        text = item.get("plain_text")
        if text is None:
            text = (item.get("text") or {}).get("content", "")
        parts.append(text)
    # NUL cannot be stored in PostgreSQL text; it is never meaningful in Notion text either.
    return "".join(parts).replace("\x00", "")


def parse_datetime(value: str | None) -> date | datetime | None:
    if not value:
        return None
    if len(value) == 10:
        return date.fromisoformat(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _date(value: dict | None) -> NotionDate | None:
    if not value or not value.get("start"):
        return None
    return NotionDate(
        start=parse_datetime(value["start"]),
        end=parse_datetime(value.get("end")),
        time_zone=value.get("time_zone"),
    )


def _user(value: dict | None) -> NotionUser | None:
    if not value:
        return None
    person = value.get("person") or {}
    return NotionUser(
        id=value.get("id", ""), name=value.get("name") or "", email=person.get("email") or ""
    )


def _file(value: dict) -> NotionFile:
    kind = value.get("type", "external")
    url = (value.get(kind) or {}).get("url", "")
    return NotionFile(name=value.get("name") or url, url=url)


def _option(value: dict | None) -> str | None:
    return value.get("name") if value else None


def _formula(value: dict | None) -> Any:
    if not value:
        return None
    kind = value.get("type")
    if kind == "date":
        return _date(value.get("date"))
    return value.get(kind)


def _rollup(value: dict | None) -> Any:
    if not value:
        return None
    kind = value.get("type")
    if kind == "array":
        items = []
        for item in value.get("array") or []:
            try:
                items.append(decode_value(item))
            except UnknownPropertyType:
                continue
        return items
    if kind == "date":
        return _date(value.get("date"))
    return value.get(kind)


def _unique_id(value: dict | None) -> str | None:
    if not value or value.get("number") is None:
        return None
    prefix = value.get("prefix")
    return f"{prefix}-{value['number']}" if prefix else str(value["number"])


def _verification(value: dict | None) -> str | None:
    return value.get("state") if value else None


DECODERS: dict[str, Callable[[Any], Any]] = {
    "title": plain_text,
    "rich_text": plain_text,
    "number": lambda v: v,
    "select": _option,
    "status": _option,
    "multi_select": lambda v: [o["name"] for o in v or []],
    "date": _date,
    "people": lambda v: [u for u in map(_user, v or []) if u],
    "files": lambda v: [_file(f) for f in v or []],
    "checkbox": bool,
    "url": lambda v: v or None,
    "email": lambda v: v or None,
    "phone_number": lambda v: v or None,
    "formula": _formula,
    "relation": lambda v: [r["id"] for r in v or []],
    "rollup": _rollup,
    "created_time": parse_datetime,
    "last_edited_time": parse_datetime,
    "created_by": _user,
    "last_edited_by": _user,
    "unique_id": _unique_id,
    "verification": _verification,
    "button": lambda v: None,
}


def decode_value(prop: dict) -> Any:
    """Decode one property value: `{"type": "select", "select": {...}, ...}`."""
    kind = prop.get("type")
    decoder = DECODERS.get(kind)
    if decoder is None:
        raise UnknownPropertyType(kind)
    return decoder(prop.get(kind))


def text_of(value: Any) -> str:
    """A decoded value as one line of text (for fields stored as text whatever the type)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, NotionDate):
        return value.start.isoformat()
    if isinstance(value, NotionUser):
        return value.name or value.id
    if isinstance(value, list | tuple):
        return ", ".join(filter(None, (text_of(v) for v in value)))
    return str(value)


def property_item_value(item: dict) -> Any:
    """Decode one `property_item` from `pages.properties.retrieve`.

    Paginated items hold one element each: a relation item is `{"relation": {"id": …}}`,
    a people item `{"people": {user}}`; decode them as that single element.
    """
    kind = item.get("type")
    if kind == "relation":
        return (item.get("relation") or {}).get("id")
    if kind == "people":
        return _user(item.get("people"))
    return decode_value(item)


def is_truncated(prop: dict) -> bool:
    """Relation and people values carry at most 25 items and `has_more` when cut."""
    return bool(prop.get("has_more"))
