import unicodedata

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS

from core.durable import DurableWork


class FriendsUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Log-in is case-insensitive, like the uniqueness of usernames, and NFKC-normalised as
        # stored names are (AbstractBaseUser.normalize_username): the API matches as the page.
        return self.get(username__iexact=unicodedata.normalize("NFKC", username or ""))


class User(AbstractUser):
    """A person. Usernames and emails are unique regardless of case."""

    email = models.EmailField("email address", max_length=254)
    display_name = models.CharField(max_length=50, blank=True)
    bio = models.CharField(max_length=300, blank=True)
    avatar = models.ForeignKey(
        "media.Media",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The ready avatar (square variants); set when an uploaded one is processed.",
    )
    likes_public = models.BooleanField(
        default=False, help_text="Others may see the posts this person liked, on their profile."
    )

    objects = FriendsUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="user_username_ci_unique",
                violation_error_message="A user with that username already exists.",
            ),
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_ci_unique",
                violation_error_message="A user with that email address already exists.",
            ),
        ]
        indexes = [models.Index(fields=["-date_joined"], name="user_newest_idx")]

    def __str__(self) -> str:
        return self.username

    @property
    def name(self) -> str:
        return self.display_name or self.username


class Follow(models.Model):
    """`follower` follows `followee`. Two people who follow each other are friends."""

    # No single-column indexes: follow_once (follower, followee) and follow_followee_idx
    # (followee, follower) serve every lookup, cascades included.
    follower = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="following_set", db_index=False
    )
    followee = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="follower_set", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_once"),
            models.CheckConstraint(condition=~Q(follower=F("followee")), name="follow_not_self"),
        ]
        indexes = [models.Index(fields=["followee", "follower"], name="follow_followee_idx")]

    def __str__(self) -> str:
        return f"{self.follower_id} -> {self.followee_id}"


class SuggestionDismissal(models.Model):
    """`user` does not want `dismissed` suggested again."""

    # dismiss_once (user, dismissed) serves lookups by user.
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="dismissals", db_index=False
    )
    dismissed = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "dismissed"], name="dismiss_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} dismissed {self.dismissed_id}"


class EmailDelivery(DurableWork):
    """One email to send: durable work (core.durable), written with the change that needs it
    and sent by the job `send_email`: pending -> sending -> sent, or failed with the reason."""

    class Kind(models.TextChoices):
        WELCOME = "welcome", "Welcome"
        PASSWORD_RESET = "password_reset", "Password reset"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "sending", "Sending"
        DONE = "sent", "Sent"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="email_deliveries"
    )
    recipient = models.EmailField(max_length=254)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(DurableWork.Meta):
        verbose_name_plural = "email deliveries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient} ({self.status})"


class ApiToken(AbstractAuthToken):
    """A key for the API (`Authorization: Token <key>`), one per device or client. Only the
    key's digest is stored (knox), with its first characters to find the row; the key itself is
    shown once, when it is made. It works until `expiry`, a password change, a deactivation of
    the account, or its owner revokes it."""

    # knox makes the digest the primary key; a plain number names a token in URLs and pages
    # instead, so the digest never leaves the database.
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    name = models.CharField(max_length=100, help_text='Named by the client, e.g. "Ada\'s phone".')
    expiry = models.DateTimeField(help_text="The token stops working at this moment.")
    last_used_at = models.DateTimeField(
        null=True, blank=True, help_text="The latest request made with it, to the minute."
    )

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.user_id})"
