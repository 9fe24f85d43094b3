"""Who may do what with posts and comments (core.permissions), and which ones a viewer sees.

Only authors change their words; staff with the admin's permissions may delete (moderation),
through the same services as everyone else. What a viewer sees follows who sees whom
(accounts.policies: accounts that left, blocks either way).
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy

from accounts.policies import no_block_between_q, people_visible_q, person_visible
from core.permissions import Rule, is_moderator

edit_post = Rule(
    "posts.edit_post",
    gettext_lazy("Only the author may edit this post."),
    lambda user, post: post.author_id == user.pk,
)
delete_post = Rule(
    "posts.delete_post",
    gettext_lazy("Only the author may delete this post."),
    lambda user, post: post.author_id == user.pk or is_moderator(user, "posts.delete_post"),
)
edit_comment = Rule(
    "posts.edit_comment",
    gettext_lazy("Only the author may edit this comment."),
    lambda user, comment: comment.author_id == user.pk,
)
delete_comment = Rule(
    "posts.delete_comment",
    gettext_lazy("Only the comment's author or the post's author may delete it."),
    lambda user, comment: (
        user.pk in (comment.author_id, comment.post.author_id)
        or is_moderator(user, "posts.delete_comment")
    ),
)


# --- Which posts and comments a viewer sees ---------------------------------------------------


def posts_visible_q(viewer) -> Q:
    """A filter of posts: those whose author `viewer` may see (accounts.policies)."""
    return people_visible_q(viewer, "author")


def comments_visible_q(viewer) -> Q:
    """A filter of the comments of a post the viewer sees: those whose author the viewer may
    see, and not between two people who blocked each other (a blocked person's comments on the
    blocker's posts are hidden from everyone, the blocker's on theirs too)."""
    return people_visible_q(viewer, "author") & no_block_between_q("author", "post__author")


def comment_visible_q(viewer) -> Q:
    """A filter of comments found by their id: comments_visible_q, on a post the viewer sees."""
    return comments_visible_q(viewer) & people_visible_q(viewer, "post__author")


interact_with_post = Rule(
    "posts.interact_with_post",
    gettext_lazy("No such post."),
    lambda user, post: person_visible(user, post.author),
    hidden=True,
)


# --- Data exports -----------------------------------------------------------------------------

download_export = Rule(
    "posts.download_export",
    gettext_lazy("No such export."),
    lambda user, export: export.user_id == user.pk,
    hidden=True,  # someone else's export is not there for them (404)
)
