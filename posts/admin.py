"""The admin of posts. Every change goes through the services, as the staff member using the
admin (posts.policies lets staff with the delete permission moderate)."""

from django.contrib import admin

from core.admin import DeleteThroughServiceMixin
from posts.models import Bookmark, Comment, Like, Post, PostPhoto
from posts.services import comment_delete, like_unset, post_delete


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
