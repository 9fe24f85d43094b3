from django.conf import settings
from rest_framework import serializers

from accounts.api.serializers import UserBriefSerializer
from posts.models import Comment, Media, Post

# --- Posts, comments ----------------------------------------------------------------------------


class PostSerializer(serializers.Serializer):
    """A post as read: counts from the counters, the viewer's flags from annotations."""

    id = serializers.IntegerField(read_only=True)
    author = UserBriefSerializer(read_only=True)
    title = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    edited_at = serializers.DateTimeField(read_only=True)
    like_count = serializers.IntegerField(read_only=True)
    comment_count = serializers.IntegerField(read_only=True)
    is_liked = serializers.BooleanField(read_only=True, default=False)
    is_bookmarked = serializers.BooleanField(read_only=True, default=False)
    media = serializers.SerializerMethodField()

    def get_media(self, post) -> list:
        # From `post.ready_media`, prefetched in one place: posts.selectors.post_queryset_for.
        return post_media_data(post, request=self.context.get("request"))


class PostWriteSerializer(serializers.Serializer):
    """Input of POST posts/ and PUT/PATCH posts/<id>/; limits come from the model."""

    title = serializers.CharField(max_length=Post._meta.get_field("title").max_length)
    body = serializers.CharField(
        max_length=Post._meta.get_field("body").max_length,
        allow_blank=True,
        required=False,
        default="",
        trim_whitespace=False,
    )
    # Photos (the media services check them): ids from POST media/, or multipart `images`
    # with `alt_texts` in the same order.
    media_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=100
    )
    images = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, max_length=100
    )
    alt_texts = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=settings.MEDIA_ALT_TEXT_MAX),
        required=False,
        max_length=100,
    )


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    post = serializers.IntegerField(source="post_id", read_only=True)
    author = UserBriefSerializer(read_only=True)
    body = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    edited_at = serializers.DateTimeField(read_only=True)


class CommentWriteSerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=Comment._meta.get_field("body").max_length, trim_whitespace=False
    )


# --- Media ------------------------------------------------------------------------------------


class MediaSerializer(serializers.Serializer):
    """A media item as its owner (or, once ready, anyone who may see it) reads it."""

    id = serializers.IntegerField(read_only=True)
    kind = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    error = serializers.CharField(read_only=True)
    alt_text = serializers.CharField(read_only=True)
    width = serializers.IntegerField(read_only=True)
    height = serializers.IntegerField(read_only=True)
    blurhash = serializers.CharField(read_only=True)
    animated = serializers.BooleanField(read_only=True)
    post = serializers.IntegerField(source="post_id", read_only=True, allow_null=True)
    position = serializers.IntegerField(read_only=True)
    variants = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    processed_at = serializers.DateTimeField(read_only=True)

    def get_variants(self, media) -> dict:
        """{name: {url, width, height}} once ready; empty before."""
        if media.status != Media.Status.READY:
            return {}
        request = self.context.get("request")
        variants = {}
        for name, variant in media.variants.items():
            url = media.variant_url(name)
            variants[name] = {
                "url": request.build_absolute_uri(url) if request and url.startswith("/") else url,
                "width": variant["width"],
                "height": variant["height"],
            }
        return variants


class MediaUploadSerializer(serializers.Serializer):
    """Input of POST media/ (multipart). The service checks the file itself."""

    file = serializers.FileField(allow_empty_file=True)
    alt_text = serializers.CharField(
        max_length=settings.MEDIA_ALT_TEXT_MAX, allow_blank=True, required=False, default=""
    )


class MediaUpdateSerializer(serializers.Serializer):
    alt_text = serializers.CharField(max_length=settings.MEDIA_ALT_TEXT_MAX, allow_blank=True)


def post_media_data(post, *, request=None) -> list:
    """The photos of a post for the API, from the prefetch of posts.selectors."""
    media = getattr(post, "ready_media", None)
    if media is None:
        media = list(post.media.filter(status=Media.Status.READY).order_by("position", "id"))
    return MediaSerializer(media, many=True, context={"request": request}).data


def user_avatar_data(user, *, request=None) -> dict | None:
    """A person's avatar for the API (user.avatar is select_related by the selectors)."""
    media = getattr(user, "avatar", None)
    if media is None or media.status != Media.Status.READY:
        return None
    return {"id": media.pk, **MediaSerializer(media, context={"request": request}).data}
