from django.conf import settings
from django.db import models
from django.utils import timezone


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
