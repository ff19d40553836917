from django import forms

from care2.text import ControlCharactersStripped
from care2.users.names import clean_name
from care2.users.timezones import TimeZoneField, offer_current_zone

DEFAULT_TIME_ZONE = "America/New_York"


class SignupForm(ControlCharactersStripped, forms.Form):
    """Extra fields on allauth's sign-up form: the names that make the public name, and
    the time zone (the browser's is preselected by static/js/timezone.js)."""

    first_name = forms.CharField(max_length=60, label="First name", strip=False)
    last_name = forms.CharField(max_length=60, label="Last name", required=False, strip=False)
    # Optional: a form posted without it (an older page, no menu) gets the default.
    time_zone = TimeZoneField(initial=DEFAULT_TIME_ZONE, required=False)

    field_order = ["first_name", "last_name", "email", "password1", "password2", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offer_current_zone(self)
        if not self.is_bound:
            # The script replaces the default with the browser's zone; a form sent back
            # with errors keeps what the member chose.
            self.fields["time_zone"].widget.attrs["data-browser-time-zone"] = ""

    def clean_first_name(self):
        return clean_name(self.cleaned_data["first_name"], required=True)

    def clean_last_name(self):
        return clean_name(self.cleaned_data["last_name"], required=False)

    def signup(self, request, user):
        user.first_name = self.cleaned_data["first_name"]
        user.last_name = self.cleaned_data["last_name"]
        user.time_zone = self.cleaned_data.get("time_zone") or DEFAULT_TIME_ZONE
        user.save(update_fields=["first_name", "last_name", "time_zone"])
