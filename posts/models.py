import secrets

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils import timezone


def private_storage() -> Storage:
    """Where originals live: never served (settings.STORAGES["private"]).

    Django resolves this once at start-up; the media services use storages["private"] on each
    call instead, so that overriding STORAGES (tests, deployments) is always honoured.
    """
    return storages["private"]


class Post(models.Model):
    """Text by its author, with up to MEDIA_MAX_PER_POST photos (`Media` rows, ordered)."""

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


def media_storage_key() -> str:
    return secrets.token_urlsafe(12)


class Media(models.Model):
    """An uploaded image. The original is private; the worker makes the served variants."""

    class Kind(models.TextChoices):
        POST_IMAGE = "post_image", "Post image"
        AVATAR = "avatar", "Avatar"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="media"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.POST_IMAGE)
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="media"
    )
    position = models.PositiveSmallIntegerField(default=0)
    original = models.FileField(
        storage=private_storage,
        upload_to="originals/%Y/%m/",
        max_length=255,
    )
    original_format = models.CharField(max_length=16, blank=True)
    original_size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    alt_text = models.TextField(max_length=1_500, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    blurhash = models.CharField(max_length=100, blank=True)
    # {"display": {"name": ..., "width": ..., "height": ...}, "thumbnail": {...}, ...}
    variants = models.JSONField(default=dict, blank=True)
    animated = models.BooleanField(default=False)
    # Part of every variant's path, so that the files of unattached or deleted items cannot
    # be found by counting ids.
    storage_key = models.CharField(max_length=32, default=media_storage_key, editable=False)
    # The RQ job that claimed the row last: a late failure callback of an older job must not
    # fail an item that a newer job is processing.
    job_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(default=timezone.now)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "media"
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["post", "position"], name="media_post_idx"),
            models.Index(fields=["status", "created_at"], name="media_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Media {self.pk} ({self.status})"

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    def variant_url(self, name: str) -> str:
        """Public URL of a variant ("display", "thumbnail", "avatar_400", ...), or ""."""
        variant = self.variants.get(name) if self.status == self.Status.READY else None
        return storages["default"].url(variant["name"]) if variant else ""

    @property
    def aspect_ratio(self) -> str:
        return f"{self.width or 4} / {self.height or 3}"

    @property
    def display_url(self) -> str:
        return self.variant_url("display")

    @property
    def thumbnail_url(self) -> str:
        return self.variant_url("thumbnail")

    @property
    def srcset(self) -> str:
        """`srcset` of a ready photo (animations: the animated display variant only)."""
        names = ["display"] if self.animated else ["thumbnail", "display"]
        return ", ".join(
            f"{self.variant_url(name)} {self.variants[name]['width']}w"
            for name in names
            if name in self.variants and self.status == self.Status.READY
        )

    @property
    def avatar_large_url(self) -> str:
        return self.variant_url(f"avatar_{max(settings.MEDIA_AVATAR_SIZES)}")

    @property
    def avatar_small_url(self) -> str:
        return self.variant_url(f"avatar_{min(settings.MEDIA_AVATAR_SIZES)}")
