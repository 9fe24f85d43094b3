"""Who may do what with accounts (core.permissions), and who sees whom (blocks, accounts that
left)."""

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy

from accounts.models import Block, User
from core.permissions import Rule, is_moderator

delete_user = Rule(
    "accounts.delete_user",
    gettext_lazy("Only the person themself or staff may delete an account."),
    lambda user, person: user.pk == person.pk or is_moderator(user, "accounts.delete_user"),
)

revoke_token = Rule(
    "accounts.revoke_token",
    gettext_lazy("Only the token's owner may revoke it."),
    lambda user, token: token.user_id == user.pk,
)


def likes_visible(viewer, person) -> bool:
    """Whether `viewer` may list the posts `person` liked: anyone (logged in or not) when the
    person made them public, the person themself always. Not a Rule: visitors count too."""
    return person.likes_public or (viewer is not None and viewer.pk == person.pk)


# --- Who sees whom: blocks, and accounts that left --------------------------------------------
#
# The one rule every page, API route and list follows. A person is hidden from a viewer when
# their account is deactivated (is_active False: they left, and a job deletes the rest later),
# or when either of the two blocked the other. Hidden means absent, as if they did not exist:
# 404 for their profile, posts and comments, and none of their rows in any list (feed, search,
# suggestions, followers and following, comments, likes, bookmarks). One exception: the blocker
# may open the profile page of the person they blocked, to unblock them (no posts, no tabs).
#
# Lists filter with people_visible_q() (subqueries inside the list's own query: no query of
# their own, whatever the number of blocks); one object is checked in its own query with the
# same filter, or by person_visible(); writes that reach another person (follow, like,
# bookmark, comment) enforce `interact_with`, a refusal that reads as a 404; a mention of
# someone blocked either way notifies nobody (posts.services.notifications, with the ids of
# accounts.selectors.blocked_either_way_ids).


def _blocked_by(viewer) -> QuerySet:
    """The people `viewer` blocked, as a subquery."""
    return Block.objects.filter(blocker=viewer).values("blocked")


def _blockers_of(viewer) -> QuerySet:
    """The people who blocked `viewer`, as a subquery."""
    return Block.objects.filter(blocked=viewer).values("blocker")


def people_visible_q(viewer, field: str = "pk", *, keep_blocked_by_viewer: bool = False) -> Q:
    """A filter that keeps the rows whose person at `field` ("pk" for users themselves,
    "author", "follower"...) `viewer` may see: active, and no block either way.
    `keep_blocked_by_viewer`: also the people the viewer blocked, even those who blocked them
    back (their profile page, to unblock them)."""
    prefix = "" if field == "pk" else f"{field}__"
    visible = Q(**{f"{prefix}is_active": True})
    if viewer is None or not viewer.is_authenticated:
        return visible
    not_blocking_viewer = ~Q(**{f"{field}__in": _blockers_of(viewer)})
    blocked_by_viewer = Q(**{f"{field}__in": _blocked_by(viewer)})
    if keep_blocked_by_viewer:
        return visible & (blocked_by_viewer | not_blocking_viewer)
    return visible & not_blocking_viewer & ~blocked_by_viewer


def people_visible_sql(column: str, viewer) -> tuple[str, list]:
    """people_visible_q as SQL text and its parameters, on `column` (a user id column of the
    caller's query), for the few queries written as SQL (posts.selectors.feed_for). A test holds
    both to the same answer (accounts/tests/test_blocks.py)."""
    quote = connection.ops.quote_name
    user, block = User._meta, Block._meta
    # Not among those who left, read from the partial index user_left_idx that holds only
    # them (PostgreSQL merges it with the caller's rows): a lookup of each row's user cost 3
    # buffer reads per followee, 5 of the feed query's 11 ms for 1,000 followees. No parameter,
    # so that the planner always sees the index's own condition.
    active = (
        f"NOT EXISTS(SELECT 1 FROM {quote(user.db_table)} person "
        f"WHERE person.{quote(user.pk.column)} = {column} "
        f"AND NOT person.{quote(user.get_field('is_active').column)})"
    )
    if viewer is None or not viewer.is_authenticated:
        return active, []
    blocker = quote(block.get_field("blocker").column)
    blocked = quote(block.get_field("blocked").column)
    table = quote(block.db_table)
    either_way = (
        f"NOT EXISTS(SELECT 1 FROM {table} blk WHERE blk.{blocker} = %s "
        f"AND blk.{blocked} = {column}) "
        f"AND NOT EXISTS(SELECT 1 FROM {table} blk WHERE blk.{blocker} = {column} "
        f"AND blk.{blocked} = %s)"
    )
    return f"{active} AND {either_way}", [viewer.pk, viewer.pk]


def no_block_between_q(field: str, other: str) -> Q:
    """A filter that keeps rows whose two people (at `field` and `other`, e.g. a comment's
    "author" and "post__author") did not block each other, either way."""
    return ~Exists(
        Block.objects.filter(blocker=OuterRef(field), blocked=OuterRef(other))
    ) & ~Exists(Block.objects.filter(blocker=OuterRef(other), blocked=OuterRef(field)))


def blocked(viewer, person) -> bool:
    """Whether `viewer` and `person` blocked each other, either way (one query)."""
    if viewer is None or not viewer.is_authenticated or viewer.pk == person.pk:
        return False
    return Block.objects.filter(
        Q(blocker=viewer, blocked=person) | Q(blocker=person, blocked=viewer)
    ).exists()


def person_visible(viewer, person) -> bool:
    """Whether `viewer` may see `person` and what is theirs (people_visible_q, for one)."""
    return person.is_active and not blocked(viewer, person)


interact_with = Rule(
    "accounts.interact_with",
    gettext_lazy("No such person."),
    lambda user, person: person_visible(user, person),
    hidden=True,
)
