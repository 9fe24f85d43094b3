"""Reads about people that pages and the API share."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length, Lower
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts import policies
from accounts.models import (
    ApiToken,
    Block,
    Follow,
    Invitation,
    InvitationOptOut,
    Mute,
    SuggestionDismissal,
    User,
)
from core.queries import subquery_count
from media.models import Media
from media.selectors import media_newest_unready

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FollowedBy:
    """Who among the viewer's followees follows someone: a few names and how many in all."""

    names: list[str]
    total: int

    def __str__(self) -> str:
        return followed_by_text(self.names, self.total)


@dataclass(frozen=True)
class Suggestion:
    user: User
    reason: str
    mutual_count: int


def followed_by_text(names: list[str], total: int) -> str:
    """Reason text like "followed by alice, bob and 3 others you follow"; empty for nobody."""
    if total <= 0 or not names:
        return ""
    if total == 1:
        return gettext("followed by %(name)s, whom you follow") % {"name": names[0]}
    if total == 2 and len(names) >= 2:
        return gettext("followed by %(name)s and %(other)s, whom you follow") % {
            "name": names[0],
            "other": names[1],
        }
    shown = names[:2]
    others = total - len(shown)
    return ngettext(
        "followed by %(names)s and %(count)d other you follow",
        "followed by %(names)s and %(count)d others you follow",
        others,
    ) % {"names": ", ".join(shown), "count": others}


def _followee_ids(user) -> QuerySet:
    """Ids of the people `user` follows, as a subquery (no IN list of ids in Python)."""
    return Follow.objects.filter(follower=user).values("followee_id")


def avatar_pending_for(user) -> Media | None:
    """The person's newest avatar upload when it is not ready yet (processing, or failed)."""
    return media_newest_unready(owner=user, kind=Media.Kind.AVATAR)


def user_get_active(*, username: str) -> User:
    """The active user with this username (any case), or Http404."""
    return get_object_or_404(User, username__iexact=username, is_active=True)


def user_get_visible(*, username: str, viewer, keep_blocked_by_viewer: bool = False) -> User:
    """The user with this username (any case) if `viewer` may see them
    (accounts.policies.people_visible_q: active, no block either way), or Http404."""
    visible = policies.people_visible_q(viewer, keep_blocked_by_viewer=keep_blocked_by_viewer)
    return get_object_or_404(User.objects.filter(visible), username__iexact=username)


def people_queryset_for(viewer, *, keep_blocked_by_viewer: bool = False) -> QuerySet:
    """The people `viewer` may see (accounts.policies.people_visible_q), with `is_following`
    (viewer follows them) and `follows_you` flags."""
    visible = policies.people_visible_q(viewer, keep_blocked_by_viewer=keep_blocked_by_viewer)
    queryset = User.objects.filter(visible).select_related("avatar")
    if viewer is None or not viewer.is_authenticated:
        return queryset.annotate(
            is_following=Value(False, output_field=BooleanField()),
            follows_you=Value(False, output_field=BooleanField()),
        )
    return queryset.annotate(
        is_following=Exists(Follow.objects.filter(follower=viewer, followee=OuterRef("pk"))),
        follows_you=Exists(Follow.objects.filter(follower=OuterRef("pk"), followee=viewer)),
    )


