import secrets

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils import timezone

from core.durable import DurableWork


def private_storage() -> Storage:
    """Where originals live: never served (settings.STORAGES["private"]).

    Django resolves this once at start-up; the media services use storages["private"] on each
    call instead, so that overriding STORAGES (tests, deployments) is always honoured.
    """
    return storages["private"]


def media_storage_key() -> str:
    return secrets.token_urlsafe(12)


class Media(DurableWork):
    """An uploaded image: durable work until the worker has made its served variants.

    The original is private. The app that uses an item (a post, a profile) marks it attached;
    others may see it only once it is ready and attached. Items never attached are deleted by
    the sweep after MEDIA_UNATTACHED_TTL_SECONDS, failed ones MEDIA_FAILED_TTL_SECONDS after
    they failed (`finished_at`).
    """

    class Kind(models.TextChoices):
        PHOTO = "photo", "Photo"
        AVATAR = "avatar", "Avatar"  # rendered as square crops

    class Status(models.TextChoices):
        # A direct upload (media.direct_uploads): the row exists, the client is still sending
        # the file to storage; it becomes pending when the client says it is there.
        AWAITING_UPLOAD = "awaiting_upload", "Waiting for the upload"
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        DONE = "ready", "Ready"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="media", db_index=False
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PHOTO)
    original = models.FileField(
        storage=private_storage, upload_to="originals/%Y/%m/", max_length=255
    )
    original_format = models.CharField(max_length=16, blank=True)
    original_size = models.PositiveIntegerField(default=0)
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
    attached_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta(DurableWork.Meta):
        verbose_name_plural = "media"
        indexes = [
            *DurableWork.Meta.indexes,
            models.Index(fields=["owner", "kind", "-id"], name="media_owner_idx"),
            models.Index(fields=["attached_at", "created_at"], name="media_unattached_idx"),
        ]

    def __str__(self) -> str:
        return f"Media {self.pk} ({self.status})"

    def variant_url(self, name: str) -> str:
        """Public URL of a variant ("display", "thumbnail", "avatar_400", ...), or ""."""
        variant = self.variants.get(name) if self.status == self.Status.DONE else None
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
            if name in self.variants and self.status == self.Status.DONE
        )

    @property
    def avatar_large_url(self) -> str:
        return self.variant_url(f"avatar_{max(settings.MEDIA_AVATAR_SIZES)}")

    @property
    def avatar_small_url(self) -> str:
        return self.variant_url(f"avatar_{min(settings.MEDIA_AVATAR_SIZES)}")


class FileDeletion(DurableWork):
    """Files of deleted media, removed from storage by a job, so that none stays behind when
    storage or a worker fails at that moment."""

    # {storage alias ("default", "private"): [file names]}
    names = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        count = sum(len(names) for names in self.names.values())
        return f"Deletion of {count} file(s) ({self.status})"
