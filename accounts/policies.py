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