def profile_get(*, username: str, viewer, **counts) -> User:
    """One user with follower counts (of active people), follow flags, mutual friend count and
    the viewer's `is_blocked` and `is_muted` flags, in one query (or Http404: someone who left,
    or who blocked the viewer; the viewer's own blocked people are found, to unblock them).
    `counts` adds more annotations (posts: posts_count)."""
    followers = (
        Follow.objects.filter(followee=OuterRef("pk"), follower__is_active=True)
        .order_by()
        .values("followee")
    )
    following = (
        Follow.objects.filter(follower=OuterRef("pk"), followee__is_active=True)
        .order_by()
        .values("follower")
    )
    queryset = people_queryset_for(viewer, keep_blocked_by_viewer=True).annotate(
        followers_count=subquery_count(followers),
        following_count=subquery_count(following),
        **counts,
    )
    if viewer is not None and viewer.is_authenticated:
        queryset = queryset.annotate(
            mutual_friends_count=subquery_count(
                _shared_friends_of(OuterRef(OuterRef("pk")), viewer).order_by()
            ),
            is_blocked=Exists(Block.objects.filter(blocker=viewer, blocked=OuterRef("pk"))),
            is_muted=Exists(Mute.objects.filter(muter=viewer, muted=OuterRef("pk"))),
        )
    else:
        queryset = queryset.annotate(
            mutual_friends_count=Value(0, output_field=IntegerField()),
            is_blocked=Value(False, output_field=BooleanField()),
            is_muted=Value(False, output_field=BooleanField()),
        )
    return get_object_or_404(queryset, username__iexact=username)


def _shared_friends_of(user, viewer) -> QuerySet:
    """People who are friends (mutual follows) with both `user` and `viewer`."""
    # Start from the viewer's followees (a small set), then check the three other edges.
    return User.objects.filter(
        Exists(Follow.objects.filter(follower=OuterRef("pk"), followee=viewer)),
        Exists(Follow.objects.filter(follower=user, followee=OuterRef("pk"))),
        Exists(Follow.objects.filter(follower=OuterRef("pk"), followee=user)),
        pk__in=_followee_ids(viewer),
        is_active=True,
    )


def shared_friends(*, user: User, viewer, limit: int = 12) -> list[User]:
    """Up to `limit` people who are friends with both `user` and `viewer` (one query)."""
    if viewer is None or not viewer.is_authenticated or viewer.pk == user.pk:
        return []
    return list(
        _shared_friends_of(user, viewer).select_related("avatar").order_by("username")[:limit]
    )


def followed_by_for(*, user: User, viewer, shown: int = 2) -> FollowedBy:
    """Who among the viewer's followees follows `user` (one query, counted with a window)."""
    if viewer is None or not viewer.is_authenticated or viewer.pk == user.pk:
        return FollowedBy(names=[], total=0)
    rows = list(
        Follow.objects.filter(
            followee=user, follower__in=_followee_ids(viewer), follower__is_active=True
        )
        .annotate(total=Window(Count("pk")))
        .select_related("follower")
        .order_by("-created_at", "-pk")[:shown]
    )
    if not rows:
        return FollowedBy(names=[], total=0)
    return FollowedBy(names=[row.follower.username for row in rows], total=rows[0].total)


def followers_of(*, user: User, viewer) -> QuerySet:
    """People who follow `user`, newest follow first, with the viewer's follow flags; only
    those the viewer may see (people_queryset_for)."""
    return (
        people_queryset_for(viewer)
        .filter(following_set__followee=user)
        .order_by("-following_set__created_at", "-pk")
    )


def following_of(*, user: User, viewer) -> QuerySet:
    """People `user` follows, newest follow first, with the viewer's follow flags; only those
    the viewer may see (people_queryset_for)."""
    return (
        people_queryset_for(viewer)
        .filter(follower_set__follower=user)
        .order_by("-follower_set__created_at", "-pk")
    )


def user_search(*, query: str, viewer) -> QuerySet:
    """People whose username or display name contains `query`, any case; only those `viewer`
    may see (people_queryset_for: active, no block either way)."""
    query = query.strip()
    queryset = people_queryset_for(viewer)
    if not query:
        return queryset.none()
    return queryset.filter(
        Q(username__icontains=query) | Q(display_name__icontains=query)
    ).order_by(Length("username"), "username")


