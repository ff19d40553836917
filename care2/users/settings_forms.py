from django import forms

from care2.users.models import User
from care2.users.names import clean_name
from care2.users.timezones import TimeZoneField, offer_current_zone


class ProfileSettingsForm(forms.ModelForm):
    time_zone = TimeZoneField()

    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "bio",
            "time_zone",
            "email_on_tracked_comments",
            "email_on_petition_updates",
        ]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "first_name": "Others see your first name and last initial, e.g. “Beth S”.",
            "bio": "Plain text, up to 500 characters.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offer_current_zone(self)

    def save(self, commit=True):
        """Writes only the form's own columns: the row also holds the credit balance,
        which only the ledger moves (``F()``, in its own transaction); a full save from
        the member object of this request would put back whatever balance it was read
        with."""
        user = super().save(commit=False)
        if commit:
            user.save(update_fields=list(self._meta.fields))
        return user

    def clean_first_name(self):
        return clean_name(self.cleaned_data["first_name"], required=True)

    def clean_last_name(self):
        return clean_name(self.cleaned_data["last_name"], required=False)


class AvatarForm(forms.Form):
    avatar = forms.FileField(
        label="New picture",
        help_text="JPEG, PNG or WebP, up to 5 MB. It is cropped to a square.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )


class DeleteAccountForm(forms.Form):
    confirmation = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput,
        help_text="To be sure it is you. This cannot be undone.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.has_usable_password():
            self.fields["confirmation"] = forms.EmailField(
                label="Your e-mail address",
                help_text="To be sure it is you. This cannot be undone.",
            )

    def clean_confirmation(self):
        value = self.cleaned_data["confirmation"]
        if self.user.has_usable_password():
            if not self.user.check_password(value):
                raise forms.ValidationError("That is not your password.")
        elif value.strip().lower() != self.user.email.lower():
            raise forms.ValidationError("That is not your e-mail address.")
        return value
