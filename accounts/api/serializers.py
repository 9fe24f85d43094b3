from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import USERNAME_PATTERN, USERNAME_RULE, ApiToken, Invitation, User
from accounts.selectors import avatar_pending_for
from core.serializer_fields import NonBlankText, StrictBoolean, StrictText
from media.api.serializers import MediaSerializer, avatar_data

# --- Sign-up, token, password reset, me -------------------------------------------------------


def _max_length(field: str) -> int:
    return User._meta.get_field(field).max_length


class SignupSerializer(serializers.Serializer):
    username = StrictText(
        USERNAME_PATTERN,
        max_length=_max_length("username"),
        error_messages={"invalid": USERNAME_RULE},
    )
    email = serializers.EmailField(max_length=_max_length("email"))
    # At least 8 characters, not only digits (Django's validators check more: common passwords,
    # likeness to the name).
    password = StrictText(
        r"^[^\x00]*[^0-9\x00][^\x00]*$",
        write_only=True,
        min_length=8,
        max_length=128,
        error_messages={
            "min_length": "This password is too short. It must contain at least 8 characters.",
            "invalid": "This password is entirely numeric.",
        },
    )
    display_name = StrictText(
        max_length=_max_length("display_name"), required=False, allow_blank=True, default=""
    )
    invite = StrictText(
        max_length=Invitation._meta.get_field("token").max_length,
        required=False,
        allow_blank=True,
        default="",
        help_text="The token of an invitation (`invite` in its sign-up link): you and the person "
        "who invited you then follow each other. An unknown or used one changes nothing.",
    )


class PasswordResetSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=_max_length("email"))


class TokenCreateSerializer(serializers.Serializer):
    """POST auth/token/: log in and name the new token after the device or client."""

    username = NonBlankText(max_length=_max_length("username"))
    # No length limit: a password set on the page may be longer than sign-up allows.
    password = NonBlankText(write_only=True)
    name = StrictText(
        max_length=ApiToken._meta.get_field("name").max_length,
        required=False,
        allow_blank=True,
        default="",
        help_text='What the token is for, e.g. "Ada\'s phone"; the User-Agent when empty.',
    )


class ApiTokenSerializer(serializers.ModelSerializer):
    """One of the person's API tokens, never its key."""

    expires_at = serializers.DateTimeField(source="expiry", read_only=True)
    current = serializers.SerializerMethodField(
        help_text="True for the token this request was made with."
    )

    class Meta:
        model = ApiToken
        fields = ["id", "name", "created", "last_used_at", "expires_at", "current"]
        read_only_fields = fields

    def get_current(self, token) -> bool:
        request = self.context.get("request")
        used = getattr(request, "auth", None)
        return isinstance(used, ApiToken) and used.pk == token.pk


class ApiTokenCreatedSerializer(serializers.ModelSerializer):
    """A new token with its key, which is shown this once (only a digest of it is stored)."""

    token = serializers.SerializerMethodField(
        help_text="The key, for `Authorization: Token <token>`; shown this once."
    )
    expires_at = serializers.DateTimeField(source="expiry", read_only=True)

    class Meta:
        model = ApiToken
        fields = ["token", "id", "name", "created", "expires_at"]
        read_only_fields = fields

    def get_token(self, token) -> str:
        return self.context["key"]


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True)


class LeaveSerializer(serializers.Serializer):
    """DELETE me/: your password confirms that you leave."""

    # No length limit: a password set on the page may be longer than sign-up allows.
    password = NonBlankText(write_only=True)


class InviteSerializer(serializers.Serializer):
    email = serializers.EmailField(
        max_length=_max_length("email"), help_text="The address to send the invitation to."
    )


class InviteAnswerSerializer(serializers.Serializer):
    """The same answer whether or not the address gets an invitation."""

    detail = serializers.CharField(read_only=True)
    invitations_left = serializers.IntegerField(
        read_only=True, help_text="How many more you may send in the next 24 hours."
    )


# User.language: blank follows the browser (Accept-Language).
LANGUAGE_CHOICES = ["", *(code for code, _name in settings.LANGUAGES)]


