"""HTML forms of posts."""

from django import forms
from django.conf import settings

from media.imaging import ACCEPT
from media.limits import alt_text_max_length, limits_data
from posts.models import Comment, NotificationKind, Post

# --- Posts, comments --------------------------------------------------------------------------


class PostForm(forms.Form):
    title = forms.CharField(max_length=Post._meta.get_field("title").max_length)
    body = forms.CharField(
        label="Text",
        required=False,
        max_length=Post._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Plain text. Links become clickable.",
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=Comment._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Write a comment"}),
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
    """The post form with up to MEDIA_MAX_PER_POST photos and a description (alt text) each."""

    images = MultipleImageField(required=False, label="Photos")
    alt_texts = forms.CharField(
        label="Photo descriptions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One line per photo, in order: what someone who cannot see it should know.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "images"
        ].help_text = f"Up to {settings.MEDIA_MAX_PER_POST} photos: {limits_data()['summary']}."
        self.fields["images"].widget.attrs["data-max-files"] = settings.MEDIA_MAX_PER_POST

    @property
    def alt_text_max_length(self) -> int:
        return alt_text_max_length()

    def clean_alt_texts(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("alt_texts", "").splitlines()]


class PostEditWithPhotosForm(PostWithPhotosForm):
    """Editing also removes photos (their checkboxes come from posts/_post_form_photos.html)."""

    remove_media_ids = IdListField(required=False)


# --- Notifications ----------------------------------------------------------------------------


class NotificationSettingsForm(forms.Form):
    """One switch per kind of notification (NotificationKind), on when checked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in NotificationKind.choices:
            self.fields[kind] = forms.BooleanField(label=label, required=False)

    def enabled_kinds(self) -> list[str]:
        return [kind for kind in NotificationKind.values if self.cleaned_data.get(kind)]
