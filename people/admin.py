"""Humans in admin: a read-only window onto the Notion copy.

Notion is the source of truth: every field here comes from the Humans database and changes
there (the next sync brings it over), so nothing is editable and each record links back to
its Notion page. The one thing we own, the bound Telegram id, can be forgotten by an action.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from config.admin_mixins import ReadOnlyAdminMixin
from directions.models import Participation
from people.models import Human
from people.normalize import normalize_telegram_username

NOTION_OWNED = _(
    "These fields come from Notion. Change them in Notion: the next sync brings the change here."
)


def notion_link(obj) -> str:
    """An "open in Notion" link for any record with `notion_url`."""
    return format_html(
        '<a class="notion-link" href="{}" target="_blank" rel="noopener noreferrer">{}</a>',
        obj.notion_url,
        gettext("Open in Notion ↗"),
    )


def human_link(human_id: int | None, human: object, suffix: str = "") -> str:
    """A link to a Human's admin page (its text: `human`, then `suffix`); "—" for none."""
    if human_id is None:
        return "—"
    url = reverse("admin:people_human_change", args=[human_id])
    return format_html('<a href="{}">{}</a>{}', url, human, suffix)


class ActiveFilter(admin.SimpleListFilter):
    """Active / inactive, with words instead of Yes / No."""

    title = _("state")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return (
            ("yes", pgettext_lazy("records", "active")),
            ("no", pgettext_lazy("records", "inactive")),
        )

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(is_active=True)
        if self.value() == "no":
            return queryset.filter(is_active=False)
        return queryset


class TelegramFilter(admin.SimpleListFilter):
    title = _("Telegram")
    parameter_name = "telegram"

    def lookups(self, request, model_admin):
        return (
            ("bound", _("has used the bot")),
            ("unbound", _("has a handle, has not used the bot")),
            ("none", _("no handle in Notion")),
        )

    def queryset(self, request, queryset):
        value = self.value()
        if value == "bound":
            return queryset.filter(telegram_user_id__isnull=False)
        if value == "unbound":
            return queryset.filter(telegram_user_id__isnull=True, telegram_username__isnull=False)
        if value == "none":
            return queryset.filter(telegram_username__isnull=True)
        return queryset


class HumanParticipationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Participation
    fk_name = "human"
    fields = ("direction_link", "role", "direction_state")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("role in a direction")
    verbose_name_plural = _("directions (from Notion)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("direction")

    @admin.display(description=_("direction"))
    def direction_link(self, participation: Participation) -> str:
        url = reverse("admin:directions_direction_change", args=[participation.direction_id])
        return format_html('<a href="{}">{}</a>', url, participation.direction)

    @admin.display(description=_("state"))
    def direction_state(self, participation: Participation) -> str:
        if participation.direction.is_active:
            return pgettext("direction", "active")
        return pgettext("direction", "inactive")


@admin.register(Human)
class HumanAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "full_name",
        "telegram",
        "status",
        "is_active",
        "telegram_bound",
        "directions_count",
        "open_in_notion",
    )
    list_filter = (ActiveFilter, "status", TelegramFilter)
    search_fields = ("full_name", "telegram_username", "email", "phone")
    search_help_text = _("Name, Telegram handle (@name, t.me/name), e-mail or phone.")
    list_per_page = 100
    inlines = (HumanParticipationInline,)
    actions = ("forget_telegram_id",)
    fieldsets = (
        (
            None,
            {
                "description": NOTION_OWNED,
                "fields": ("full_name", "open_in_notion", "status", "is_active"),
            },
        ),
        (
            _("Contacts"),
            {
                "fields": (
                    "telegram",
                    "notion_telegram_user_id",
                    "telegram_user_id",
                    "email",
                    "phone",
                )
            },
        ),
        (
            _("Sync"),
            {"fields": ("notion_page_id", "notion_last_edited_time", "synced_at")},
        ),
    )
    readonly_fields = ("open_in_notion", "telegram")

    class Media:
        css = {"all": ("integrations/admin.css",)}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(directions_total=Count("participations__direction", distinct=True))
        )

    def has_unbind_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("people.change_human")

    def get_search_results(self, request, queryset, search_term):
        # "@Ivan_Petrov" and "t.me/ivan_petrov" find the stored "ivan_petrov".
        term = search_term.strip()
        if term.startswith("@") or "t.me/" in term.lower():
            handle, _ok = normalize_telegram_username(term)
            if handle:
                search_term = handle
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("Telegram"), ordering="telegram_username")
    def telegram(self, human: Human) -> str:
        if not human.telegram_username:
            return "—"
        return format_html(
            '<a href="https://t.me/{}" target="_blank" rel="noopener noreferrer">@{}</a>',
            human.telegram_username,
            human.telegram_username,
        )

    @admin.display(description=_("uses the bot"), boolean=True, ordering="telegram_user_id")
    def telegram_bound(self, human: Human) -> bool:
        return human.telegram_user_id is not None

    @admin.display(description=_("directions"), ordering="directions_total")
    def directions_count(self, human: Human) -> int:
        return human.directions_total

    @admin.display(description=_("Notion"))
    def open_in_notion(self, human: Human) -> str:
        return notion_link(human)

    @admin.action(
        description=_("Forget the bound Telegram id (re-checked by handle next time)"),
        permissions=("unbind",),
    )
    def forget_telegram_id(self, request, queryset):
        count = queryset.exclude(telegram_user_id=None).update(telegram_user_id=None)
        self.message_user(
            request,
            ngettext(
                "Forgot the Telegram id of %(count)d human.",
                "Forgot the Telegram ids of %(count)d humans.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
