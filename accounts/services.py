"""Every write about people: sign-up, profile, password reset, email deliveries, follows."""

import logging
import smtplib
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import django_rq
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from redis.exceptions import RedisError
from rest_framework.authtoken.models import Token
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from accounts.models import EmailDelivery, Follow, SuggestionDismissal, User
from friends_site.errors import ApplicationError
from friends_site.heartbeat import RowHeartbeat

logger = logging.getLogger(__name__)

# --- Sign-up, profile, password reset ---------------------------------------------------------


def user_signup(*, username: str, email: str, password: str, display_name: str = "") -> User:
    """Create a user; writes the User and a welcome EmailDelivery, enqueues it after commit."""
    user = User(
        username=username.strip(),
        email=User.objects.normalize_email(email.strip()),
        display_name=display_name.strip(),
    )
    _user_validate(user)
    if User.objects.filter(username__iexact=user.username).exists():
        raise ApplicationError(
            "A user with that username already exists.", field="username", code="duplicate"
        )
    if User.objects.filter(email__iexact=user.email).exists():
        raise ApplicationError(
            "A user with that email address already exists.", field="email", code="duplicate"
        )
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages), field="password") from error
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            _email_delivery_create(user=user, kind=EmailDelivery.Kind.WELCOME)
    except IntegrityError as error:
        # Two sign-ups with the same name at the same moment: the database constraint decides.
        raise ApplicationError(
            "A user with that username or email address already exists.",
            field="username",
            code="duplicate",
        ) from error
    return user


def user_profile_update(
    *, user: User, display_name: str | None = None, bio: str | None = None
) -> User:
    """Change the profile fields given; writes the User."""
    fields = []
    if display_name is not None:
        user.display_name = display_name.strip()
        fields.append("display_name")
    if bio is not None:
        user.bio = bio.strip()
        fields.append("bio")
    if fields:
        _user_validate(user)
        user.save(update_fields=fields)
    return user


def user_token_get(*, user: User) -> str:
    """The user's API token, created on first use; may write a Token."""
    token, _created = Token.objects.get_or_create(user=user)
    return token.key


def password_reset_request(*, email: str) -> None:
    """Queue a reset email when an active account uses `email`; writes an EmailDelivery.

    It answers the same (nothing) whether or not the address exists, so callers cannot tell.
    """
    users = User.objects.filter(email__iexact=email.strip(), is_active=True)
    with transaction.atomic():
        for user in users:
            if user.has_usable_password():
                _email_delivery_create(user=user, kind=EmailDelivery.Kind.PASSWORD_RESET)


