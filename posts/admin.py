"""The admin of posts. Every change goes through the services, as the staff member using the
admin (posts.policies lets staff with the delete permission moderate)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext

from core.admin import DeleteThroughServiceMixin
from posts.models import (
    Bookmark,
    Comment,
    DataExport,
    Like,
    Notification,
    NotificationActor,
    NotificationEvent,
    Post,
    PostPhoto,
)
from posts.services import comment_delete, like_unset, post_delete
from posts.services.notifications import notification_event_restart


class PostPhotoInline(admin.TabularInline):
    model = PostPhoto
    fields = ["media", "position"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Post)
class PostAdmin(DeleteThroughServiceMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "title",
        "author",
        "created_at",
        "edited_at",
        "like_count",
        "comment_count",
    ]
    list_filter = ["created_at", "edited_at"]
    search_fields = ["title", "body", "author__username"]
    list_select_related = ["author"]
    date_hierarchy = "created_at"
    inlines = [PostPhotoInline]
    # Only authors change their words; staff may delete (moderation).
    readonly_fields = [field.name for field in Post._meta.fields]

    def has_add_permission(self, request):
        return False  # posts are written through post_create

    def delete_through_service(self, request, obj):
        post_delete(post=obj, actor=request.user)


@admin.register(Comment)
class CommentAdmin(DeleteThroughServiceMixin, admin.ModelAdmin):
    list_display = ["id", "post", "author", "created_at", "edited_at"]
    list_filter = ["created_at", "edited_at"]
    search_fields = ["body", "author__username", "post__title"]
    list_select_related = ["post", "author"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Comment._meta.fields]

    def has_add_permission(self, request):
        return False  # comments are written through comment_create, which counts them

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("post")  # for the policy

    def delete_through_service(self, request, obj):
        comment_delete(comment=obj, actor=request.user)


class _UserPostRowAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "post", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["user__username", "post__title"]
    list_select_related = ["user", "post"]
    raw_id_fields = ["user", "post"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Like)
class LikeAdmin(DeleteThroughServiceMixin, _UserPostRowAdmin):
    """Removing a like goes through like_unset, which uncounts it."""

    def delete_through_service(self, request, obj):
        like_unset(user=obj.user, post=obj.post)


@admin.register(Bookmark)
class BookmarkAdmin(_UserPostRowAdmin):
    pass


# --- Notifications ----------------------------------------------------------------------------


class NotificationActorInline(admin.TabularInline):
    model = NotificationActor
    fields = ["actor", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """People's notifications, to read (written by the job deliver_notifications); deleting
    one only takes it off its person's list."""

    list_display = ["id", "recipient", "kind", "group_key", "actor_count", "updated_at", "read_at"]
    list_filter = ["kind", "updated_at", "read_at"]
    search_fields = ["recipient__username", "group_key"]
    list_select_related = ["recipient"]
    date_hierarchy = "updated_at"
    readonly_fields = [field.name for field in Notification._meta.fields]
    inlines = [NotificationActorInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NotificationEvent)
class NotificationEventAdmin(admin.ModelAdmin):
    """What happened that may notify people, waiting for (or done by) its job."""

    list_display = ["id", "kind", "actor", "status", "attempts", "created_at", "finished_at"]
    list_filter = ["status", "kind", "created_at"]
    search_fields = ["actor__username", "last_error"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in NotificationEvent._meta.fields]
    actions = ["deliver_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_deliver_permission(self, request) -> bool:
        return request.user.has_perm("posts.change_notificationevent")

    @admin.action(
        description=gettext_lazy("Deliver again (nobody is told twice)"), permissions=["deliver"]
    )
    def deliver_again(self, request, queryset):
        for event in queryset:
            notification_event_restart(event=event)
        count = queryset.count()
        messages.success(
            request,
            ngettext("Queued %(count)d event again.", "Queued %(count)d events again.", count)
            % {"count": count},
        )


# --- Data exports -----------------------------------------------------------------------------


@admin.register(DataExport)
class DataExportAdmin(admin.ModelAdmin):
    """Exports of people's data, to look at (a stuck or failed one): read only; the zip itself
    is not offered here, it is its owner's only."""

    list_display = ["id", "user", "status", "items_done", "items_total", "created_at", "expires_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["user__username", "last_error"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in DataExport._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # its file would stay behind: the sweep deletes both when it expires
