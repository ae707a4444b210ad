from django.contrib import admin

from botapp.models import AccessAttempt, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("chat_id", "human", "scope", "is_active", "disabled_reason", "updated_at")
    list_filter = ("is_active", "scope")
    search_fields = ("chat_id", "human__full_name", "human__telegram_username")
    list_select_related = ("human",)
    readonly_fields = ("chat_id", "human", "disabled_reason", "created_at", "updated_at")
    fields = (
        "chat_id",
        "human",
        "scope",
        "is_active",
        "disabled_reason",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request) -> bool:
        # Chats subscribe themselves with /subscribe; admins may only switch them off.
        return False


@admin.register(AccessAttempt)
class AccessAttemptAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "telegram_user_id",
        "username",
        "full_name",
        "reason",
        "chat_id",
        "text",
    )
    list_filter = ("reason", "answered")
    search_fields = ("telegram_user_id", "username", "full_name", "text")
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
