from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone


class FriendsUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Log-in is case-insensitive, like the uniqueness of usernames.
        return self.get(username__iexact=username)


class User(AbstractUser):
    """A person. Usernames and emails are unique regardless of case."""

    email = models.EmailField("email address", max_length=254)
    display_name = models.CharField(max_length=50, blank=True)
    bio = models.CharField(max_length=300, blank=True)
    avatar = models.ForeignKey(
        "posts.Media",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The processed avatar image (square variants).",
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


class EmailDelivery(models.Model):
    """One email to send. Written with the change that needs it; sent by `send_email`.

    `status` moves pending -> sending (a worker claimed it, `claimed_at`) -> sent, or back to
    pending for a retry at `next_attempt_at`, or to failed after the last attempt. The sending
    worker moves `claimed_at` forward as a heartbeat; a claim silent for EMAIL_CLAIM_TIMEOUT
    belongs to a dead worker and the sweeper hands it out again.
    """

    class Kind(models.TextChoices):
        WELCOME = "welcome", "Welcome"
        PASSWORD_RESET = "password_reset", "Password reset"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="email_deliveries"
    )
    recipient = models.EmailField(max_length=254)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "email deliveries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient} ({self.status})"