# Ranking the people followed by the people someone follows reads every follow of every
# followee (some 30,000 rows for someone who follows 1,000 people, about 0.1 s at 100,000
# people) and picking the names for the reasons as much again, for a list shown beside every
# feed page. So the ranking (ids, mutual counts and the two names of the best
# SUGGESTIONS_RANKED) is kept in the shared cache for SUGGESTIONS_CACHE_SECONDS, and forgotten
# when the person's own follows, blocks or dismissals change (suggestions_forget, called by
# those services). Who may be shown is read from the database on every request: a ranking a few
# minutes old may miss a newer friend of a friend, never show someone who left, who is blocked
# either way, followed or dismissed. The lists on the feed's side and the people page are drawn
# from this once a minute per person (accounts.suggestion_box), and forgotten with the ranking.
SUGGESTIONS_RANKED = 20  # the people page's list; a longer one (the API's limit) is ranked afresh
SUGGESTIONS_CACHE_SECONDS = 10 * 60

Ranking = list[tuple[int, int, list[str]]]  # (user id, mutual count, two followees' names)


def _suggestions_key(user_id: int) -> str:
    return f"suggestions:{user_id}"


def suggestion_boxes_key(user_id: int) -> str:
    """Where accounts.suggestion_box keeps a person's drawn suggestion lists."""
    return f"suggestion-boxes:{user_id}"


def suggestions_forget(*user_ids: int) -> None:
    """Forget the kept suggestion rankings and drawn lists of these people (their follows,
    blocks or dismissals changed): now, and again once the caller's transaction commits, so that
    a request ranking in between, on the rows of before, keeps nothing."""
    keys = [_suggestions_key(user_id) for user_id in user_ids]
    keys += [suggestion_boxes_key(user_id) for user_id in user_ids]

    def forget() -> None:
        try:
            cache.delete_many(keys)
        except Exception:  # rankings re-check whom they show; drawn lists last a minute
            logger.warning("Suggestion rankings not forgotten in the cache", exc_info=True)

    forget()
    transaction.on_commit(forget, robust=True)


def _ranking_kept(user: User) -> Ranking | None:
    try:
        return cache.get(_suggestions_key(user.pk))
    except Exception:  # the cache must never take a page down: rank afresh
        logger.warning("Suggestion ranking not read from the cache", exc_info=True)
        return None


def _ranking_keep(user: User, ranking: Ranking) -> None:
    try:
        cache.set(_suggestions_key(user.pk), ranking, timeout=SUGGESTIONS_CACHE_SECONDS)
    except Exception:
        logger.warning("Suggestion ranking not written to the cache", exc_info=True)


def _followee_of_sql(column: str, user: User) -> tuple[str, list]:
    """`column` is the id of someone `user` follows, as SQL text and its parameters.

    On PostgreSQL `= ANY(ARRAY(subquery))`: the planner then reads the follows of each followee
    from the (follower, followee) index; with `IN (subquery)` it guesses a few rows where there
    are 30,000 and reads the whole follows table (3,000,000 rows: 1 s) instead.
    """
    quote = connection.ops.quote_name
    follow = Follow._meta
    followees = (
        f"SELECT {quote(follow.get_field('followee').column)} FROM {quote(follow.db_table)} "
        f"WHERE {quote(follow.get_field('follower').column)} = %s"
    )
    if connection.vendor == "postgresql":
        return f"{column} = ANY(ARRAY({followees}))", [user.pk]
    return f"{column} IN ({followees})", [user.pk]


