"""What every app's admin shares."""


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
