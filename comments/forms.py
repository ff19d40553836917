from django import forms

from comments.models import Comment
from comments.services import BODY_MAX_LENGTH

TRACK_LABEL = (
    "Track Comments: Notify me with a personal message when other people comment on this story"
)


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Please add your comment:",
        help_text="(plain text only please. Allowable HTML: <a>)",
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "Please write something: an empty comment can't be posted. "
            "(To show support without words, note the story instead.)",
            "max_length": "Comments can be at most %(limit_value)s characters "
            "(yours has %(show_value)s).",
        },
    )
    track = forms.BooleanField(label=TRACK_LABEL, required=False)

    def __init__(self, *args, show_track: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        # Over-long text is refused with a message, not cut off by the browser.
        self.fields["body"].widget.attrs.pop("maxlength", None)
        if not show_track:
            del self.fields["track"]


class CommentEditForm(CommentForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, show_track=False, **kwargs)
        self.fields["body"].label = "Your comment"


class RemoveForm(forms.Form):
    reason = forms.ChoiceField(
        label="Reason",
        choices=Comment.RemovalReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a reason for removing the comment."},
    )
    note = forms.CharField(
        label="Note for the audit log (optional)",
        max_length=500,
        required=False,
        widget=forms.TextInput,
    )
