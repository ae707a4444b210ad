"""The Notion webhook in Django admin: its state, the events it received (read-only), and
the handshakes a superuser confirms (the key that verifies events)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.admin_mixins import ReadOnlyAdminMixin
from integrations.models import NotionWebhookEvent, NotionWebhookHandshake
from integrations.webhooks import services
from integrations.webhooks.selectors import webhook_state

KEY_STATES = {
    "setting": _("verified with NOTION_WEBHOOK_VERIFICATION_TOKEN"),
    "confirmed": _("verified with a confirmed handshake"),
    "awaiting": _("a handshake awaits confirmation: events are refused until then"),
    "none": _("not set up: no handshake received, no token set"),
}


class WebhookStateMixin:
    """The webhook's state above the list (both admin pages show it)."""

    change_list_template = "admin/integrations/webhook_change_list.html"

    class Media:
        css = {"all": ("integrations/admin.css",)}

    def changelist_view(self, request, extra_context=None):
        state = webhook_state()
        extra_context = dict(extra_context or {})
        extra_context["webhook_state"] = state
        extra_context["webhook_key_state"] = KEY_STATES[state.key]
        labels = dict(NotionWebhookEvent.Status.choices)
        extra_context["webhook_by_status"] = [
            (labels.get(status, status), count) for status, count in state.by_status.items()
        ]
        extra_context["webhook_url"] = request.build_absolute_uri(reverse("notion_webhook"))
        return super().changelist_view(request, extra_context)


@admin.register(NotionWebhookEvent)
class NotionWebhookEventAdmin(WebhookStateMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("received_at", "type", "entity_link", "kind", "status", "run_link", "note")
    list_filter = ("status", "type", "kind")
    search_fields = ("entity_id", "event_id", "note")
    list_select_related = ("run",)
    date_hierarchy = "received_at"

    @admin.display(description=_("page or data source"), ordering="entity_id")
    def entity_link(self, event: NotionWebhookEvent) -> str:
        if event.entity_type == "page":
            url = f"https://www.notion.so/{event.entity_id.replace('-', '')}"
            return format_html('<a href="{}" rel="noopener">{}</a>', url, event.entity_id)
        return event.entity_id

    @admin.display(description=_("refresh run"), ordering="run")
    def run_link(self, event: NotionWebhookEvent) -> str:
        if event.run_id is None:
            return "—"
        url = reverse("admin:integrations_syncrun_change", args=[event.run_id])
        return format_html('<a href="{}">#{}</a>', url, event.run_id)


@admin.register(NotionWebhookHandshake)
class NotionWebhookHandshakeAdmin(WebhookStateMixin, admin.ModelAdmin):
    """Superusers only: a token here may become the key that verifies events. Junk sent by
    strangers is deleted here (the table keeps the first unconfirmed ones)."""

    list_display = (
        "token",
        "received_at",
        "remote_addr",
        "forwarded_for",
        "confirmed_at",
        "confirmed_by",
    )
    actions = ("confirm",)  # and the site-wide delete, for superusers

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_confirm_permission(self, request) -> bool:
        return request.user.is_superuser

    @admin.action(
        description=_(
            "Confirm: verify events with this token (the one you paste into Notion's Verify)"
        ),
        permissions=["confirm"],
    )
    def confirm(self, request, queryset) -> None:
        handshakes = list(queryset.order_by("-received_at")[:2])
        if len(handshakes) != 1:
            self.message_user(request, gettext("Confirm exactly one handshake."), messages.ERROR)
            return
        services.webhook_handshake_confirm(handshake=handshakes[0], user=request.user)
        self.message_user(
            request,
            gettext(
                "Events are now verified with this token. Paste the same token into Notion's "
                "webhook settings to finish the verification there."
            ),
            messages.SUCCESS,
        )