def _suggestions_ranked(*, user: User, limit: int) -> Ranking:
    """Up to `limit` people followed by `user`'s followees, best first: by how many of the
    followees follow them, then by their follower count, then id (two queries).

    Not the user, nor anyone they follow or dismissed; only people they may see
    (policies.people_visible_sql), checked for the best candidates only, in order of their
    counts, not for each of the thousands of candidates.
    """
    quote = connection.ops.quote_name
    follow, dismissal = Follow._meta, SuggestionDismissal._meta
    follows = quote(follow.db_table)
    follower = quote(follow.get_field("follower").column)
    followee = quote(follow.get_field("followee").column)
    of_mine, of_mine_params = _followee_of_sql(f"edge.{follower}", user)
    visible, visible_params = policies.people_visible_sql("candidate.id", user)
    sql = (
        # How many of the user's followees follow each candidate.
        f"WITH candidate AS MATERIALIZED (SELECT edge.{followee} AS id, COUNT(*) AS mutual "
        f"FROM {follows} edge WHERE {of_mine} AND edge.{followee} <> %s "
        f"AND NOT EXISTS(SELECT 1 FROM {follows} mine WHERE mine.{follower} = %s "
        f"AND mine.{followee} = edge.{followee}) "
        f"AND NOT EXISTS(SELECT 1 FROM {quote(dismissal.db_table)} gone "
        f"WHERE gone.{quote(dismissal.get_field('user').column)} = %s "
        f"AND gone.{quote(dismissal.get_field('dismissed').column)} = edge.{followee}) "
        f"GROUP BY edge.{followee}), "
        # The limit-th best count among those the user may see. Any `limit` of them give a cut
        # no higher than that: read in order of their counts, the first `limit` give it exactly.
        f"ordered AS MATERIALIZED (SELECT id, mutual FROM candidate ORDER BY mutual DESC), "
        f"cut AS (SELECT MIN(mutual) AS mutual FROM (SELECT candidate.id, candidate.mutual "
        f"FROM ordered candidate WHERE {visible} LIMIT %s) best), "
        # Counting followers is the expensive part: only to order people with the same count.
        f"contender AS (SELECT candidate.id, candidate.mutual, "
        f"COUNT(*) OVER (PARTITION BY candidate.mutual) AS tied FROM candidate "
        f"WHERE candidate.mutual >= (SELECT mutual FROM cut) AND {visible}) "
        f"SELECT id, mutual FROM contender ORDER BY mutual DESC, CASE WHEN tied > 1 THEN "
        f"(SELECT COUNT(*) FROM {follows} fan WHERE fan.{followee} = contender.id) "
        f"ELSE 0 END DESC, id LIMIT %s"
    )
    params = [*of_mine_params, user.pk, user.pk, user.pk]
    params += [*visible_params, limit, *visible_params, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ranked = cursor.fetchall()
    if not ranked:
        return []
    # Two names per suggestion, the followees who followed them last, picked with a window.
    of_mine, of_mine_params = _followee_of_sql(f"edge.{follower}", user)
    person = User._meta
    created = quote(follow.get_field("created_at").column)
    sql = (
        f"SELECT followee, username FROM (SELECT edge.{followee} AS followee, "
        f"person.{quote(person.get_field('username').column)} AS username, ROW_NUMBER() OVER "
        f"(PARTITION BY edge.{followee} ORDER BY edge.{created} DESC, "
        f"edge.{quote(follow.pk.column)} DESC) AS position FROM {follows} edge "
        f"JOIN {quote(person.db_table)} person ON person.{quote(person.pk.column)} = "
        f"edge.{follower} WHERE edge.{followee} IN ({', '.join(['%s'] * len(ranked))}) "
        f"AND {of_mine}) named WHERE position <= 2 ORDER BY followee, position"
    )
    names: dict[int, list[str]] = {pk: [] for pk, _ in ranked}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(pk for pk, _ in ranked), *of_mine_params])
        for pk, username in cursor.fetchall():
            names[pk].append(username)
    return [(pk, mutual, names[pk]) for pk, mutual in ranked]


