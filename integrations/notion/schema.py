"""The mapping between our fields and a Notion data source's properties.

Settings name the Notion property of each field (`NOTION_HUMANS_FIELDS`); the title is
found by type whatever its name. A property that is missing or of a type we cannot read
is a configuration error naming the setting: syncing with a wrong mapping would blank a
column, which is exactly the silent data loss this service exists to prevent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from integrations.notion.errors import NotionConfigurationError

TEXT_TYPES = ("rich_text", "title", "url", "email", "phone_number", "formula", "select")


@dataclass(frozen=True)
class ResolvedProperty:
    field: str
    name: str
    id: str
    type: str


@dataclass(frozen=True)
class SchemaCheck:
    """One row of `notion_check`: what we expect of a property and what Notion has."""

    field: str
    name: str
    expected: tuple[str, ...]
    found: str | None

    @property
    def ok(self) -> bool:
        return self.found in self.expected


@dataclass
class ResolvedSchema:
    data_source_id: str
    title: ResolvedProperty
    fields: dict[str, ResolvedProperty] = field(default_factory=dict)

    @property
    def paginated(self) -> list[ResolvedProperty]:
        """Mapped properties whose values Notion cuts at 25 items (relations, people)."""
        return [p for p in self.fields.values() if p.type in ("relation", "people")]


def find_title(properties: dict) -> tuple[str, dict] | None:
    for name, prop in properties.items():
        if prop.get("type") == "title":
            return name, prop
    return None


def check_schema(
    *, properties: dict, mapping: dict[str, str], rules: dict[str, tuple[str, ...]]
) -> list[SchemaCheck]:
    rows = []
    title = find_title(properties)
    rows.append(
        SchemaCheck(
            field="title",
            name=title[0] if title else "?",
            expected=("title",),
            found="title" if title else None,
        )
    )
    for field_name, prop_name in mapping.items():
        prop = properties.get(prop_name)
        rows.append(
            SchemaCheck(
                field=field_name,
                name=prop_name,
                expected=rules.get(field_name, ()),
                found=prop.get("type") if prop else None,
            )
        )
    return rows


def resolve_schema(
    *,
    data_source_id: str,
    properties: dict,
    mapping: dict[str, str],
    rules: dict[str, tuple[str, ...]],
    setting: str,
) -> ResolvedSchema:
    problems = []
    unknown = sorted(set(mapping) - set(rules))
    if unknown:
        problems.append(
            _("%(setting)s names unknown fields %(unknown)s (known: %(known)s)")
            % {"setting": setting, "unknown": ", ".join(unknown), "known": ", ".join(rules)}
        )
    title = find_title(properties)
    if title is None:
        problems.append(_("the Notion data source has no title property"))
    resolved: dict[str, ResolvedProperty] = {}
    for row in check_schema(properties=properties, mapping=mapping, rules=rules)[1:]:
        if row.field not in rules:
            continue
        if row.found is None:
            problems.append(
                _('property "%(name)s" (field %(field)s) is not in Notion; existing: %(names)s')
                % {"name": row.name, "field": row.field, "names": ", ".join(sorted(properties))}
            )
        elif not row.ok:
            problems.append(
                _('property "%(name)s" (field %(field)s) is of type %(found)s; expected %(exp)s')
                % {
                    "name": row.name,
                    "field": row.field,
                    "found": row.found,
                    "exp": " / ".join(row.expected),
                }
            )
        else:
            prop = properties[row.name]
            resolved[row.field] = ResolvedProperty(
                field=row.field, name=row.name, id=prop.get("id", row.name), type=row.found
            )
    if problems:
        raise NotionConfigurationError(
            _("Check %(setting)s: %(problems)s.")
            % {"setting": setting, "problems": "; ".join(problems)}
        )
    name, prop = title
    return ResolvedSchema(
        data_source_id=data_source_id,
        title=ResolvedProperty(field="title", name=name, id=prop.get("id", "title"), type="title"),
        fields=resolved,
    )
