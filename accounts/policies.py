"""Who may do what with accounts (core.permissions)."""

from core.permissions import Rule, is_moderator

delete_user = Rule(
    "accounts.delete_user",
    "Only the person themself or staff may delete an account.",
    lambda user, person: user.pk == person.pk or is_moderator(user, "accounts.delete_user"),
)

revoke_token = Rule(
    "accounts.revoke_token",
    "Only the token's owner may revoke it.",
    lambda user, token: token.user_id == user.pk,
)


def likes_visible(viewer, person) -> bool:
    """Whether `viewer` may list the posts `person` liked: anyone (logged in or not) when the
    person made them public, the person themself always. Not a Rule: visitors count too."""
    return person.likes_public or (viewer is not None and viewer.pk == person.pk)
