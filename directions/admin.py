"""Directions in admin: read-only (Notion is the source of truth), with their organisers
and deputies inline and a link back to the Notion page."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from config.admin_mixins import ReadOnlyAdminMixin
from directions.models import Direction, Participation
from people.admin import NOTION_OWNED, ActiveFilter, human_link, notion_link


class DirectionParticipationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Participation
    fk_name = "direction"
    fields = ("human_link", "role", "telegram", "human_state")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("organiser or deputy")
    verbose_name_plural = _("organisers and deputies (from Notion)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("human").order_by("role", "human")

    @admin.display(description=_("human"))
    def human_link(self, participation: Participation) -> str:
        return human_link(participation.human_id, participation.human)

    @admin.display(description=_("Telegram"))
    def telegram(self, participation: Participation) -> str:
        handle = participation.human.telegram_username
        return f"@{handle}" if handle else "—"

    @admin.display(description=_("active"), boolean=True)
    def human_state(self, participation: Participation) -> bool:
        return participation.human.is_active


@admin.register(Direction)
class DirectionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "status",
        "is_active",
        "organisers",
        "deputies",
        "synced_at",
        "open_in_notion",
    )
    list_filter = (ActiveFilter, "status")
    search_fields = (
        "name",
        "participations__human__full_name",
        "participations__human__telegram_username",
    )
    search_help_text = _("Direction name, or the name or Telegram handle of its organiser.")
    inlines = (DirectionParticipationInline,)
    fieldsets = (
        (
            None,
            {
                "description": NOTION_OWNED,
                "fields": ("name", "open_in_notion", "status", "is_active", "description"),
            },
        ),
        (_("Sync"), {"fields": ("notion_page_id", "notion_last_edited_time", "synced_at")}),
    )
    readonly_fields = ("open_in_notion",)

    class Media:
        css = {"all": ("integrations/admin.css",)}

    def get_queryset(self, request):
        role = Participation.Role
        return (
            super()
            .get_queryset(request)
            .annotate(
                organisers_total=Count(
                    "participations", filter=Q(participations__role=role.ORGANIZER)
                ),
                deputies_total=Count("participations", filter=Q(participations__role=role.DEPUTY)),
            )
        )

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.startswith("@"):
            search_term = term.lstrip("@")
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("organisers"), ordering="organisers_total")
    def organisers(self, direction: Direction) -> int:
        return direction.organisers_total

    @admin.display(description=_("deputies"), ordering="deputies_total")
    def deputies(self, direction: Direction) -> int:
        return direction.deputies_total

    @admin.display(description=_("Notion"))
    def open_in_notion(self, direction: Direction) -> str:
        return notion_link(direction)