def _user_validate(user: User) -> None:
    """Field rules of the model (lengths, characters, email format) as an ApplicationError."""
    try:
        user.full_clean(
            exclude=["password", "last_login", "date_joined", "avatar"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise ApplicationError(messages[0], field=field) from error


# --- Email deliveries -------------------------------------------------------------------------
#
# What "exactly once" means here: a delivery is claimed (status "sending", `claimed_at`) in a
# committed transaction before the SMTP conversation and marked "sent" right after the server
# accepted the message; a heartbeat keeps the claim fresh meanwhile. A worker killed before the
# server's final "250 OK" leaves a claim whose heartbeat stops, so it goes stale after
# EMAIL_CLAIM_TIMEOUT; the sweeper then hands it out again, and the mail server
# never delivered the half-sent message. The one window left is between the server's "250 OK"
# and our commit (a few milliseconds); a crash exactly there sends the email a second time, with
# the same Message-ID so mail clients can fold the two. No sent delivery is ever sent again.

EMAIL_QUEUE = "email"
SEND_EMAIL_JOB = "accounts.jobs.send_email"
_JOB_ALIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}
_SUBJECTS = {
    EmailDelivery.Kind.WELCOME: "Welcome to Friends",
    EmailDelivery.Kind.PASSWORD_RESET: "Reset your Friends password",
}


class PermanentEmailError(Exception):
    """This email can never be sent (the recipient is refused, the account is gone)."""


def email_delivery_send(*, delivery_id: int) -> str:
    """Send one delivery unless it is sent or claimed; sends mail, writes its status.

    Returns "sent", "skipped", "retrying" or "failed". Transient SMTP and network errors are
    retried with backoff (EMAIL_RETRY_INTERVALS) up to EMAIL_MAX_ATTEMPTS attempts.
    """
    delivery = _email_delivery_claim(delivery_id=delivery_id)
    if delivery is None:
        return "skipped"
    sending = EmailDelivery.objects.filter(pk=delivery.pk, status=EmailDelivery.Status.SENDING)
    # While the mail server talks, the claim's time moves forward: a slow server never makes
    # the claim look abandoned, a killed worker's claim goes stale in EMAIL_CLAIM_TIMEOUT.
    heartbeat = RowHeartbeat(
        sending, field="claimed_at", stamp=delivery.claimed_at, interval=settings.CLAIM_HEARTBEAT
    )
    try:
        with heartbeat:
            _email_message_build(delivery=delivery).send()
    except Exception as error:
        permanent = _email_error_is_permanent(error)
        if not permanent and not isinstance(error, smtplib.SMTPException | OSError):
            raise  # a bug, not the network: RQ records it; the claim expires and is swept
        return _email_delivery_attempt_failed(
            delivery=delivery,
            claim=sending.filter(claimed_at=heartbeat.stamp),
            error=error,
            permanent=permanent,
        )
    claim = sending.filter(claimed_at=heartbeat.stamp)
    if not claim.update(status=EmailDelivery.Status.SENT, sent_at=timezone.now(), last_error=""):
        logger.warning("Delivery %s was sent after its claim expired", delivery.pk)
    return "sent"


def email_deliveries_requeue_stale() -> int:
    """Enqueue deliveries left pending and free claims of dead workers; returns jobs enqueued.

    Pending rows wait EMAIL_SWEEP_GRACE seconds past their due time first, so the job enqueued
    after commit is not doubled; the job id (delivery and attempt number) is checked in Redis too.
    """
    now = timezone.now()
    stale_claims = Q(
        status=EmailDelivery.Status.SENDING,
        claimed_at__lt=now - timedelta(seconds=settings.EMAIL_CLAIM_TIMEOUT),
    )
    pending = Q(
        status=EmailDelivery.Status.PENDING,
        next_attempt_at__lte=now - timedelta(seconds=settings.EMAIL_SWEEP_GRACE),
    )
    enqueued = 0
    for delivery in EmailDelivery.objects.filter(stale_claims | pending).order_by("pk")[:1000]:
        if delivery.status == EmailDelivery.Status.SENDING:
            freed = EmailDelivery.objects.filter(
                pk=delivery.pk, status=delivery.status, claimed_at=delivery.claimed_at
            ).update(
                status=EmailDelivery.Status.PENDING,
                claimed_at=None,
                next_attempt_at=now,
                last_error="The worker sending it stopped before it finished.",
            )
            if not freed:
                continue
        job_id = _email_job_id(delivery_id=delivery.pk, attempt=delivery.attempts)
        try:
            if _job_alive(job_id):
                continue
        except RedisError:
            logger.warning("Redis is down: the sweep stops here")
            break
        if not _email_delivery_enqueue(delivery_id=delivery.pk, attempt=delivery.attempts):
            break
        enqueued += 1
    return enqueued


def email_delivery_resend(*, delivery: EmailDelivery) -> EmailDelivery:
    """Send the same email once more as a new delivery; writes it, enqueues after commit."""
    with transaction.atomic():
        return _email_delivery_create(
            user=delivery.user, kind=delivery.kind, recipient=delivery.recipient
        )


def _email_delivery_create(
    *, user: User | None, kind: str, recipient: str | None = None
) -> EmailDelivery:
    """Write a pending delivery and send it after commit: queued, or inline for benchmarks."""
    delivery = EmailDelivery.objects.create(user=user, kind=kind, recipient=recipient or user.email)
    delivery_id = delivery.pk
    if settings.EMAIL_SEND_INLINE:
        transaction.on_commit(lambda: email_delivery_send(delivery_id=delivery_id), robust=True)
    else:
        transaction.on_commit(
            lambda: _email_delivery_enqueue(delivery_id=delivery_id, attempt=0), robust=True
        )
    return delivery


def _email_job_id(*, delivery_id: int, attempt: int) -> str:
    # One id per delivery and attempt: a retry or a re-sweep never collides with a dead job.
    return f"send-email-{delivery_id}-{attempt}"


def _job_alive(job_id: str) -> bool:
    connection = django_rq.get_connection(EMAIL_QUEUE)
    try:
        return Job.fetch(job_id, connection=connection).get_status() in _JOB_ALIVE
    except NoSuchJobError:
        return False


def _email_delivery_enqueue(*, delivery_id: int, attempt: int, at: datetime | None = None) -> bool:
    """Put `send_email(delivery_id)` on the email queue; False (logged) when Redis is down."""
    job_id = _email_job_id(delivery_id=delivery_id, attempt=attempt)
    try:
        queue = django_rq.get_queue(EMAIL_QUEUE, commit_mode="auto")
        if at is not None and at > timezone.now():
            queue.enqueue_at(at, SEND_EMAIL_JOB, delivery_id, job_id=job_id)
        else:
            queue.enqueue(SEND_EMAIL_JOB, delivery_id, job_id=job_id)
    except (RedisError, OSError):
        logger.warning("Could not enqueue delivery %s; the sweeper will", delivery_id)
        return False
    return True


def _email_delivery_claim(*, delivery_id: int) -> EmailDelivery | None:
    """Mark the delivery "sending" by this worker (committed), or None when it must not be sent."""
    now = timezone.now()
    with transaction.atomic():
        delivery = EmailDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.status in (
            EmailDelivery.Status.SENT,
            EmailDelivery.Status.FAILED,
        ):
            return None
        stale_before = now - timedelta(seconds=settings.EMAIL_CLAIM_TIMEOUT)
        if delivery.status == EmailDelivery.Status.SENDING and delivery.claimed_at > stale_before:
            return None  # another worker is sending it right now
        if delivery.attempts >= settings.EMAIL_MAX_ATTEMPTS:
            delivery.status = EmailDelivery.Status.FAILED
            delivery.save(update_fields=["status", "updated_at"])
            return None
        delivery.status = EmailDelivery.Status.SENDING
        delivery.claimed_at = now
        delivery.attempts += 1
        delivery.save(update_fields=["status", "claimed_at", "attempts", "updated_at"])
    return delivery


def _email_delivery_attempt_failed(
    *, delivery: EmailDelivery, claim, error, permanent: bool
) -> str:
    """Record the error; schedule the next attempt, or give up."""
    last_error = f"{type(error).__name__}: {error}"[:2000]
    if permanent or delivery.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        claim.update(status=EmailDelivery.Status.FAILED, last_error=last_error)
        logger.error("Delivery %s failed for good: %s", delivery.pk, last_error)
        return "failed"
    intervals = settings.EMAIL_RETRY_INTERVALS or [0]
    delay = intervals[min(delivery.attempts, len(intervals)) - 1]
    next_attempt_at = timezone.now() + timedelta(seconds=delay)
    if claim.update(
        status=EmailDelivery.Status.PENDING,
        claimed_at=None,
        next_attempt_at=next_attempt_at,
        last_error=last_error,
    ):
        _email_delivery_enqueue(
            delivery_id=delivery.pk, attempt=delivery.attempts, at=next_attempt_at
        )
    logger.warning("Delivery %s: attempt %s failed (%s)", delivery.pk, delivery.attempts, error)
    return "retrying"


def _email_error_is_permanent(error: Exception) -> bool:
    if isinstance(error, PermanentEmailError | smtplib.SMTPRecipientsRefused):
        return True
    return (
        isinstance(error, smtplib.SMTPResponseException)
        and not isinstance(error, smtplib.SMTPAuthenticationError)
        and 500 <= error.smtp_code < 600
    )


def _email_message_build(*, delivery: EmailDelivery) -> EmailMultiAlternatives:
    """The message with text and HTML parts; a reset link gets a fresh token (none is stored)."""
    user = delivery.user
    context = {"user": user, "site_url": settings.SITE_URL, "recipient": delivery.recipient}
    if delivery.kind == EmailDelivery.Kind.PASSWORD_RESET:
        if user is None or not user.is_active:
            raise PermanentEmailError("The account no longer exists.")
        path = reverse(
            "accounts:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        context["reset_url"] = settings.SITE_URL + path
        context["valid_days"] = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    template = f"emails/{delivery.kind}"
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    created = int(delivery.created_at.timestamp())
    message = EmailMultiAlternatives(
        subject=_SUBJECTS[delivery.kind],
        body=render_to_string(f"{template}.txt", context),
        to=[delivery.recipient],
        # The same for every attempt: mail clients fold a rare duplicate (see above).
        headers={"Message-ID": f"<email-delivery-{delivery.pk}.{created}@{domain}>"},
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


# --- Follows and suggestions ------------------------------------------------------------------


def follow_create(*, follower: User, followee: User) -> Follow:
    """`follower` follows `followee` (idempotent); writes one Follow row."""
    if follower.pk == followee.pk:
        raise ApplicationError("You cannot follow yourself.", field="username", code="follow_self")
    if not followee.is_active:
        raise ApplicationError("This account is not active.", field="username")
    follow, _created = Follow.objects.get_or_create(follower=follower, followee=followee)
    return follow


def follow_delete(*, follower: User, followee: User) -> bool:
    """`follower` stops following `followee` (idempotent); True when a row was deleted."""
    deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
    return bool(deleted)


def suggestion_dismiss(*, user: User, dismissed: User) -> SuggestionDismissal:
    """`user` never gets `dismissed` suggested again (idempotent); writes one row."""
    if user.pk == dismissed.pk:
        raise ApplicationError("You are never suggested to yourself.", field="username")
    dismissal, _created = SuggestionDismissal.objects.get_or_create(user=user, dismissed=dismissed)
    return dismissal
