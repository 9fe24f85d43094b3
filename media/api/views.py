"""API views of media: they call the same services as the pages."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.idempotency import IDEMPOTENCY_KEY_PARAMETER, IDEMPOTENCY_RESPONSES, idempotent
from media.api.serializers import MediaSerializer, MediaUpdateSerializer, MediaUploadSerializer
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
