"""Who may do what with accounts (core.permissions)."""

from core.permissions import Rule, is_moderator

delete_user = Rule(
    "accounts.delete_user",
    "Only the person themself or staff may delete an account.",
    lambda user, person: user.pk == person.pk or is_moderator(user, "accounts.delete_user"),
)
