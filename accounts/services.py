"""Every write about people: sign-up, profile, avatar, API tokens, password reset, email
deliveries, follows, deleting an account, invitations by email, leaving."""

import re
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext, gettext_lazy

from accounts import hooks, limits, policies
from accounts.models import (
    USERNAME_PATTERN,
    USERNAME_RULE,
    AccountDeletion,
    ApiToken,
    Block,
    EmailDelivery,
    Follow,
    Invitation,
    InvitationOptOut,
    Mute,
    SuggestionDismissal,
    User,
)
from accounts.selectors import (
    INVITATION_WINDOW,
    blocked_either_way_ids,
    invitations_recent,
    suggestions_forget,
)
from core import durable
from core.errors import ApplicationError
from core.ratelimit import RateLimited, readable_wait
from core.text import unstorable_reason
from media.models import Media
from media.services import media_attach, media_create, media_discard, media_discard_owned_by

# --- Sign-up, profile, password reset ---------------------------------------------------------


def user_signup(
    *,
    username: str,
    email: str,
    password: str,
    display_name: str = "",
    invite: str = "",
    language: str = "",
) -> User:
    """Create a user; writes the User and a welcome EmailDelivery, enqueues it after commit.
    `language`, the one the person signed up in, becomes their setting unless it is the
    default (blank: they follow their browser), so the welcome email speaks it.
    With the token of an open invitation (`invite`, from its link), accepts it in the same
    transaction: the inviter and the new person follow each other (whatever address they
    signed up with). An unknown or used token changes nothing."""
    user = User(
        username=username.strip(),
        email=User.objects.normalize_email(email.strip()),
        display_name=display_name.strip(),
        language=language if language in dict(settings.LANGUAGES) else "",
    )
    if user.language == settings.LANGUAGE_CODE:
        user.language = ""
    if not re.fullmatch(USERNAME_PATTERN, user.username):
        raise ApplicationError(USERNAME_RULE, field="username")
    _user_validate(user)
    if _address_undeliverable(user.email):
        raise ApplicationError(gettext("This address cannot receive email."), field="email")
    if User.objects.filter(username__iexact=user.username).exists():
        raise ApplicationError(
            gettext("A user with that username already exists."),
            field="username",
            code="duplicate",
            status=409,
        )
    if User.objects.filter(email__iexact=user.email).exists():
        raise ApplicationError(
            gettext("A user with that email address already exists."),
            field="email",
            code="duplicate",
            status=409,
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
            if invite:
                _invitation_accept(token=invite, user=user)
    except IntegrityError as error:
        # Two sign-ups with the same name at the same moment: the database constraint decides.
        raise ApplicationError(
            gettext("A user with that username or email address already exists."),
            field="username",
            code="duplicate",
            status=409,
        ) from error
    return user


def _address_undeliverable(address: str) -> bool:
    """A reserved domain (RFC 2606) that no mail reaches; seed_demo's people use it."""
    return address.rsplit("@", 1)[-1].lower().rstrip(".").endswith(".invalid")


def user_profile_update(
    *,
    user: User,
    display_name: str | None = None,
    bio: str | None = None,
    likes_public: bool | None = None,
    language: str | None = None,
    avatar=None,
) -> User:
    """Change the profile fields given, and take a new avatar `avatar` (an uploaded file), in
    one transaction; writes the User (and a pending Media). Returns the person as stored now,
    with the avatar read in the same statement (a media job may have replaced it meanwhile)."""
    fields = []
    if display_name is not None:
        user.display_name = display_name.strip()
        fields.append("display_name")
    if bio is not None:
        user.bio = bio.strip()
        fields.append("bio")
    if likes_public is not None:
        user.likes_public = likes_public
        fields.append("likes_public")
    if language is not None:
        user.language = language
        fields.append("language")
    if fields:
        _user_validate(user)
    with transaction.atomic():
        if avatar is not None:
            avatar_upload(user=user, file=avatar)
        if fields:
            user.save(update_fields=fields)
    return User.objects.select_related("avatar").get(pk=user.pk)


def password_reset_request(*, email: str) -> None:
    """Queue a reset email when an active account uses `email`; writes an EmailDelivery.

    It answers the same (nothing) whether or not the address exists, so callers cannot tell.
    """
    users = User.objects.filter(email__iexact=email.strip(), is_active=True)
    with transaction.atomic():
        for user in users:
            # At most a few an hour: someone else asking again and again fills no inbox.
            if user.has_usable_password() and limits.reset_email_allowed(user.pk):
                _email_delivery_create(user=user, kind=EmailDelivery.Kind.PASSWORD_RESET)


def user_delete(*, user: User, actor: User) -> None:
    """Delete an account (the person, or staff) with everything in it, in one transaction: the
    apps above clean up first (posts: counters of others' posts), then the person's media
    (files deleted by a job after commit), the emails to them (their address goes too), then
    the rows. Staff's admin deletion and leaving (delete_account) both come here."""
    policies.delete_user.enforce(actor, user)
    with transaction.atomic():
        hooks.user_deleting(user)
        media_discard_owned_by(owner=user)
        # Their user is SET_NULL: kept, these rows would keep the address of someone gone.
        EmailDelivery.objects.filter(user=user).delete()
        user.delete()


# --- API tokens -------------------------------------------------------------------------------
#
# One token per device or client (accounts.ApiToken): only a digest of its key is stored, the key
# is shown once. A token ends at its expiry, when its owner revokes it, and with all the others
# of its person when the password changes (accounts.passwords) or staff deactivate the account
# (accounts.admin). Expired rows are refused by the authentication and deleted at the person's
# next log-in, so checking a token never writes more than its last use.

TOKEN_USE_RECORDED_EVERY = timedelta(minutes=1)
_TOKEN_NAME_FALLBACK = "API client"


def token_create(*, user: User, name: str = "", user_agent: str = "") -> tuple[ApiToken, str]:
    """A new API token for `user`, named `name` (else after the client's `user_agent`), working
    for API_TOKEN_TTL_DAYS; writes the ApiToken (the key's digest) and deletes the person's
    expired ones. Returns the row and the key, which is stored nowhere: show it once."""
    name = name.strip() or _token_name_from(user_agent)
    limit = ApiToken._meta.get_field("name").max_length
    if len(name) > limit:
        raise ApplicationError(
            gettext("Name it in %(limit)s characters or fewer.") % {"limit": limit}, field="name"
        )
    expires_in = timedelta(days=settings.API_TOKEN_TTL_DAYS)
    with transaction.atomic():
        ApiToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
        return ApiToken.objects.create(user=user, expiry=expires_in, name=name)


def token_used(*, token: ApiToken) -> None:
    """Record that `token` was just used: writes its last_used_at, unless the recorded use is
    less than a minute old (so a busy client does not write on every request)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < TOKEN_USE_RECORDED_EVERY:
        return
    # Conditional: of two requests at the turn of the minute, one writes.
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - TOKEN_USE_RECORDED_EVERY)
    ).update(last_used_at=now)
    token.last_used_at = now


def token_revoke(*, token: ApiToken, actor: User) -> None:
    """End one API token (policies.revoke_token: its owner); deletes the row."""
    policies.revoke_token.enforce(actor, token)
    token.delete()


def tokens_revoke_all(*, user: User) -> int:
    """End every API token of `user` (a password change, a deactivation); deletes the rows and
    returns how many there were."""
    deleted, _ = ApiToken.objects.filter(user_id=user.pk).delete()
    return deleted


def _token_name_from(user_agent: str) -> str:
    """A token's name from the client's User-Agent: one line, cut to the name's length."""
    agent = " ".join(user_agent.split())
    if not agent or unstorable_reason(agent):
        return _TOKEN_NAME_FALLBACK
    limit = ApiToken._meta.get_field("name").max_length
    return agent if len(agent) <= limit else agent[: limit - 1].rstrip() + "…"


# --- Avatars ----------------------------------------------------------------------------------


def avatar_upload(*, user: User, file) -> Media:
    """Accept a new avatar (checked like any photo); it replaces the current one once the
    worker has made its square crops (avatar_set_from). Writes a pending Media."""
    return media_create(owner=user, file=file, kind=Media.Kind.AVATAR)


def avatar_set_from(media: Media) -> None:
    """A processed avatar becomes its owner's avatar, unless a newer upload is on its way; the
    one it replaces is deleted. Registered with media.hooks: runs in the transaction that marks
    the upload ready."""
    newer = Media.objects.filter(
        owner_id=media.owner_id, kind=Media.Kind.AVATAR, pk__gt=media.pk
    ).exclude(status=Media.Status.FAILED)
    with transaction.atomic():
        if newer.exists():
            media_discard(media=[media])
            return
        # The person's row only: PostgreSQL cannot lock the nullable side of an outer join.
        owner = (
            User.objects.select_for_update(of=("self",))
            .select_related("avatar")
            .get(pk=media.owner_id)
        )
        previous = owner.avatar
        User.objects.filter(pk=owner.pk).update(avatar=media)
        media_attach(media=[media])
        if previous is not None and previous.pk != media.pk:
            media_discard(media=[previous])


def avatar_remove(*, user: User) -> bool:
    """The person goes back to their initial; the avatar's files are deleted by a job. True
    when there was one."""
    with transaction.atomic():
        owner = (
            User.objects.select_for_update(of=("self",)).select_related("avatar").get(pk=user.pk)
        )
        if owner.avatar is None:
            return False
        User.objects.filter(pk=owner.pk).update(avatar=None)
        media_discard(media=[owner.avatar])
    user.avatar = None
    return True


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
# An EmailDelivery is durable work (core.durable). What "exactly once" means here: the claim
# ("sending") is committed before the SMTP conversation and the delivery is marked "sent" right
# after the server accepted the message; a heartbeat keeps the claim fresh meanwhile. A worker
# killed before the server's final "250 OK" leaves a claim whose heartbeat stops; the sweep then
# hands it out again, and the server never delivered the half-sent message. The one window left
# is between the server's "250 OK" and our commit (a few milliseconds): a crash exactly there
# sends the email a second time, with the same Message-ID so mail clients fold the two. No sent
# delivery is ever sent again. A 4xx reply at any stage (greylisting, a full mailbox) is retried
# with back-off; a 5xx reply fails the delivery with the server's reason.

_SUBJECTS = {
    EmailDelivery.Kind.WELCOME: gettext_lazy("Welcome to Friends"),
    EmailDelivery.Kind.PASSWORD_RESET: gettext_lazy("Reset your Friends password"),
    EmailDelivery.Kind.INVITATION: gettext_lazy("{inviter} invited you to Friends"),
    EmailDelivery.Kind.GOODBYE: gettext_lazy("Your Friends account is deleted"),
    EmailDelivery.Kind.EXPORT_READY: gettext_lazy("Your Friends data is ready to download"),
}


def email_delivery_send(*, delivery_id: int) -> str:
    """Send one delivery unless it is sent or claimed; sends mail, writes its status.

    Returns "done", "skipped", "retrying", "failed" or "lost" (core.durable.Attempt).
    """
    return durable.run(EmailDelivery, delivery_id, _email_send).outcome


def email_delivery_resend(*, delivery: EmailDelivery) -> EmailDelivery:
    """Send the same email once more as a new delivery; writes it, queued after commit."""
    with transaction.atomic():
        return _email_delivery_create(
            user=delivery.user,
            kind=delivery.kind,
            recipient=delivery.recipient,
            invitation=delivery.invitation,
        )


def email_delivery_queue(*, user: User, kind: str) -> EmailDelivery:
    """Queue an email of `kind` to `user` for the apps above accounts (a data export ready),
    in the caller's transaction: writes a pending EmailDelivery, sent after commit."""
    return _email_delivery_create(user=user, kind=kind)


def _email_delivery_create(
    *,
    user: User | None,
    kind: str,
    recipient: str | None = None,
    invitation: Invitation | None = None,
) -> EmailDelivery:
    """Write a pending delivery (caller's transaction) and send it after commit: queued, or
    inline for the benchmark that compares the two (EMAIL_SEND_INLINE)."""
    delivery = EmailDelivery.objects.create(
        user=user, kind=kind, recipient=recipient or user.email, invitation=invitation
    )
    if settings.EMAIL_SEND_INLINE:
        delivery_id = delivery.pk
        transaction.on_commit(lambda: email_delivery_send(delivery_id=delivery_id), robust=True)
    else:
        durable.enqueue_on_commit(delivery)
    return delivery


def _email_send(delivery: EmailDelivery) -> None:
    if delivery.kind == EmailDelivery.Kind.PASSWORD_RESET and (
        delivery.user is None or not delivery.user.is_active
    ):
        raise durable.PermanentFailure("The account no longer exists.")
    if delivery.kind == EmailDelivery.Kind.INVITATION:
        # Asked again at the last moment: the address may have opted out or signed up since.
        reason = _invitation_unsendable(delivery.invitation)
        if reason:
            raise durable.PermanentFailure(reason)
    _email_message_build(delivery=delivery).send()


def email_language(delivery: EmailDelivery) -> str:
    """The language an email goes out in: the recipient's setting (User.language); for an
    invitation, whose recipient has no account yet, the inviter's; English when blank."""
    if delivery.kind == EmailDelivery.Kind.INVITATION and delivery.invitation_id:
        person = delivery.invitation.inviter
    else:
        person = delivery.user
    return (person.language if person else "") or settings.LANGUAGE_CODE


def _email_message_build(*, delivery: EmailDelivery) -> EmailMultiAlternatives:
    """The message in the recipient's language (email_language)."""
    with translation.override(email_language(delivery)):
        return _email_message_build_in_language(delivery=delivery)


def _email_message_build_in_language(*, delivery: EmailDelivery) -> EmailMultiAlternatives:
    """The message with text and HTML parts; a reset link gets a fresh token (none is stored)."""
    user = delivery.user
    context = {
        "user": user,
        "site_url": settings.SITE_URL,
        "recipient": delivery.recipient,
        "LANGUAGE_CODE": translation.get_language(),
    }
    subject = str(_SUBJECTS[delivery.kind])
    headers = {}
    if delivery.kind == EmailDelivery.Kind.PASSWORD_RESET:
        path = reverse(
            "accounts:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        context["reset_url"] = settings.SITE_URL + path
        context["valid_days"] = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    elif delivery.kind == EmailDelivery.Kind.INVITATION:
        invitation = delivery.invitation
        inviter = invitation.inviter
        context["inviter"] = inviter
        context["signup_url"] = invitation_signup_url(invitation)
        context["unsubscribe_url"] = invitation_unsubscribe_url(invitation)
        # One line whatever the name holds (a header cannot take a line break).
        subject = subject.format(inviter=" ".join(inviter.name.split()))
        headers["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
    # Kinds about things of the apps above (a data export) get their context from them.
    context.update(hooks.email_context(delivery))
    template = f"emails/{delivery.kind}"
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    created = int(delivery.created_at.timestamp())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        to=[delivery.recipient],
        # The same for every attempt: mail clients fold a rare duplicate (see above).
        headers={"Message-ID": f"<email-delivery-{delivery.pk}.{created}@{domain}>", **headers},
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message


# --- Follows and suggestions ------------------------------------------------------------------


def follow_create(*, follower: User, followee: User) -> Follow:
    """`follower` follows `followee` (idempotent); writes one Follow row. Someone who left or
    who blocked the follower is not there for them (Http404: policies.interact_with); someone
    they blocked is a 409 (unblock first)."""
    if follower.pk == followee.pk:
        raise ApplicationError(
            gettext("You cannot follow yourself."), field="username", code="follow_self", status=409
        )
    with transaction.atomic():
        # One change between two people at a time: a block at this very moment would
        # otherwise miss the new follow it is meant to remove (block_set takes the same locks).
        _pair_lock(follower, followee)
        if Block.objects.filter(blocker=follower, blocked=followee).exists():
            raise ApplicationError(
                gettext("You blocked %(username)s: unblock them to follow them.")
                % {"username": followee.username},
                field="username",
                code="blocked",
                status=409,
            )
        policies.interact_with.enforce(follower, followee)
        follow, created = Follow.objects.get_or_create(follower=follower, followee=followee)
        if created:
            hooks.follow_created(follow)  # posts: the followee is notified, after commit
            suggestions_forget(follower.pk)  # whom they follow ranks their suggestions
    return follow


def follow_delete(*, follower: User, followee: User) -> bool:
    """`follower` stops following `followee` (idempotent); True when a row was deleted."""
    deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
    if deleted:
        suggestions_forget(follower.pk)
    return bool(deleted)


def suggestion_dismiss(*, user: User, dismissed: User) -> SuggestionDismissal:
    """`user` never gets `dismissed` suggested again (idempotent); writes one row."""
    if user.pk == dismissed.pk:
        raise ApplicationError(
            gettext("You are never suggested to yourself."),
            field="username",
            code="self",
            status=409,
        )
    dismissal, created = SuggestionDismissal.objects.get_or_create(user=user, dismissed=dismissed)
    if created:
        suggestions_forget(user.pk)
    return dismissal


# --- Invitations ------------------------------------------------------------------------------
#
# A person invites an address by email, at most INVITATIONS_PER_DAY in any 24 hours. Every
# attempt under that limit is written (an Invitation) and counts against it, sent or not, and
# is answered the same: an address that has an account, that opted out (InvitationOptOut,
# through the link in every invitation) or that the same person invited within the day gets
# nothing, and neither the answer nor the count left tells which.


def invitation_send(*, inviter: User, email: str) -> None:
    """Invite `email` to Friends for `inviter`: writes an Invitation and, when the address may
    get one, an EmailDelivery queued after commit, in one transaction. RateLimited past
    INVITATIONS_PER_DAY in 24 hours; ApplicationError for an address no mail reaches. Returns
    nothing: whatever the address, the caller learns the same."""
    address = User.objects.normalize_email(email.strip())
    try:
        validate_email(address)
    except ValidationError as error:
        raise ApplicationError(gettext("Enter a valid email address."), field="email") from error
    if _address_undeliverable(address):
        raise ApplicationError(gettext("This address cannot receive email."), field="email")
    limit = settings.INVITATIONS_PER_DAY
    with transaction.atomic():
        # One invitation of a person at a time: the count below holds until this commits.
        list(User.objects.select_for_update().filter(pk=inviter.pk).values_list("pk"))
        now = timezone.now()
        recent = invitations_recent(user=inviter)
        times = list(recent.order_by("created_at").values_list("created_at", flat=True))
        if len(times) >= limit:
            freed_at = times[len(times) - limit] + INVITATION_WINDOW if limit > 0 else now
            wait = max(1, int((freed_at - now).total_seconds()) + 1)
            raise RateLimited(
                gettext(
                    "You can send %(limit)s invitations a day. You can send the next one in "
                    "%(readable_wait)s."
                )
                % {"limit": limit, "readable_wait": readable_wait(wait)},
                retry_after=wait,
            )
        repeated = recent.alias(address=Lower("email")).filter(address=address.lower()).exists()
        invitation = Invitation.objects.create(
            inviter=inviter, email=address, token=secrets.token_urlsafe(32)
        )
        if not repeated and not _invitation_unsendable(invitation):
            _email_delivery_create(
                user=None,
                kind=EmailDelivery.Kind.INVITATION,
                recipient=address,
                invitation=invitation,
            )


def invitation_opt_out(*, invitation: Invitation) -> InvitationOptOut:
    """The address `invitation` went to gets no more invitations, from anyone (idempotent):
    writes one InvitationOptOut. Emails already queued to it are not sent (_email_send)."""
    opted_out = InvitationOptOut.objects.alias(address=Lower("email")).filter(
        address=invitation.email.lower()
    )
    existing = opted_out.first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return InvitationOptOut.objects.create(email=invitation.email)
    except IntegrityError:  # the same link followed twice at the same moment
        return opted_out.get()


def invitation_signup_url(invitation: Invitation) -> str:
    return f"{settings.SITE_URL}{reverse('accounts:signup')}?invite={invitation.token}"


def invitation_unsubscribe_url(invitation: Invitation) -> str:
    path = reverse("accounts:invite_unsubscribe", args=[invitation.token])
    return f"{settings.SITE_URL}{path}"


def _invitation_unsendable(invitation: Invitation | None) -> str:
    """Why this invitation must not be emailed now, or "" when it may be."""
    if invitation is None:
        return "The invitation no longer exists."
    if not invitation.inviter.is_active:
        return "The person who sent it has left Friends."
    address = invitation.email.lower()
    if InvitationOptOut.objects.alias(address=Lower("email")).filter(address=address).exists():
        return "The address asked for no more invitations."
    if User.objects.filter(email__iexact=address).exists():
        return "The address has an account."
    return ""


def _invitation_accept(*, token: str, user: User) -> Invitation | None:
    """In the caller's transaction (sign-up): mark the open invitation with `token` accepted
    by the new `user`, and make the two follow each other unless either blocked the other.
    None, and nothing written, for an unknown or used token or an inviter who left."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("inviter")
        .filter(token=token, accepted_at__isnull=True)
        .first()
    )
    if invitation is None or not invitation.inviter.is_active:
        return None
    invitation.accepted_by, invitation.accepted_at = user, timezone.now()
    invitation.save(update_fields=["accepted_by", "accepted_at"])
    inviter = invitation.inviter
    if inviter.pk not in blocked_either_way_ids(user):
        follow_create(follower=user, followee=inviter)
        follow_create(follower=inviter, followee=user)
    return invitation


# --- Leaving ----------------------------------------------------------------------------------
#
# Leaving is two steps. At once, in the request: the account is deactivated (every page and
# list hides an inactive person; its sessions are refused by accounts.backends, its API tokens
# deleted) and an AccountDeletion is written. Then the job `delete_account` deletes the
# account through `user_delete`, the path staff's admin deletion takes (the apps above clean up
# first: posts recounts others' posts; media files are deleted by their own job), and queues
# the goodbye email to the address kept on the AccountDeletion, which stays as the record.


def account_leave(*, user: User, password: str) -> AccountDeletion:
    """The person leaves: their password confirms it (ApplicationError on `password`
    otherwise); then as account_deactivate."""
    if not password or not user.check_password(password):
        raise ApplicationError(gettext("That is not your password."), field="password")
    return account_deactivate(user=user, actor=user)


def account_deactivate(*, user: User, actor: User) -> AccountDeletion:
    """Deactivate `user` now and queue the deletion of their account (policies.delete_user:
    the person, or staff with the permission), in one transaction: writes is_active, deletes
    their API tokens, writes an AccountDeletion queued after commit. A deletion already on its
    way is returned as it is."""
    policies.delete_user.enforce(actor, user)
    with transaction.atomic():
        list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        waiting = AccountDeletion.Status.PENDING, AccountDeletion.Status.PROCESSING
        deletion = AccountDeletion.objects.filter(user=user, status__in=waiting).first()
        if deletion is None:
            User.objects.filter(pk=user.pk).update(is_active=False)
            tokens_revoke_all(user=user)
            deletion = AccountDeletion.objects.create(
                user=user, username=user.username, email=user.email
            )
            durable.enqueue_on_commit(deletion)
    user.is_active = False
    return deletion


def account_deletion_restart(*, deletion: AccountDeletion, actor: User) -> None:
    """Run a deletion again from the start (staff, from the admin: after it failed); its job is
    queued after commit. Nothing to do when the account is gone already (with its goodbye)."""
    if deletion.user is None:
        return
    policies.delete_user.enforce(actor, deletion.user)
    durable.restart(deletion)


def account_deletion_run(*, deletion_id: int) -> str:
    """Do one AccountDeletion unless it is done or claimed (delete_account's service): deletes
    the account, queues the goodbye email. Returns the outcome (core.durable.Attempt)."""
    return durable.run(AccountDeletion, deletion_id, _account_delete).outcome


def _account_delete(deletion: AccountDeletion) -> None:
    # The deletion and its goodbye commit together: an attempt after a crash finds the user
    # gone (the row's user is then None) and sends nothing again.
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=deletion.user_id).first()
        if user is None:
            return
        if user.is_active:
            raise durable.PermanentFailure(
                "The account was activated again before its deletion: nothing was deleted."
            )
        user_delete(user=user, actor=user)
        _email_delivery_create(user=None, kind=EmailDelivery.Kind.GOODBYE, recipient=deletion.email)


# --- Blocks and mutes -------------------------------------------------------------------------
#
# What a block hides, and from whom, is decided in accounts.policies (people_visible_q); these
# write the rows. Nobody is told: a blocked or muted person sees no difference but absence.


def block_set(*, blocker: User, blocked: User) -> Block:
    """`blocker` blocks `blocked` (idempotent): writes the Block and deletes the follows between
    them both ways, in one transaction. Their likes, bookmarks and comments stay, hidden from
    each other; unblocking shows them again (the follows stay gone)."""
    if blocker.pk == blocked.pk:
        raise ApplicationError(
            gettext("You cannot block yourself."), field="username", code="block_self"
        )
    with transaction.atomic():
        _pair_lock(blocker, blocked)
        block, _created = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
        Follow.objects.filter(
            Q(follower=blocker, followee=blocked) | Q(follower=blocked, followee=blocker)
        ).delete()
        # Neither is suggested to the other any more, and their follows changed.
        suggestions_forget(blocker.pk, blocked.pk)
    return block


def block_unset(*, blocker: User, blocked: User) -> bool:
    """`blocker` unblocks `blocked` (idempotent); True when a Block was deleted."""
    deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    if deleted:
        suggestions_forget(blocker.pk, blocked.pk)  # each may be suggested to the other again
    return bool(deleted)


def mute_set(*, muter: User, muted: User) -> Mute:
    """`muter` mutes `muted` (idempotent): their posts leave the muter's feed and they no
    longer notify them; writes one Mute row."""
    if muter.pk == muted.pk:
        raise ApplicationError(
            gettext("You cannot mute yourself."), field="username", code="mute_self"
        )
    mute, _created = Mute.objects.get_or_create(muter=muter, muted=muted)
    return mute


def mute_unset(*, muter: User, muted: User) -> bool:
    """`muter` unmutes `muted` (idempotent); True when a Mute was deleted."""
    deleted, _ = Mute.objects.filter(muter=muter, muted=muted).delete()
    return bool(deleted)


def _pair_lock(one: User, other: User) -> None:
    """Lock the rows of two people, in id order (no deadlock), until the caller's transaction
    ends: a follow and a block between the same two people then happen one after the other."""
    list(
        User.objects.select_for_update(of=("self",))
        .filter(pk__in=[one.pk, other.pk])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
