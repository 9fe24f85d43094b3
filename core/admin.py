"""What every app's admin shares, and core's own records."""

from django.contrib import admin

from core.models import IdempotentRequest


class DeleteThroughServiceMixin:
    """Deleting from the admin, one object or a selection, goes through the app's service as
    the staff member using the admin (its policy decides), never by deleting rows."""

    def delete_through_service(self, request, obj) -> None:
        raise NotImplementedError

    def delete_model(self, request, obj):
        self.delete_through_service(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_through_service(request, obj)


@admin.register(IdempotentRequest)
class IdempotentRequestAdmin(admin.ModelAdmin):
    """The Idempotency-Key records of the last day, to read (what a retry will be answered);
    deleting one lets its key run again."""

    list_display = ["key", "user", "state", "status_code", "created_at"]
    list_filter = ["state"]
    search_fields = ["key", "user__username"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
