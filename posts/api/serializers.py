from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import UserBriefSerializer
from core.schema import NONBLANK_TEXT_PATTERN
from core.serializer_fields import IdList, NonBlankText, StrictBoolean, StrictText
from media.api.serializers import MediaSerializer
from media.limits import alt_text_max_length
from posts.models import Comment, NotificationKind, Post

TITLE_MAX = Post._meta.get_field("title").max_length
BODY_MAX = Post._meta.get_field("body").max_length
COMMENT_MAX = Comment._meta.get_field("body").max_length
# The photos of one post, in order; the service checks them with those already on the post.
TOO_MANY_PHOTOS = {"max_length": "A post has at most {max_length} photos."}


class PostSerializer(serializers.Serializer):
    """A post as read: counts from the counters, the viewer's flags from annotations."""

    id = serializers.IntegerField(read_only=True)
    author = UserBriefSerializer(read_only=True)
    title = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    edited_at = serializers.DateTimeField(read_only=True, allow_null=True)
    like_count = serializers.IntegerField(read_only=True)
    comment_count = serializers.IntegerField(read_only=True)
    is_liked = serializers.BooleanField(read_only=True, default=False)
    is_bookmarked = serializers.BooleanField(read_only=True, default=False)
    media = serializers.SerializerMethodField()

    @extend_schema_field(MediaSerializer(many=True))
    def get_media(self, post) -> list:
        # `post.visible_photos` is prefetched in one place: posts.selectors.photos_prefetch_for.
        return MediaSerializer(post.visible_photos, many=True, context=self.context).data


class PostWriteSerializer(serializers.Serializer):
    """A post as JSON (POST posts/, PUT and PATCH posts/<id>/): photos by the ids POST media/
    gave (`media_ids`, in order: on an edit, the post's photos become these)."""

    title = NonBlankText(max_length=TITLE_MAX)
    body = StrictText(max_length=BODY_MAX, allow_blank=True, required=False, default="")
    media_ids = IdList(
        required=False, max_length=settings.MEDIA_MAX_PER_POST, error_messages=TOO_MANY_PHOTOS
    )


class PostMultipartSerializer(serializers.Serializer):
    """A new post as multipart (POST posts/): its photos in `images`, each described by the
    `alt_texts` at the same place. (Photos uploaded before go by `media_ids`, as JSON.)"""

    title = serializers.RegexField(NONBLANK_TEXT_PATTERN, max_length=TITLE_MAX)
    body = serializers.CharField(
        max_length=BODY_MAX, allow_blank=True, required=False, default="", trim_whitespace=False
    )
    images = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        max_length=settings.MEDIA_MAX_PER_POST,
        error_messages=TOO_MANY_PHOTOS,
    )
    alt_texts = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=alt_text_max_length()),
        required=False,
        max_length=settings.MEDIA_MAX_PER_POST,
    )


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    post = serializers.IntegerField(source="post_id", read_only=True)
    author = UserBriefSerializer(read_only=True)
    body = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    edited_at = serializers.DateTimeField(read_only=True, allow_null=True)


class CommentWriteSerializer(serializers.Serializer):
    body = NonBlankText(max_length=COMMENT_MAX)


# --- Notifications ----------------------------------------------------------------------------


class NotificationSerializer(serializers.Serializer):
    """One line of my notifications: a kind of thing that happened to one thing of mine, with
    the people who did it (`actor_count`, the latest in `actor`)."""

    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=NotificationKind.choices, read_only=True)
    text = serializers.CharField(
        source="summary.text",
        read_only=True,
        help_text="How it reads: “Alice and 3 others liked your post “Title””.",
    )
    url = serializers.CharField(
        source="summary.url", read_only=True, help_text="The page it is about, on the site."
    )
    actor = UserBriefSerializer(
        source="latest_actor",
        read_only=True,
        allow_null=True,
        help_text="The latest person in it (null for a photo that failed).",
    )
    actor_count = serializers.IntegerField(read_only=True)
    post = serializers.IntegerField(source="post_id", read_only=True, allow_null=True)
    comment = serializers.IntegerField(source="comment_id", read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(
        read_only=True, help_text="When someone last joined it (the order of the list)."
    )
    read_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When it was read; null while unread."
    )


class NotificationReadSerializer(serializers.Serializer):
    up_to = serializers.DateTimeField(
        required=False,
        help_text="The `updated_at` of the newest notification seen: those changed later stay "
        "unread. Without it, all are marked read.",
    )


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField(
        read_only=True, help_text="How many are unread, counted up to 100 (show “99+”)."
    )


class NotificationSettingsSerializer(serializers.Serializer):
    """Every kind of notification, true when switched on."""

    def get_fields(self):
        return {
            kind: StrictBoolean(help_text=f"{label}.") for kind, label in NotificationKind.choices
        }


# --- Data exports -----------------------------------------------------------------------------

EXPORT_STATES = ["pending", "processing", "done", "failed", "expired"]


class DataExportSerializer(serializers.Serializer):
    """A data export: its state, its progress, and while it is ready the link to its zip
    (the page's download address: a session of its owner, 404 for anyone else)."""

    id = serializers.IntegerField(read_only=True)
    status = serializers.ChoiceField(choices=EXPORT_STATES, source="state", read_only=True)
    items_done = serializers.IntegerField(read_only=True)
    items_total = serializers.IntegerField(
        read_only=True, help_text="0 until the worker has counted them."
    )
    size = serializers.IntegerField(read_only=True, help_text="Bytes of the zip, once done.")
    created_at = serializers.DateTimeField(read_only=True)
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True)
    expires_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Until when the download link works."
    )
    download_url = serializers.SerializerMethodField()

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, export) -> str | None:
        if not export.is_ready:
            return None
        path = reverse("posts:export_download", args=[export.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path
