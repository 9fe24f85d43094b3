from django.contrib import admin

from posts.models import Bookmark, Comment, Like, Media, Post
from posts.services import comment_delete, like_unset
from posts.services.media import media_delete, media_reprocess

# --- Posts, comments, likes, bookmarks --------------------------------------------------------


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
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
    raw_id_fields = ["author"]
    date_hierarchy = "created_at"
    # The counters belong to the like and comment services.
    readonly_fields = ["created_at", "like_count", "comment_count"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["id", "post", "author", "created_at", "edited_at"]
    list_filter = ["created_at", "edited_at"]
    search_fields = ["body", "author__username", "post__title"]
    list_select_related = ["post", "author"]
    raw_id_fields = ["post", "author"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False  # comments are written through comment_create, which counts them

    def delete_model(self, request, obj):
        comment_delete(comment=obj, actor=obj.author)

    def delete_queryset(self, request, queryset):
        for comment in queryset.select_related("post"):
            comment_delete(comment=comment, actor=comment.author)


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
class LikeAdmin(_UserPostRowAdmin):
    def delete_model(self, request, obj):
        like_unset(user=obj.user, post=obj.post)

    def delete_queryset(self, request, queryset):
        for like in queryset.select_related("user", "post"):
            like_unset(user=like.user, post=like.post)


@admin.register(Bookmark)
class BookmarkAdmin(_UserPostRowAdmin):
    pass


# --- Media ------------------------------------------------------------------------------------


@admin.register(Media)
class MediaAdmin(admin.ModelAdmin):
    """Media items; files change only through the services (delete, reprocess)."""

    list_display = ["id", "owner", "kind", "status", "post", "width", "height", "created_at"]
    list_filter = ["status", "kind", "animated", "created_at"]
    search_fields = ["owner__username", "alt_text", "error"]
    list_select_related = ["owner", "post"]
    raw_id_fields = ["owner", "post"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "owner",
        "kind",
        "post",
        "position",
        "original",
        "original_format",
        "original_size",
        "status",
        "error",
        "attempts",
        "width",
        "height",
        "blurhash",
        "variants",
        "animated",
        "storage_key",
        "job_id",
        "created_at",
        "queued_at",
        "processing_started_at",
        "processed_at",
    ]
    actions = ["reprocess"]

    def has_add_permission(self, request):
        return False  # uploads go through media_create, which checks the file

    @admin.action(description="Process again (writes the same files)")
    def reprocess(self, request, queryset):
        for media in queryset:
            media_reprocess(media=media)

    def delete_model(self, request, obj):
        media_delete(media=obj, actor=obj.owner)

    def delete_queryset(self, request, queryset):
        for media in queryset:
            media_delete(media=media, actor=media.owner)
