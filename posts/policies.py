"""Who may do what with posts and comments (core.permissions).

Only authors change their words; staff with the admin's permissions may delete (moderation),
through the same services as everyone else.
"""

from core.permissions import Rule, is_moderator

edit_post = Rule(
    "posts.edit_post",
    "Only the author may edit this post.",
    lambda user, post: post.author_id == user.pk,
)
delete_post = Rule(
    "posts.delete_post",
    "Only the author may delete this post.",
    lambda user, post: post.author_id == user.pk or is_moderator(user, "posts.delete_post"),
)
edit_comment = Rule(
    "posts.edit_comment",
    "Only the author may edit this comment.",
    lambda user, comment: comment.author_id == user.pk,
)
delete_comment = Rule(
    "posts.delete_comment",
    "Only the comment's author or the post's author may delete it.",
    lambda user, comment: (
        user.pk in (comment.author_id, comment.post.author_id)
        or is_moderator(user, "posts.delete_comment")
    ),
)
