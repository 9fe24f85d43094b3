from rest_framework import serializers

from accounts.api.serializers import UserBriefSerializer
from media.api.serializers import MediaSerializer
from media.limits import alt_text_max_length
from posts.models import Comment, Post


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
        # `post.visible_photos` is prefetched in one place: posts.selectors.photos_prefetch_for.
        return MediaSerializer(post.visible_photos, many=True, context=self.context).data


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
        child=serializers.CharField(allow_blank=True, max_length=alt_text_max_length()),
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
