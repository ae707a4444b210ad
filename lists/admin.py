"""Lists in the admin: each list with its last load and counts, its entries matched to
Humans (filters by what matched, search, links to the Human and to the sheet's row), an
export of the people not found among Humans (CSV, for adding them to Notion), and the
column mapping, editable.

Lists are added by `/import_list` or `manage.py import_list` (which read the sheet), not
here; entries come from the sheet and are read-only.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from config.admin_mixins import ReadOnlyAdminMixin
from lists import selectors, services
from lists.columns import FIELD_LABELS, FIELDS
from lists.models import ListEntry, PeopleList
from lists.text import list_summary
from people.admin import human_link
from people.normalize import normalize_telegram_username


def sheet_link(url: str, text: str | None = None) -> str:
    return format_html(
        '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>',
        url,
        text or gettext("Open the sheet ↗"),
    )


class _PeopleListForm(forms.ModelForm):
    """The list, with one choice of header per field instead of raw JSON (the choices are
    the headers as last read)."""

    class Meta:
        model = PeopleList
        fields = ("name", "is_active")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        headers = list(self.instance.headers or [])
        saved = self.instance.columns or {}
        for name in FIELDS:
            current = saved.get(name, "")
            options = [("", gettext("— not used —"))] + [(h, h) for h in headers]
            if current and current not in headers:
                options.append(
                    (current, gettext("%(header)s (not in the sheet)") % {"header": current})
                )
            field = self.fields[f"column_{name}"]
            field.choices, field.initial = options, current

    def columns(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(f"column_{name}", "") for name in FIELDS}


# Declared on the class (the admin builds the form from its declared fields).
PeopleListForm = type(
    "PeopleListForm",
    (_PeopleListForm,),
    {
        f"column_{name}": forms.ChoiceField(label=FIELD_LABELS[name], required=False)
        for name in FIELDS
    },
)


@admin.register(PeopleList)
class PeopleListAdmin(admin.ModelAdmin):
    form = PeopleListForm
    list_display = (
        "name",
        "sheet_title",
        "entries_count",
        "ours_count",
        "new_count",
        "last_load",
        "readable",
        "is_active",
        "open_sheet",
    )
    list_filter = ("is_active",)
    search_fields = ("name", "spreadsheet_id", "sheet_title")
    readonly_fields = (
        "open_sheet",
        "entries_link",
        "last_load",
        "last_load_summary",
        "last_error",
        "spreadsheet_id",
        "sheet_title",
        "sheet_id",
        "headers_display",
        "created_by",
        "created_at",
        "updated_at",
    )

    def get_fieldsets(self, request, obj=None):
        columns = tuple(f"column_{name}" for name in FIELDS)
        return (
            (None, {"fields": ("name", "is_active", "open_sheet", "entries_link")}),
            (_("Last load"), {"fields": ("last_load", "last_load_summary", "last_error")}),
            (
                _("Columns"),
                {
                    "description": _(
                        "Which column holds what. Found from the headers at the first load; "
                        "change it if a column was missed or taken wrongly. The next load uses "
                        "it. “Not used” switches a field off."
                    ),
                    "fields": columns,
                },
            ),
            (
                _("Sheet"),
                {"fields": ("spreadsheet_id", "sheet_title", "sheet_id", "headers_display")},
            ),
            (None, {"fields": ("created_by", "created_at", "updated_at")}),
        )

    def has_add_permission(self, request) -> bool:
        return False  # a list is added by loading it: /import_list or manage.py import_list

    def get_queryset(self, request):
        return selectors.with_entry_counts(
            super().get_queryset(request).select_related("last_run", "created_by")
        )

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        services.people_list_columns_set(people_list=obj, columns=form.columns())

    @admin.display(description=_("entries"), ordering="n_entries")
    def entries_count(self, obj: PeopleList) -> int:
        return obj.n_entries

    @admin.display(description=_("our people"), ordering="n_ours")
    def ours_count(self, obj: PeopleList) -> int:
        return obj.n_ours

    @admin.display(description=_("new"), ordering="n_new")
    def new_count(self, obj: PeopleList) -> str:
        new = obj.n_new
        if not new:
            return "0"
        url = (
            reverse("admin:lists_listentry_changelist")
            + "?"
            + urlencode({"people_list__id__exact": obj.pk, "found": "no"})
        )
        return format_html('<a href="{}">{}</a>', url, new)

    @admin.display(description=_("last load"), ordering="last_loaded_at")
    def last_load(self, obj: PeopleList) -> str:
        if obj.last_run_id is None:
            return "—"
        url = reverse("admin:integrations_syncrun_change", args=[obj.last_run_id])
        when = timezone.localtime(obj.last_loaded_at).strftime("%d.%m.%Y %H:%M")
        return format_html('<a href="{}">#{}</a> {}', url, obj.last_run_id, when)

    @admin.display(description=_("readable"), boolean=True)
    def readable(self, obj: PeopleList) -> bool:
        """False when the last re-import could not read the sheet (the reason is on the page)."""
        return not obj.last_error

    @admin.display(description=_("what the last load found"))
    def last_load_summary(self, obj: PeopleList) -> str:
        run = obj.last_run
        loads = (run.report or {}).get("lists", []) if run is not None else []
        load = next((item for item in loads if item.get("list_id") == obj.pk), None)
        if load is None:
            return "—"
        return format_html_join("", "<div>{}</div>", ((line,) for line in list_summary(load)))

    @admin.display(description=_("Google Sheets"))
    def open_sheet(self, obj: PeopleList) -> str:
        return sheet_link(obj.sheet_link)

    @admin.display(description=_("entries"))
    def entries_link(self, obj: PeopleList) -> str:
        url = (
            reverse("admin:lists_listentry_changelist")
            + "?"
            + urlencode({"people_list__id__exact": obj.pk})
        )
        return format_html('<a href="{}">{}</a>', url, gettext("See the entries"))

    @admin.display(description=_("headers"))
    def headers_display(self, obj: PeopleList) -> str:
        return ", ".join(f"«{h}»" for h in obj.headers) or "—"


class FoundFilter(admin.SimpleListFilter):
    title = _("among our people")
    parameter_name = "found"

    def lookups(self, request, model_admin):
        return (
            ("yes", pgettext_lazy("list entry", "found")),
            ("no", _("not found (new)")),
            ("hint", _("not found, a member has the same name")),
            ("conflict", _("contacts of different members")),
            ("former", _("former members")),
        )

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(match="")
        if self.value() == "no":
            return queryset.filter(ListEntry.NEW)
        if self.value() == "hint":
            return queryset.filter(ListEntry.NEW).exclude(name_match=None)
        if self.value() == "conflict":
            return queryset.exclude(conflict="")
        if self.value() == "former":
            return queryset.exclude(former_member=None)
        return queryset


@admin.register(ListEntry)
class ListEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "full_name",
        "telegram",
        "email",
        "phone",
        "matched",
        "human_link",
        "name_hint",
        "people_list",
        "row",
        "submitted_at",
    )
    list_filter = (FoundFilter, "match", "people_list")
    search_fields = ("full_name", "telegram_username", "email", "phone")
    search_help_text = _("Name, Telegram handle (@name), e-mail or phone.")
    list_select_related = ("people_list", "human", "name_match", "former_member")
    list_per_page = 100
    actions = ("export_not_found",)
    fields = (
        "people_list",
        "row",
        "full_name",
        "telegram",
        "email",
        "phone",
        "submitted_at",
        "matched",
        "human_link",
        "name_hint",
        "conflict",
        "former_member_link",
        "cells",
        "row_key",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.startswith("@") or "t.me/" in term.lower():
            handle, _ok = normalize_telegram_username(term)
            if handle:
                search_term = handle
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("Telegram"), ordering="telegram_username")
    def telegram(self, entry: ListEntry) -> str:
        return f"@{entry.telegram_username}" if entry.telegram_username else "—"

    @admin.display(description=_("matched"), ordering="match")
    def matched(self, entry: ListEntry) -> str:
        colour = "#15803d" if entry.match else "#b45309"
        return format_html(
            '<span style="color:{};font-weight:600">{}</span>', colour, entry.get_match_display()
        )

    @admin.display(description=_("human"), ordering="human__full_name")
    def human_link(self, entry: ListEntry) -> str:
        return human_link(entry.human_id, entry.human)

    @admin.display(description=_("same name as"))
    def name_hint(self, entry: ListEntry) -> str:
        return human_link(entry.name_match_id, entry.name_match, " ?")

    @admin.display(description=_("former member"))
    def former_member_link(self, entry: ListEntry) -> str:
        return human_link(entry.former_member_id, entry.former_member)

    @admin.display(description=_("row"), ordering="row_number")
    def row(self, entry: ListEntry) -> str:
        return sheet_link(entry.sheet_link, gettext("row %(n)d ↗") % {"n": entry.row_number})

    @admin.display(description=_("cells"))
    def cells(self, entry: ListEntry) -> str:
        rows = ((header, text) for header, text in entry.values.items())
        return format_html(
            '<table class="list-cells">{}</table>',
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )

    @admin.action(description=_("Export the ones not found among our people (CSV, for Notion)"))
    def export_not_found(self, request, queryset):
        entries = list(
            queryset.filter(ListEntry.NEW)
            .select_related("people_list")
            .order_by("people_list", "row_number")
        )
        if not entries:
            self.message_user(
                request, gettext("Everyone selected is among our people already."), messages.INFO
            )
            return None
        response = HttpResponse(
            selectors.list_entries_csv(entries), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.localtime().strftime("%Y-%m-%d")
        response["Content-Disposition"] = f'attachment; filename="new-people-{stamp}.csv"'
        self.message_user(
            request,
            ngettext("Exported %(n)d person.", "Exported %(n)d people.", len(entries))
            % {"n": len(entries)},
        )
        return response
