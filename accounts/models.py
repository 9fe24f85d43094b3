import unicodedata

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS

from core.durable import DurableWork


class FriendsUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Log-in is case-insensitive, like the uniqueness of usernames, and NFKC-normalised as
        # stored names are (AbstractBaseUser.normalize_username): the API matches as the page.
        return self.get(username__iexact=unicodedata.normalize("NFKC", username or ""))


# The characters of a new username: the English alphabet, digits and @ . + - _. A username is
# a handle that every keyboard can type and every regular-expression dialect reads alike (the
# API schema states it); the display name holds any script.
USERNAME_PATTERN = r"^[A-Za-z0-9_.@+-]+$"
USERNAME_RULE = (
    "A username may use English letters, digits and @ . + - _ only "
    "(your display name may use any letters)."
)


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
    # The language of the pages and of the emails sent to this person; blank: the browser's
    # (Accept-Language or the footer's switcher), and English for emails.
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Blank: the browser's language."),
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
        indexes = [
            models.Index(fields=["-date_joined"], name="user_newest_idx"),
            # Only the people who left: policies.people_visible_sql reads them from it.
            models.Index(fields=["id"], condition=Q(is_active=False), name="user_left_idx"),
        ]

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


class Block(models.Model):
    """`blocker` keeps `blocked` away: no follows either way, no likes, comments or mentions
    from them, and neither sees the other's posts or profile (404). Checked in one place:
    accounts.policies."""

    # block_once (blocker, blocked) serves lookups by blocker; block_blocked_idx the reverse.
    blocker = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="blocks_made", db_index=False
    )
    blocked = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="block_not_self"),
        ]
        indexes = [models.Index(fields=["blocked", "blocker"], name="block_blocked_idx")]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class Mute(models.Model):
    """`muter` no longer sees `muted` in the feed or in notifications; nothing else changes,
    and `muted` cannot tell."""

    muter = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="mutes_made", db_index=False
    )
    muted = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["muter", "muted"], name="mute_once"),
            models.CheckConstraint(condition=~Q(muter=F("muted")), name="mute_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.muter_id} mutes {self.muted_id}"


class Invitation(models.Model):
    """`inviter` invited `email` to Friends; the email (an EmailDelivery of kind invitation)
    carries a sign-up link with `token`. Signing up through it makes the two follow each other."""

    inviter = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["inviter", "-created_at"], name="invitation_inviter_idx"),
            models.Index(Lower("email"), name="invitation_email_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.inviter_id} invited {self.email}"


class InvitationOptOut(models.Model):
    """An address that followed the unsubscribe link of an invitation: it gets no more."""

    email = models.EmailField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="invitation_optout_once")]

    def __str__(self) -> str:
        return self.email


class AccountDeletion(DurableWork):
    """Leaving: the account was deactivated at once (logged out, tokens ended, content
    hidden); the job `delete_account` deletes its content and files, recounts the counters of
    others' posts, deletes the user and sends the goodbye email. The row stays as the record."""

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150)
    email = models.EmailField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"Deletion of {self.username} ({self.status})"


class EmailDelivery(DurableWork):
    """One email to send: durable work (core.durable), written with the change that needs it
    and sent by the job `send_email`: pending -> sending -> sent, or failed with the reason."""

    class Kind(models.TextChoices):
        WELCOME = "welcome", "Welcome"
        PASSWORD_RESET = "password_reset", "Password reset"
        INVITATION = "invitation", "Invitation"
        GOODBYE = "goodbye", "Goodbye"
        EXPORT_READY = "export_ready", "Data export ready"

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
    # The invitation an email of kind invitation carries (its link), None for the others.
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
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