def _ranked_shown(*, user: User, ranking: Ranking, limit: int) -> list[User]:
    """The first `limit` people of `ranking` that `user` may be shown now (one query, none for
    an empty ranking): not the user, nor anyone they follow or dismissed, only people they may
    see (policies.people_visible_sql). The ranking may be minutes old: the database says.

    Conditions written as SQL, like the ranking's: built with the ORM's Q objects, they cost
    more to compile than the query takes to run, on every feed page.
    """
    if not ranking:
        return []
    quote = connection.ops.quote_name
    follow, dismissal, person = Follow._meta, SuggestionDismissal._meta, User._meta
    column = f"{quote(person.db_table)}.{quote(person.pk.column)}"
    visible, visible_params = policies.people_visible_sql(column, user)
    shown = (
        f"{visible} AND {column} <> %s "
        f"AND NOT EXISTS(SELECT 1 FROM {quote(follow.db_table)} mine "
        f"WHERE mine.{quote(follow.get_field('follower').column)} = %s "
        f"AND mine.{quote(follow.get_field('followee').column)} = {column}) "
        f"AND NOT EXISTS(SELECT 1 FROM {quote(dismissal.db_table)} gone "
        f"WHERE gone.{quote(dismissal.get_field('user').column)} = %s "
        f"AND gone.{quote(dismissal.get_field('dismissed').column)} = {column})"
    )
    ids = [pk for pk, _, _ in ranking]
    position = f"CASE {column} {' '.join(['WHEN %s THEN %s'] * len(ids))} END"
    return list(
        User.objects.filter(
            RawSQL(shown, [*visible_params, user.pk, user.pk, user.pk], BooleanField()),
            pk__in=ids,
        )
        .select_related("avatar")
        .order_by(RawSQL(position, [x for index, pk in enumerate(ids) for x in (pk, index)]))[
            :limit
        ]
    )


def suggestions_for(*, user: User, limit: int = 10) -> list[Suggestion]:
    """People followed by the people `user` follows, ranked; newest users fill in (at most 4
    queries; 2 with the ranking kept in the cache: see SUGGESTIONS_RANKED above).

    Ranked by how many of the user's followees follow them, then by their follower count.
    Never the user, someone they follow or dismissed, someone who left, nor anyone they blocked
    or who blocked them (accounts.policies.people_visible_q: subqueries, no query of its own).
    """
    ranking = _ranking_kept(user) if limit <= SUGGESTIONS_RANKED else None
    if ranking is None:
        ranking = _suggestions_ranked(user=user, limit=max(limit, SUGGESTIONS_RANKED))
        # The best SUGGESTIONS_RANKED of a longer list are the same people in the same order.
        _ranking_keep(user, ranking[:SUGGESTIONS_RANKED])
    users = {person.pk: person for person in _ranked_shown(user=user, ranking=ranking, limit=limit)}
    suggestions = [
        Suggestion(user=users[pk], reason=followed_by_text(names, mutual), mutual_count=mutual)
        for pk, mutual, names in ranking
        if pk in users
    ]
    missing = limit - len(suggestions)
    if missing > 0:
        followees = _followee_ids(user)
        dismissed = SuggestionDismissal.objects.filter(user=user).values("dismissed_id")
        newest = (
            User.objects.filter(policies.people_visible_q(user))
            .select_related("avatar")
            .exclude(pk=user.pk)
            .exclude(pk__in=followees)
            .exclude(pk__in=dismissed)
            .exclude(pk__in=[suggestion.user.pk for suggestion in suggestions])
            .order_by("-date_joined", "-pk")[:missing]
        )
        suggestions += [
            Suggestion(user=u, reason=gettext("new on Friends"), mutual_count=0) for u in newest
        ]
    for suggestion in suggestions:
        # The flags of people_queryset_for, for the rows that draw people: nobody suggested is
        # followed, and a suggestion does not say who follows the user. Set, because a template
        # looking up a missing attribute of a user costs a dir() of it (0.3 ms a row).
        suggestion.user.is_following = False
        suggestion.user.follows_you = False
    return suggestions


def tokens_live_of(*, user: User) -> QuerySet:
    """The API tokens of `user` that still work, newest first (never their keys: only digests
    are stored)."""
    return ApiToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created", "-pk")


