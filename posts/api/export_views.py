"""API of "Download your data" (posts/services/export.py): me/export/."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from core.schema import error_responses
from posts.api.serializers import DataExportSerializer
from posts.selectors import export_latest_for
from posts.services.export import export_start


class MyExportView(APIView):
    """me/export/: my newest data export, with its progress and, once ready, its download link
    (GET; 404 when I never asked for one); POST starts one (202), 409 while one is on its way.
    The email with the link is sent when it is done."""

    @extend_schema(
        responses={200: DataExportSerializer, **error_responses(404)},
        summary="My newest data export",
    )
    def get(self, request):
        export = export_latest_for(user=request.user)
        if export is None:
            raise NotFound("You have not asked for an export of your data.")
        return Response(DataExportSerializer(export, context={"request": request}).data)

    @extend_schema(
        request=None,
        responses={
            202: OpenApiResponse(DataExportSerializer, description="Started; queued."),
            **error_responses(409),
        },
        summary="Start an export of my data",
    )
    def post(self, request):
        export = export_start(user=request.user)
        return Response(
            DataExportSerializer(export, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )
