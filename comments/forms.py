import uuid

from django import forms

from care2.text import ControlCharactersStripped
from comments.models import Comment, CommentReport
from comments.services import BODY_MAX_LENGTH

TRACK_LABEL = (
    "Track Comments: Notify me with a personal message when other people comment on this story"
)


class CommentForm(ControlCharactersStripped, forms.Form):
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
    submission_key = forms.UUIDField(required=False, widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, show_track: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        # Over-long text is refused with a message, not cut off by the browser.
        self.fields["body"].widget.attrs.pop("maxlength", None)
        if not show_track:
            del self.fields["track"]


class CommentEditForm(CommentForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, show_track=False, **kwargs)
        del self.fields["submission_key"]
        self.fields["body"].label = "Your comment"


class RemoveForm(ControlCharactersStripped, forms.Form):
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


class ReportForm(ControlCharactersStripped, forms.Form):
    reason = forms.ChoiceField(
        label="What is wrong with this comment?",
        choices=CommentReport.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a reason for your report."},
    )
    note = forms.CharField(
        label="Anything the moderators should know? (optional)",
        max_length=300,
        required=False,
        widget=forms.TextInput,
    )


class ModerateForm(ControlCharactersStripped, forms.Form):
    """The admin's decision on one comment: remove it (with a reason), restore it, or
    dismiss its reports."""

    class Decision:
        REMOVE = "remove"
        RESTORE = "restore"
        DISMISS = "dismiss"

    decision = forms.ChoiceField(
        label="Decision",
        widget=forms.RadioSelect,
        choices=[
            (Decision.REMOVE, "Remove it from the site"),
            (Decision.RESTORE, "Restore it: back in the thread, reports no longer hide it"),
            (Decision.DISMISS, "Dismiss its reports: it stays, reports no longer hide it"),
        ],
        error_messages={"required": "Choose what happens to the comment."},
    )
    reason = forms.ChoiceField(
        label="Reason for removing",
        choices=[("", "—"), *Comment.RemovalReason.choices],
        required=False,
    )
    note = forms.CharField(
        label="Note for the audit log", max_length=500, required=False, widget=forms.TextInput
    )

    def __init__(self, *args, comment: Comment, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = {self.Decision.REMOVE}
        if comment.is_hidden:
            allowed.add(self.Decision.RESTORE)
        elif comment.awaits_moderator:
            allowed.add(self.Decision.DISMISS)
        field = self.fields["decision"]
        field.choices = [choice for choice in field.choices if choice[0] in allowed]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == self.Decision.REMOVE and not cleaned.get("reason"):
            self.add_error("reason", "Choose a reason for removing the comment.")
        return cleaned
