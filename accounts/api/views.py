"""API views of accounts: they call the same services as the pages."""

from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import limits
from accounts.api.serializers import (
    DetailSerializer,
    MeSerializer,
    PasswordResetSerializer,
    SignupSerializer,
    SuggestionSerializer,
    TokenSerializer,
    UserSummarySerializer,
)
from accounts.selectors import (
    followers_of,
    following_of,
    people_queryset_for,
    suggestions_for,
    user_get_active,
    user_search,
)
from accounts.services import (
    password_reset_request,
    suggestion_dismiss,
    user_profile_update,
    user_signup,
    user_token_get,
)

# --- Sign-up, token, password reset, me -------------------------------------------------------


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class SignupApi(APIView):
    """POST auth/signup/: 201 with the new user; the welcome email is queued."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=SignupSerializer, responses={201: MeSerializer})
    def post(self, request):
        limits.signup_check(request)
        serializer = SignupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_signup(**serializer.validated_data)
        return Response(MeSerializer(user).data, status=status.HTTP_201_CREATED)


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class TokenApi(APIView):
    """POST auth/token/ {username, password}: `{token}` for `Authorization: Token <token>`."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=AuthTokenSerializer, responses={200: TokenSerializer})
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        return Response({"token": user_token_get(user=serializer.validated_data["user"])})


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
    """GET, PATCH me/: the signed-in person's own profile."""

    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer

    def get(self, request):
        return Response(MeSerializer(request.user, context={"request": request}).data)

    def patch(self, request):
        serializer = MeSerializer(
            request.user, data=request.data, partial=True, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        # An avatar is checked now; its square crops are made by the media job.
        user = user_profile_update(
            user=request.user, avatar=request.FILES.get("avatar"), **serializer.validated_data
        )
        return Response(MeSerializer(user, context={"request": request}).data)


# --- Users, follows, suggestions --------------------------------------------------------------


class UserListView(generics.ListAPIView):
    """users/?search=: people by username or display name (any case); everyone without it."""

    serializer_class = UserSummarySerializer

    def get_queryset(self):
        search = self.request.query_params.get("search", "").strip()
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
    """suggestions/: up to `limit` (default 10, at most 50) people to follow, with reasons."""

    @extend_schema(responses=SuggestionSerializer(many=True))
    def get(self, request):
        try:
            limit = min(max(int(request.query_params.get("limit", 10)), 1), 50)
        except ValueError:
            limit = 10
        suggestions = suggestions_for(user=request.user, limit=limit)
        return Response(
            {
                "results": SuggestionSerializer(
                    suggestions, many=True, context={"request": request}
                ).data
            }
        )


class SuggestionDismissView(APIView):
    """DELETE suggestions/<username>/: never suggest this person again (idempotent)."""

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, username: str):
        suggestion_dismiss(user=request.user, dismissed=user_get_active(username=username))
        return Response(status=status.HTTP_204_NO_CONTENT)
