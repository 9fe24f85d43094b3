from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models


def private_storage() -> Storage:
    """Where originals live: never served (settings.STORAGES["private"])."""
    return storages["private"]


class Post(models.Model):
    """Text by its author, with up to MEDIA_MAX_PER_POST photos (`Media` rows, ordered)."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=10_000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
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
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    body = models.TextField(max_length=2_000)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["post", "created_at", "id"], name="comment_post_idx")]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.post_id}"


class Like(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes"
    )
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="like_once")]
        indexes = [models.Index(fields=["user", "-created_at"], name="like_user_newest_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.post_id}"


class Bookmark(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks"
    )
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="bookmarks")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="bookmark_once")]
        indexes = [models.Index(fields=["user", "-created_at"], name="bookmark_user_newest_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} bookmarked {self.post_id}"


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
    created_at = models.DateTimeField(auto_now_add=True)
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