def token_get_revocable(*, token_id: int, user: User) -> ApiToken:
    """The token `token_id` if `user` may revoke it (policies.revoke_token); Http404 otherwise,
    as for a token that does not exist: other people's tokens are not for them to know of."""
    token = get_object_or_404(ApiToken, pk=token_id)
    if not policies.revoke_token.allows(user, token):
        raise Http404("No such token.")
    return token


# --- Blocks and mutes -------------------------------------------------------------------------
#
# Who sees whom is decided in accounts.policies (people_visible_q); here are the lists of a
# person's own blocks and mutes, and the id sets other apps filter with in Python.


def blocks_of(*, user: User) -> QuerySet:
    """The people `user` blocked (Block rows with `blocked` and their avatar), the newest block
    first; not those who left since."""
    return (
        Block.objects.filter(blocker=user, blocked__is_active=True)
        .select_related("blocked", "blocked__avatar")
        .order_by("-created_at", "-pk")
    )


def mutes_of(*, user: User) -> QuerySet:
    """The people `user` muted (Mute rows with `muted` and their avatar), the newest mute
    first; only those they may see (not those who left or who blocked them since)."""
    visible = policies.people_visible_q(user, "muted", keep_blocked_by_viewer=True)
    return (
        Mute.objects.filter(visible, muter=user)
        .select_related("muted", "muted__avatar")
        .order_by("-created_at", "-pk")
    )


def blocked_either_way_ids(user: User) -> set[int]:
    """The ids of the people `user` blocked and of those who blocked `user` (one query): none
    of them may follow, like, comment on, mention or see the other."""
    if not user.is_authenticated:
        return set()
    pairs = Block.objects.filter(Q(blocker=user) | Q(blocked=user)).values_list(
        "blocker_id", "blocked_id"
    )
    return {other for pair in pairs for other in pair} - {user.pk}


def muted_ids(user: User) -> set[int]:
    """The ids of the people `user` muted (one query): hidden from their feed and
    notifications."""
    if not user.is_authenticated:
        return set()
    return set(Mute.objects.filter(muter=user).values_list("muted_id", flat=True))


# --- Invitations ------------------------------------------------------------------------------


def invitation_open(*, token: str) -> Invitation | None:
    """The invitation with this token (from its sign-up link) that nobody accepted yet and
    whose inviter is still here, with the inviter; None otherwise."""
    if not token or len(token) > Invitation._meta.get_field("token").max_length:
        return None
    return (
        Invitation.objects.select_related("inviter", "inviter__avatar")
        .filter(token=token, accepted_at__isnull=True, inviter__is_active=True)
        .first()
    )


def invitation_by_token(*, token: str) -> Invitation:
    """The invitation with this token, accepted or not (its unsubscribe link), or Http404."""
    if len(token) > Invitation._meta.get_field("token").max_length:
        raise Http404("No such invitation.")
    return get_object_or_404(Invitation, token=token)


def invitation_opted_out(*, email: str) -> bool:
    """Whether this address asked for no more invitations."""
    return (
        InvitationOptOut.objects.alias(address=Lower("email"))
        .filter(address=email.strip().lower())
        .exists()
    )


# INVITATIONS_PER_DAY is counted over this window, sliding.
INVITATION_WINDOW = timedelta(days=1)


def invitations_recent(*, user: User) -> QuerySet:
    """The invitations `user` made in the last INVITATION_WINDOW, sent or not."""
    since = timezone.now() - INVITATION_WINDOW
    return Invitation.objects.filter(inviter=user, created_at__gt=since)


def invitations_left_today(*, user: User) -> int:
    """How many more invitations `user` may send now: INVITATIONS_PER_DAY less those of the
    last 24 hours (sent or not: every attempt counts, so the number tells nothing)."""
    return max(0, settings.INVITATIONS_PER_DAY - invitations_recent(user=user).count())


def invitation_accepted_by(*, user: User) -> Invitation | None:
    """The invitation `user` signed up through, with its inviter; None when there is none."""
    return Invitation.objects.select_related("inviter").filter(accepted_by=user).first()
