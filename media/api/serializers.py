from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializer_fields import StrictText
from media.limits import alt_text_max_length
from media.models import Media


class VariantSerializer(serializers.Serializer):
    url = serializers.URLField(read_only=True)
    width = serializers.IntegerField(read_only=True)
    height = serializers.IntegerField(read_only=True)


class MediaSerializer(serializers.Serializer):
    """A media item as its owner (or, once ready, anyone who may see it) reads it."""

    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=Media.Kind.choices, read_only=True)
    status = serializers.ChoiceField(
        choices=Media.Status.choices,
        read_only=True,
        help_text="ready once the variants are made; failed with the reason in `error`.",
    )
    error = serializers.SerializerMethodField()
    alt_text = serializers.CharField(read_only=True)
    width = serializers.IntegerField(read_only=True, allow_null=True)
    height = serializers.IntegerField(read_only=True, allow_null=True)
    blurhash = serializers.CharField(read_only=True)
    animated = serializers.BooleanField(read_only=True)
    variants = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    processed_at = serializers.DateTimeField(source="finished_at", read_only=True, allow_null=True)

    def get_error(self, media) -> str:
        return media.last_error if media.status == Media.Status.FAILED else ""

    @extend_schema_field(serializers.DictField(child=VariantSerializer()))
    def get_variants(self, media) -> dict:
        """{name: {url, width, height}} once ready; empty before."""
        if media.status != Media.Status.DONE:
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
        max_length=alt_text_max_length(), allow_blank=True, required=False, default=""
    )


class DirectUploadStartSerializer(serializers.Serializer):
    """Input of POST media/uploads/ (JSON): the file the client is about to send to S3. The
    service checks the type and size against the limits (GET limits/)."""

    content_type = serializers.CharField(
        max_length=100, help_text="The file's type: one of GET limits/ `accept`."
    )
    size = serializers.IntegerField(help_text="The file's size in bytes.")
    alt_text = serializers.CharField(
        max_length=alt_text_max_length(), allow_blank=True, required=False, default=""
    )
    kind = serializers.ChoiceField(
        choices=Media.Kind.choices, required=False, default=Media.Kind.PHOTO
    )


class UploadTargetSerializer(serializers.Serializer):
    """A presigned POST: send a multipart form to `url` with every field of `fields`, then the
    file last, as `file`."""

    url = serializers.URLField(read_only=True)
    fields = serializers.DictField(child=serializers.CharField(), read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)


class DirectUploadSerializer(MediaSerializer):
    """A direct upload just started: the item, awaiting its upload, and where to send it."""

    upload = serializers.SerializerMethodField()

    @extend_schema_field(UploadTargetSerializer)
    def get_upload(self, media) -> dict:
        return UploadTargetSerializer(self.context["upload"]).data


class MediaUpdateSerializer(serializers.Serializer):
    alt_text = StrictText(max_length=alt_text_max_length(), allow_blank=True, required=False)


def avatar_data(media: Media | None, *, request=None) -> dict | None:
    """A person's avatar for the API: the ready item, or None."""
    if media is None or media.status != Media.Status.DONE:
        return None
    return MediaSerializer(media, context={"request": request}).data
