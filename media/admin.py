from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext

from core.admin import DeleteThroughServiceMixin
from media.models import FileDeletion, Media
from media.services import media_delete, media_reprocess


@admin.register(Media)
class MediaAdmin(DeleteThroughServiceMixin, admin.ModelAdmin):
    """Media items; files change only through the services (delete, process again), which the
    admin calls as the staff member using it."""

    list_display = ["id", "owner", "kind", "status", "attached_at", "width", "height", "created_at"]
    list_filter = ["status", "kind", "animated", "created_at"]
    search_fields = ["owner__username", "alt_text", "last_error"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Media._meta.fields]
    actions = ["reprocess"]

    def has_add_permission(self, request):
        return False  # uploads go through media_create, which checks the file

    @admin.action(
        description=gettext_lazy("Process again (writes the same files)"), permissions=["change"]
    )
    def reprocess(self, request, queryset):
        for media in queryset:
            media_reprocess(media=media, actor=request.user)
        count = queryset.count()
        messages.success(
            request,
            ngettext("Queued %(count)d item again.", "Queued %(count)d items again.", count)
            % {"count": count},
        )

    def delete_through_service(self, request, obj):
        media_delete(media=obj, actor=request.user)


@admin.register(FileDeletion)
class FileDeletionAdmin(admin.ModelAdmin):
    """Files of deleted media waiting for (or done by) their job."""

    list_display = ["id", "status", "attempts", "created_at", "finished_at"]
    list_filter = ["status", "created_at"]
    readonly_fields = [field.name for field in FileDeletion._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
