"""Who may do what with media (core.permissions)."""

from django.utils.translation import gettext_lazy

from core.permissions import Rule, is_moderator

change_media = Rule(
    "media.change_media",
    gettext_lazy("Only the owner may change this photo."),
    lambda user, media: media.owner_id == user.pk,
)
delete_media = Rule(
    "media.delete_media",
    gettext_lazy("Only the owner may delete this photo."),
    lambda user, media: media.owner_id == user.pk or is_moderator(user, "media.delete_media"),
)
reprocess_media = Rule(
    "media.reprocess_media",
    gettext_lazy("Only staff may process a photo again."),
    lambda user, media: is_moderator(user, "media.change_media"),
)
