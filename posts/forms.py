"""HTML forms of posts."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from media.imaging import ACCEPT
from media.limits import alt_text_max_length, limits_data
from posts.models import Comment, NotificationKind, Post

# --- Posts, comments --------------------------------------------------------------------------


class PostForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=Post._meta.get_field("title").max_length)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=Post._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Plain text. Links become clickable."),
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        max_length=Comment._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Write a comment")}),
    )


# --- Photos -----------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files from one input; each is checked by the media services, not here."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleImageField, self).clean(file, initial) for file in files]


class IdListField(forms.Field):
    """A list of ids from repeated inputs (checkboxes drawn by posts/_post_form_photos.html)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        # ASCII digits only: "²" is a digit to str.isdigit() but not to int().
        return [int(item) for item in value or [] if str(item).isascii() and str(item).isdigit()]


class PostWithPhotosForm(PostForm):
    """The post form with up to MEDIA_MAX_PER_POST photos and a description (alt text) each.

    `media_ids`: photos the page's script already sent straight to storage (direct uploads,
    S3 only), which the post takes instead of files in `images`."""

    images = MultipleImageField(required=False, label=_("Photos"))
    media_ids = IdListField(required=False)
    alt_texts = forms.CharField(
        label=_("Photo descriptions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One line per photo, in order: what someone who cannot see it should know."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        maximum = settings.MEDIA_MAX_PER_POST
        self.fields["images"].help_text = gettext("Up to %(maximum)s photos: %(summary)s.") % {
            "maximum": maximum,
            "summary": limits_data()["summary"],
        }
        self.fields["images"].widget.attrs["data-max-files"] = maximum
        # What site.js says when more files are chosen, in the page's language.
        self.fields["images"].widget.attrs["data-max-files-text"] = gettext(
            "At most %(maximum)s photos."
        ) % {"maximum": maximum}

    @property
    def alt_text_max_length(self) -> int:
        return alt_text_max_length()

    def clean_alt_texts(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("alt_texts", "").splitlines()]


class PostEditWithPhotosForm(PostWithPhotosForm):
    """Editing also removes photos (their checkboxes come from posts/_post_form_photos.html).
    New photos come as files: `media_ids` would replace the post's photos."""

    media_ids = None
    remove_media_ids = IdListField(required=False)


# --- Notifications ----------------------------------------------------------------------------


# NotificationKind's labels, translated.
NOTIFICATION_KIND_LABELS = {
    NotificationKind.FOLLOW: _("New follower"),
    NotificationKind.LIKE: _("Like on your post"),
    NotificationKind.COMMENT: _("Comment on your post"),
    NotificationKind.REPLY: _("Reply in a thread you commented on"),
    NotificationKind.MENTION: _("Mention of you"),
    NotificationKind.PHOTO_FAILED: _("Photo that could not be processed"),
}


class NotificationSettingsForm(forms.Form):
    """One switch per kind of notification (NotificationKind), on when checked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in NotificationKind.choices:
            self.fields[kind] = forms.BooleanField(
                label=NOTIFICATION_KIND_LABELS.get(kind, label), required=False
            )

    def enabled_kinds(self) -> list[str]:
        return [kind for kind in NotificationKind.values if self.cleaned_data.get(kind)]