class MeUpdateSerializer(serializers.Serializer):
    """PATCH me/ as JSON: the profile's texts."""

    display_name = StrictText(max_length=_max_length("display_name"), allow_blank=True)
    bio = StrictText(max_length=_max_length("bio"), allow_blank=True)
    likes_public = StrictBoolean(
        help_text="Others may see the posts you liked, on your profile page."
    )
    language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES,
        help_text="Of the pages and emails: `en`, `ko`, or empty to follow the browser.",
    )


class MeUpdateMultipartSerializer(serializers.Serializer):
    """PATCH me/ as multipart: the texts, and a new avatar (checked now, square crops made by
    the media job; `avatar_pending` shows it until it is ready)."""

    display_name = serializers.CharField(
        max_length=_max_length("display_name"), allow_blank=True, trim_whitespace=False
    )
    bio = serializers.CharField(
        max_length=_max_length("bio"), allow_blank=True, trim_whitespace=False
    )
    likes_public = StrictBoolean(form=True)
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES)
    avatar = serializers.FileField(allow_empty_file=True)


class MeSerializer(serializers.ModelSerializer):
    """The signed-in person's own account (read it; change it through PATCH me/)."""

    # The ready avatar, and the newest upload still processing (or failed).
    avatar = serializers.SerializerMethodField()
    avatar_pending = serializers.SerializerMethodField()
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "email", "display_name", "bio", "likes_public", "date_joined"]
        fields += ["language", "avatar", "avatar_pending"]
        read_only_fields = fields

    @extend_schema_field(MediaSerializer(allow_null=True))
    def get_avatar(self, user) -> dict | None:
        return avatar_data(user.avatar, request=self.context.get("request"))

    @extend_schema_field(MediaSerializer(allow_null=True))
    def get_avatar_pending(self, user) -> dict | None:
        pending = avatar_pending_for(user)
        return MediaSerializer(pending, context=self.context).data if pending else None


# --- Users, follows, suggestions --------------------------------------------------------------


class UserBriefSerializer(serializers.Serializer):
    """A person as shown next to a post or comment."""

    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    display_name = serializers.CharField(read_only=True)
    avatar = serializers.SerializerMethodField()

    @extend_schema_field(MediaSerializer(allow_null=True))
    def get_avatar(self, user) -> dict | None:
        # user.avatar is select_related by the selectors.
        return avatar_data(user.avatar, request=self.context.get("request"))


class UserSummarySerializer(UserBriefSerializer):
    """A person in a list, with the viewer's follow flags."""

    bio = serializers.CharField(read_only=True)
    is_following = serializers.SerializerMethodField()
    follows_you = serializers.SerializerMethodField()

    def get_is_following(self, user) -> bool:
        return bool(getattr(user, "is_following", False))

    def get_follows_you(self, user) -> bool:
        return bool(getattr(user, "follows_you", False))


class ProfileSerializer(UserSummarySerializer):
    """A profile (users/<username>/, posts.api): counts, follow flags, friends in common."""

    date_joined = serializers.DateTimeField(read_only=True)
    posts_count = serializers.IntegerField(read_only=True)
    followers_count = serializers.IntegerField(read_only=True)
    following_count = serializers.IntegerField(read_only=True)
    mutual_friends_count = serializers.IntegerField(read_only=True)
    is_blocked = serializers.BooleanField(
        read_only=True,
        help_text="You blocked this person (DELETE users/<username>/block/ unblocks).",
    )
    is_muted = serializers.BooleanField(
        read_only=True, help_text="You muted this person: their posts are not in your feed."
    )


class SuggestionSerializer(serializers.Serializer):
    user = UserSummarySerializer(read_only=True)
    reason = serializers.CharField(read_only=True)
    mutual_count = serializers.IntegerField(read_only=True)


class SuggestionListSerializer(serializers.Serializer):
    results = SuggestionSerializer(many=True, read_only=True)


# --- Blocks and mutes -------------------------------------------------------------------------


class BlockSerializer(serializers.Serializer):
    """Someone you blocked, and since when."""

    user = UserBriefSerializer(source="blocked", read_only=True)
    created_at = serializers.DateTimeField(read_only=True, help_text="When you blocked them.")


class MuteSerializer(serializers.Serializer):
    """Someone you muted, and since when."""

    user = UserBriefSerializer(source="muted", read_only=True)
    created_at = serializers.DateTimeField(read_only=True, help_text="When you muted them.")
