"""Models every app shares: the records of Idempotency-Key requests (core.idempotency)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotentRequest(models.Model):
    """One person's request under one Idempotency-Key: what it was (a fingerprint) and, once
    answered, the answer, replayed to a retry with the same key for a day."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of the method, the path and the body (files by name, size and SHA-256).
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            # A concurrent duplicate meets this constraint: one request runs, the other waits.
            models.UniqueConstraint(fields=["user", "key"], name="core_idempotent_user_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"
