import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.durable import DurableWork
from media.models import private_storage


class Post(models.Model):
    """Text by its author, with up to MEDIA_MAX_PER_POST photos (media.Media, in order)."""

    # post_author_newest_idx (author, -created_at, -id) serves every lookup by author.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts", db_index=False
    )
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=10_000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Counters kept by the like/comment services in the same transaction as the change.
    like_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    photos = models.ManyToManyField("media.Media", through="PostPhoto", related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["author", "-created_at", "-id"], name="post_author_newest_idx"),
            models.Index(fields=["-created_at", "-id"], name="post_newest_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class Comment(models.Model):
    # comment_post_idx (post, created_at, id) serves lookups by post.
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="comments", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    body = models.TextField(max_length=2_000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["post", "created_at", "id"], name="comment_post_idx")]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.post_id}"


class Like(models.Model):
    # The unique (user, post) constraint serves lookups by user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes", db_index=False
    )
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="like_once")]
        indexes = [models.Index(fields=["user", "-created_at"], name="like_user_newest_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.post_id}"


class Bookmark(models.Model):
    # The unique (user, post) constraint serves lookups by user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks", db_index=False
    )
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="bookmark_once")]
        indexes = [models.Index(fields=["user", "-created_at"], name="bookmark_user_newest_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} bookmarked {self.post_id}"


class PostPhoto(models.Model):
    """A photo of a post, in order. A photo (media.Media) belongs to one post at most."""

    # post_photo_order_idx (post, position) serves lookups by post.
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="photo_links", db_index=False
    )
    media = models.OneToOneField("media.Media", on_delete=models.CASCADE, related_name="post_photo")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["post", "position"], name="post_photo_order_idx")]

    def __str__(self) -> str:
        return f"Photo {self.media_id} of {self.post_id}"


# --- Notifications ----------------------------------------------------------------------------


class NotificationKind(models.TextChoices):
    FOLLOW = "follow", "New follower"
    LIKE = "like", "Like on your post"
    COMMENT = "comment", "Comment on your post"
    REPLY = "reply", "Reply in a thread you commented on"
    MENTION = "mention", "Mention of you"
    PHOTO_FAILED = "photo_failed", "Photo that could not be processed"


class NotificationEvent(DurableWork):
    """Something happened that may notify people (a like, a comment, a follow, a mention, a
    photo that failed): written by the service in the transaction of the change, turned into
    Notification rows by the job `deliver_notifications` after commit (core.durable)."""

    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # What it is about, by kind: follow: `user` (the followee); like: `post`; comment, reply:
    # `comment`; mention: `post` or `comment`; photo_failed: `media` (its owner).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    media = models.ForeignKey(
        "media.Media", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"{self.kind} by {self.actor_id} ({self.status})"


class Notification(models.Model):
    """One line of `recipient`'s notifications: `kind` about one thing (`group_key`), with the
    people who did it (NotificationActor): "alice and 3 others liked your post". A new actor
    moves it to the top and makes it unread again; the same actor again changes nothing."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    group_key = models.CharField(max_length=64)
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    media = models.ForeignKey(
        "media.Media", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    latest_actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "group_key"], name="notification_group_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-updated_at", "-id"], name="notification_newest_idx"
            ),
            models.Index(fields=["read_at"], name="notification_read_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"


class NotificationActor(models.Model):
    """A person in a notification's group, once: like, unlike and like again is one."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="actors", db_index=False
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "actor"], name="notification_actor_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} in {self.notification_id}"


class NotificationOptOut(models.Model):
    """`user` switched off notifications of `kind` (the switches in /settings/)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_optout_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: no {self.kind}"


# --- Data exports ("Download your data") ------------------------------------------------------


def export_storage_key() -> str:
    return secrets.token_urlsafe(16)


class DataExport(DurableWork):
    """A zip of everything of `user` (profile, posts, comments, likes, bookmarks, follows,
    notifications as JSON, original photos and an index.html to read offline): durable work
    done by the job `export_data`, kept in private storage until `expires_at`, then deleted by
    the sweep (`expired_at`). One unfinished export per person (data_export_one_unfinished)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    items_done = models.PositiveIntegerField(default=0)
    items_total = models.PositiveIntegerField(default=0)
    file = models.FileField(storage=private_storage, max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    # Part of the file's name, so that an export's file cannot be found by counting ids.
    storage_key = models.CharField(max_length=32, default=export_storage_key, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta(DurableWork.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status__in=["pending", "processing"]),
                name="data_export_one_unfinished",
            )
        ]
        indexes = [
            *DurableWork.Meta.indexes,
            models.Index(fields=["user", "-created_at", "-id"], name="data_export_user_idx"),
            models.Index(fields=["expires_at"], name="data_export_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"Export {self.pk} of {self.user_id} ({self.status})"

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.PROCESSING)

    @property
    def is_ready(self) -> bool:
        return (
            self.status == self.Status.DONE
            and self.expired_at is None
            and bool(self.file)
            and (self.expires_at is None or self.expires_at > timezone.now())
        )

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.DONE and not self.is_ready

    @property
    def state(self) -> str:
        """pending, processing, done, failed or expired: what the page and the API say."""
        return "expired" if self.is_expired else self.status

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, self.items_done * 100 // self.items_total) if self.items_total else 0
