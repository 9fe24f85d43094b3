"""API views of media: they call the same services as the pages."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.idempotency import IDEMPOTENCY_KEY_PARAMETER, IDEMPOTENCY_RESPONSES, idempotent
from core.schema import error_responses
from media.api.serializers import (
    DirectUploadSerializer,
    DirectUploadStartSerializer,
    MediaSerializer,
    MediaUpdateSerializer,
    MediaUploadSerializer,
)
from media.direct_uploads import media_upload_complete, media_upload_start
from media.limits import limits_data
from media.selectors import media_get
from media.services import media_create, media_delete, media_update
from media.uploadhandlers import LimitedMultiPartParser


class MediaUploadView(APIView):
    """POST media/ (multipart {file, alt_text?}): 202 with the pending item; processing queued."""

    parser_classes = [LimitedMultiPartParser]

    @extend_schema(
        request=MediaUploadSerializer,
        responses={202: MediaSerializer, **IDEMPOTENCY_RESPONSES},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @idempotent
    def post(self, request):
        serializer = MediaUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        media = media_create(owner=request.user, **serializer.validated_data)
        return Response(
            MediaSerializer(media, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )


class DirectUploadStartView(APIView):
    """POST media/uploads/ (JSON {content_type, size, alt_text?, kind?}), with S3 storage only
    (GET limits/ `direct_uploads`): 201 with the item awaiting its upload and `upload`, a
    presigned POST to send the file straight to storage; then POST media/<id>/complete/."""

    parser_classes = [JSONParser]

    @extend_schema(
        request=DirectUploadStartSerializer,
        responses={201: DirectUploadSerializer, **error_responses(409), **IDEMPOTENCY_RESPONSES},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description=(
            "Start a direct upload. The answer's `upload` is a presigned POST: send a multipart "
            "form to `upload.url` with every field of `upload.fields` and the file last (as "
            "`file`), of the declared type and at most the declared size, before "
            "`upload.expires_at`; then POST media/<id>/complete/. 409 "
            "`direct_uploads_unavailable` when this server does not store media on S3."
        ),
    )
    @idempotent
    def post(self, request):
        serializer = DirectUploadStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = media_upload_start(owner=request.user, **serializer.validated_data)
        return Response(
            DirectUploadSerializer(
                upload.media, context={"request": request, "upload": upload}
            ).data,
            status=status.HTTP_201_CREATED,
        )


class DirectUploadCompleteView(APIView):
    """POST media/<id>/complete/ (its owner): the file of a direct upload is in storage; 202
    with the pending item, processing queued. The same answer when sent again."""

    @extend_schema(
        request=None,
        responses={202: MediaSerializer, **error_responses(409)},
        description=(
            "409 `upload_missing` while the file is not in storage, 413 `image_too_large` when "
            "it is larger than declared (it is deleted; send it again), 409 "
            "`direct_uploads_unavailable` without S3 storage."
        ),
    )
    def post(self, request, media_id: int):
        media = media_upload_complete(media_id=media_id, owner=request.user)
        return Response(
            MediaSerializer(media, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )


class MediaDetailView(APIView):
    """GET media/<id>/ (status, variants once ready); PATCH {alt_text} and DELETE (owner).

    Others' unready, failed or unattached items are 404; others' visible ones are 403 to change.
    """

    parser_classes = [JSONParser]  # PATCH {alt_text}

    @extend_schema(responses=MediaSerializer)
    def get(self, request, media_id: int):
        media = media_get(media_id=media_id, viewer=request.user)
        return Response(MediaSerializer(media, context={"request": request}).data)

    @extend_schema(request=MediaUpdateSerializer, responses=MediaSerializer)
    def patch(self, request, media_id: int):
        media = media_get(media_id=media_id, viewer=request.user)
        serializer = MediaUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        media = media_update(media=media, editor=request.user, **serializer.validated_data)
        return Response(MediaSerializer(media, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request, media_id: int):
        media_delete(media=media_get(media_id=media_id, viewer=request.user), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LimitsView(APIView):
    """GET limits/: upload limits, readable without signing in."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response(limits_data())
