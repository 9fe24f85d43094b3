"""API views of notifications: my list with the unread count, marking them read, and which
kinds I get."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from posts.api.serializers import (
    NotificationReadSerializer,
    NotificationSerializer,
    NotificationSettingsSerializer,
    UnreadCountSerializer,
)
from posts.api.views import FeedPagination
from posts.models import NotificationKind
from posts.selectors.notifications import (
    notification_kinds_off,
    notifications_describe,
    notifications_of,
    notifications_unread_count,
)
from posts.services.notifications import notification_settings_set, notifications_mark_read


class NotificationPagination(FeedPagination):
    """Cursor on (updated_at, id), most recently changed first; the page as DRF takes it (not
    the feed's narrow ids query), and `unread_count` beside the results."""

    ordering = ("-updated_at", "-id")

    def paginate_queryset(self, queryset, request, view=None):
        return CursorPagination.paginate_queryset(self, queryset, request, view)

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["unread_count"] = {
            "type": "integer",
            "description": "How many of my notifications are unread, counted up to 100.",
        }
        schema["required"] = [*schema.get("required", []), "unread_count"]
        return schema


class NotificationListView(generics.ListAPIView):
    """notifications/: my notifications, the most recently changed first (a new person in one
    moves it up and makes it unread again), and how many are unread. Reading marks nothing:
    POST notifications/read/ does."""

    serializer_class = NotificationSerializer
    pagination_class = NotificationPagination

    def get_queryset(self):
        return notifications_of(user=self.request.user)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return notifications_describe(page, user=self.request.user)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["unread_count"] = notifications_unread_count(user=self.request.user)
        return response


class NotificationsReadView(APIView):
    """notifications/read/: mark my notifications read, up to the newest I have seen
    (`up_to`, its `updated_at`), or all of them; answers how many are still unread."""

    parser_classes = [JSONParser]

    @extend_schema(request=NotificationReadSerializer, responses=UnreadCountSerializer)
    def post(self, request):
        serializer = NotificationReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notifications_mark_read(user=request.user, up_to=serializer.validated_data.get("up_to"))
        return Response({"unread_count": notifications_unread_count(user=request.user)})


class NotificationSettingsView(APIView):
    """me/notification-settings/: which kinds of notification I get (GET), switched on and
    off all at once (PUT, every kind)."""

    parser_classes = [JSONParser]

    @extend_schema(responses=NotificationSettingsSerializer)
    def get(self, request):
        return Response(self._settings(request.user))

    @extend_schema(request=NotificationSettingsSerializer, responses=NotificationSettingsSerializer)
    def put(self, request):
        serializer = NotificationSettingsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        enabled = [kind for kind, on in serializer.validated_data.items() if on]
        notification_settings_set(user=request.user, enabled=enabled)
        return Response(self._settings(request.user))

    @staticmethod
    def _settings(user) -> dict:
        off = notification_kinds_off(user=user)
        return {kind: kind not in off for kind in NotificationKind.values}
