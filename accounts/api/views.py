"""API views of accounts: they call the same services as the pages."""

from django.contrib.auth import authenticate
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import limits
from accounts.api.authentication import ApiTokenAuthentication
from accounts.api.serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenSerializer,
    DetailSerializer,
    MeSerializer,
    MeUpdateMultipartSerializer,
    MeUpdateSerializer,
    PasswordResetSerializer,
    SignupSerializer,
    SuggestionListSerializer,
    TokenCreateSerializer,
    UserSummarySerializer,
)
from accounts.selectors import (
    followers_of,
    following_of,
    people_queryset_for,
    suggestions_for,
    token_get_revocable,
    tokens_live_of,
    user_get_active,
    user_search,
)
from accounts.services import (
    password_reset_request,
    suggestion_dismiss,
    token_create,
    token_revoke,
    user_profile_update,
    user_signup,
)
from core.pagination import MAX_SUGGESTIONS, bounded_int_parameter
from core.schema import TEXT_PATTERN, error_responses
from media.uploadhandlers import LimitedMultiPartParser

# --- Sign-up, tokens, password reset, me -------------------------------------------------------


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class SignupApi(APIView):
    """POST auth/signup/: 201 with the new user; the welcome email is queued."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=SignupSerializer, responses={201: MeSerializer, **error_responses(409)})
    def post(self, request):
        limits.signup_check(request)
        serializer = SignupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_signup(**serializer.validated_data)
        return Response(MeSerializer(user).data, status=status.HTTP_201_CREATED)


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class TokenApi(APIView):
    """auth/token/: log in for a token of this device or client (POST, 200 with
    `{token, id, name, created, expires_at}`), and log out of it (DELETE, 204)."""

    def _ends_a_token(self) -> bool:
        # The schema generator asks before it sets the request.
        return getattr(self.request, "method", None) == "DELETE"

    def get_authenticators(self):
        # Logging in needs no authentication (nor a CSRF token); ending a token needs the token.
        return [ApiTokenAuthentication()] if self._ends_a_token() else []

    def get_permissions(self):
        return [IsAuthenticated()] if self._ends_a_token() else [AllowAny()]

    def get_authenticate_header(self, request) -> str:
        # Wrong credentials are a 401 naming the scheme to use, for logging in too.
        return ApiTokenAuthentication().authenticate_header(request)

    @extend_schema(request=TokenCreateSerializer, responses={200: ApiTokenCreatedSerializer})
    def post(self, request):
        """Log in: a new token for this device or client, named by `name` (else after the
        User-Agent), working for API_TOKEN_TTL_DAYS (90 unless set). The key in `token` is shown
        this once: only a digest of it is stored. 200, like any log-in; every call makes a new
        token. Wrong credentials: 401; past the log-in limits: 429."""
        serializer = TokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # The backend applies the log-in limits (accounts.backends): a 429 past them.
        user = authenticate(request=request, username=data["username"], password=data["password"])
        if user is None:
            raise AuthenticationFailed("Unable to log in with the username and password given.")
        token, key = token_create(
            user=user, name=data["name"], user_agent=request.headers.get("User-Agent", "")
        )
        return Response(ApiTokenCreatedSerializer(token, context={"key": key}).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        """Log out: the token this request is made with stops working (204); the person's other
        tokens go on working."""
        token_revoke(token=request.auth, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetApi(APIView):
    """POST auth/password-reset/ {email}: 202 whether or not the address has an account."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=PasswordResetSerializer, responses={202: DetailSerializer})
    def post(self, request):
        limits.password_reset_check(request)
        serializer = PasswordResetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password_reset_request(email=serializer.validated_data["email"])
        return Response(
            {"detail": "If an account uses this address, we sent it a link to reset the password."},
            status=status.HTTP_202_ACCEPTED,
        )


class MeApi(APIView):
    """GET, PATCH me/: the signed-in person's own profile; a new avatar as multipart."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, LimitedMultiPartParser]
    serializer_class = MeSerializer

    def get(self, request):
        return Response(MeSerializer(request.user, context={"request": request}).data)

    @extend_schema(
        request={
            "application/json": MeUpdateSerializer,
            "multipart/form-data": MeUpdateMultipartSerializer,
        },
        responses={200: MeSerializer},
    )
    def patch(self, request):
        multipart = request.content_type.startswith("multipart/")
        form = MeUpdateMultipartSerializer if multipart else MeUpdateSerializer
        serializer = form(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.validated_data.pop("avatar", None)
        # An avatar is checked now; its square crops are made by the media job.
        user = user_profile_update(
            user=request.user, avatar=request.FILES.get("avatar"), **serializer.validated_data
        )
        return Response(MeSerializer(user, context={"request": request}).data)


class TokenListApi(generics.ListAPIView):
    """GET me/tokens/: your API tokens that still work, newest first, without their keys;
    `current` marks the one this request is made with."""

    serializer_class = ApiTokenSerializer

    def get_queryset(self):
        return tokens_live_of(user=self.request.user)


class TokenDetailApi(APIView):
    """DELETE me/tokens/<id>/: revoke one of your tokens (204); it stops working at once.
    Another person's token is a 404."""

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, token_id: int):
        token = token_get_revocable(token_id=token_id, user=request.user)
        token_revoke(token=token, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Users, follows, suggestions --------------------------------------------------------------


SEARCH_MAX = 100


class UserListView(generics.ListAPIView):
    """users/?search=: people by username or display name (any case); everyone without it."""

    serializer_class = UserSummarySerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "search",
                {"type": "string", "maxLength": SEARCH_MAX, "pattern": TEXT_PATTERN},
                description="Part of a username or display name, any case.",
            )
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        search = self.request.query_params.get("search", "")
        if len(search) > SEARCH_MAX:
            raise ValidationError({"search": [f"At most {SEARCH_MAX} characters."]})
        search = search.strip()
        if search:
            return user_search(query=search, viewer=self.request.user)
        return people_queryset_for(self.request.user).order_by("username")


class UserFollowersView(generics.ListAPIView):
    serializer_class = UserSummarySerializer

    def get_queryset(self):
        user = user_get_active(username=self.kwargs["username"])
        return followers_of(user=user, viewer=self.request.user)


class UserFollowingView(generics.ListAPIView):
    serializer_class = UserSummarySerializer

    def get_queryset(self):
        user = user_get_active(username=self.kwargs["username"])
        return following_of(user=user, viewer=self.request.user)


class SuggestionListView(APIView):
    """suggestions/: up to `limit` people to follow, best first, with reasons: a short ranked
    list, not paged."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_SUGGESTIONS},
                description=f"How many (1 to {MAX_SUGGESTIONS}; 10 when absent).",
            )
        ],
        responses={200: SuggestionListSerializer},
    )
    def get(self, request):
        limit = bounded_int_parameter(request, "limit", default=10, maximum=MAX_SUGGESTIONS)
        suggestions = suggestions_for(user=request.user, limit=limit)
        return Response(
            SuggestionListSerializer({"results": suggestions}, context={"request": request}).data
        )


class SuggestionDismissView(APIView):
    """DELETE suggestions/<username>/: never suggest this person again (idempotent)."""

    @extend_schema(request=None, responses={204: None, **error_responses(409)})
    def delete(self, request, username: str):
        suggestion_dismiss(user=request.user, dismissed=user_get_active(username=username))
        return Response(status=status.HTTP_204_NO_CONTENT)
