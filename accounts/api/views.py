"""API views of accounts: they call the same services as the pages."""

from django.contrib.auth import authenticate, logout
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
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
    BlockSerializer,
    DetailSerializer,
    InviteAnswerSerializer,
    InviteSerializer,
    LeaveSerializer,
    MeSerializer,
    MeUpdateMultipartSerializer,
    MeUpdateSerializer,
    MuteSerializer,
    PasswordResetSerializer,
    SignupSerializer,
    SuggestionListSerializer,
    TokenCreateSerializer,
    UserSummarySerializer,
)
from accounts.selectors import (
    blocks_of,
    followers_of,
    following_of,
    invitations_left_today,
    mutes_of,
    people_queryset_for,
    suggestions_for,
    token_get_revocable,
    tokens_live_of,
    user_get_active,
    user_get_visible,
    user_search,
)
from accounts.services import (
    account_leave,
    invitation_send,
    password_reset_request,
    suggestion_dismiss,
    token_create,
    token_revoke,
    user_profile_update,
    user_signup,
)
from core.errors import ApplicationError
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
        # The language the client asked in (Accept-Language) becomes the person's, as on the
        # page, unless the request set one.
        data = {"language": translation.get_language(), **serializer.validated_data}
        user = user_signup(**data)
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


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class MeApi(APIView):
    """GET, PATCH me/: the signed-in person's own profile; a new avatar as multipart. DELETE
    me/: leave."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, LimitedMultiPartParser]
    serializer_class = MeSerializer
    schema_delete_body = True  # DELETE reads the password (core.schema)

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

    @extend_schema(request={"application/json": LeaveSerializer}, responses={202: DetailSerializer})
    def delete(self, request):
        """Leave Friends, with your password: your account is deactivated at once (every token
        and session of yours stops working; your profile, posts and comments are hidden from
        everyone) and a job deletes it with everything in it, then emails you a goodbye (202).
        A wrong password is a 400 on `password`; guesses are limited as log-ins are (429)."""
        serializer = LeaveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = request.user
        limits.login_check(request, user.username)
        try:
            account_leave(user=user, password=serializer.validated_data["password"])
        except ApplicationError:
            limits.login_failed(request, user.username)
            raise
        if request.auth is None:  # a browser's session: it ends here
            logout(request._request)
        return Response(
            {"detail": "Your account is deactivated; it is being deleted. Goodbye."},
            status=status.HTTP_202_ACCEPTED,
        )


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


# --- Invitations -----------------------------------------------------------------------------


class InviteApi(APIView):
    """POST invites/ {email}: invite someone to Friends by email."""

    @extend_schema(request=InviteSerializer, responses={202: InviteAnswerSerializer})
    def post(self, request):
        """Queue an invitation email with a sign-up link (you then follow each other) and a
        link to ask for no more invitations. 202 with the same body whatever the address: one
        that has an account, asked for no invitations or that you invited in the last 24 hours
        gets nothing, and the answer does not say so. Every call counts against
        INVITATIONS_PER_DAY (5 unless set) in 24 hours; past it, 429 with Retry-After."""
        serializer = InviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation_send(inviter=request.user, email=serializer.validated_data["email"])
        answer = {
            "detail": "Thank you! We are emailing an invitation, unless the address is on Friends "
            "already or asked for no invitations.",
            "invitations_left": invitations_left_today(user=request.user),
        }
        return Response(answer, status=status.HTTP_202_ACCEPTED)


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
            raise ValidationError(
                {"search": [_("At most %(maximum)s characters.") % {"maximum": SEARCH_MAX}]}
            )
        search = search.strip()
        if search:
            return user_search(query=search, viewer=self.request.user)
        return people_queryset_for(self.request.user).order_by("username")


class UserFollowersView(generics.ListAPIView):
    """users/<username>/followers/: the people you may see among their followers; 404 for
    someone who left, who blocked you or whom you blocked."""

    serializer_class = UserSummarySerializer

    def get_queryset(self):
        user = user_get_visible(username=self.kwargs["username"], viewer=self.request.user)
        return followers_of(user=user, viewer=self.request.user)


class UserFollowingView(generics.ListAPIView):
    """users/<username>/following/: the people you may see among those they follow; 404 for
    someone who left, who blocked you or whom you blocked."""

    serializer_class = UserSummarySerializer

    def get_queryset(self):
        user = user_get_visible(username=self.kwargs["username"], viewer=self.request.user)
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


# --- Blocks and mutes (PUT and DELETE users/<username>/block/ and mute/ answer with the
# profile, which counts posts: posts.api) ------------------------------------------------------


class MyBlocksView(generics.ListAPIView):
    """me/blocks/: the people you blocked, the newest block first (DELETE
    users/<username>/block/ unblocks one)."""

    serializer_class = BlockSerializer

    def get_queryset(self):
        return blocks_of(user=self.request.user)


class MyMutesView(generics.ListAPIView):
    """me/mutes/: the people you muted, the newest mute first (DELETE users/<username>/mute/
    unmutes one)."""

    serializer_class = MuteSerializer

    def get_queryset(self):
        return mutes_of(user=self.request.user)
