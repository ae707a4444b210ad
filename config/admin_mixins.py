"""Admin building blocks shared by the apps."""


class ReadOnlyAdminMixin:
    """Nothing added, changed or deleted through the admin: Notion (or the sync history)
    is the source of truth. Works for ModelAdmin and inlines alike."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
