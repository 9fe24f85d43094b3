"""Who may do what with media (core.permissions)."""

from core.permissions import Rule, is_moderator

change_media = Rule(
    "media.change_media",
    "Only the owner may change this photo.",
    lambda user, media: media.owner_id == user.pk,
)
delete_media = Rule(
    "media.delete_media",
    "Only the owner may delete this photo.",
    lambda user, media: media.owner_id == user.pk or is_moderator(user, "media.delete_media"),
)
reprocess_media = Rule(
    "media.reprocess_media",
    "Only staff may process a photo again.",
    lambda user, media: is_moderator(user, "media.change_media"),
)
