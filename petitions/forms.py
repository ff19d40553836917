import copy
import datetime
import uuid

from django import forms
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from care2.text import ControlCharactersStripped
from petitions.countries import COUNTRIES
from petitions.deadlines import DEADLINE_MAX_YEARS, deadline_latest_day
from petitions.images import ImageRejected, pending_from_token, pending_token, store_upload
from stories.models import Category, Story


class PetitionForm(ControlCharactersStripped, forms.Form):
    # The same form submitted twice (two clicks, back and resubmit) starts one petition.
    submission_key = forms.UUIDField(required=False, widget=forms.HiddenInput, initial=uuid.uuid4)
    title = forms.CharField(
        min_length=10,
        max_length=150,
        help_text="10 to 150 characters: what you are asking for.",
    )
    target = forms.CharField(
        label="Whom does it address?",
        max_length=200,
        help_text="The person or body that can make it happen, e.g. “The city council of Springfield”.",
    )
    why = forms.CharField(
        label="Why it matters",
        widget=forms.Textarea(attrs={"rows": 10}),
        min_length=1,
        max_length=10_000,
        help_text="Plain text, up to 10,000 characters; links written as <a href> are kept.",
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(), empty_label="Choose a category"
    )
    # Shown (with a preview) only when a re-shown form already holds a picture.
    keep_image = forms.BooleanField(label="Keep this picture", required=False, initial=True)
    image = forms.FileField(
        required=False,
        help_text="Optional: a JPEG, PNG or WebP picture, up to 10 MB and 40 megapixels.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    # A signed reference to the picture already uploaded with this form, so a form
    # re-shown with errors keeps it (browsers never keep a chosen file).
    image_token = forms.CharField(required=False, widget=forms.HiddenInput)
    goal = forms.IntegerField(
        label="Signature goal",
        min_value=1,
        max_value=100_000_000,
        initial=settings.PETITION_DEFAULT_GOAL,
        help_text="When you reach it, we raise it for you.",
    )
    deadline = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"Optional: the petition closes at the end of this day, at most {DEADLINE_MAX_YEARS} years ahead.",
    )
    story = forms.ModelChoiceField(
        queryset=Story.objects.visible(),
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.pending_image = None  # the storage name of the picture this form holds

    @property
    def pending_image_url(self) -> str:
        if not self.pending_image or self.user is None:
            return ""
        token = pending_token(name=self.pending_image, user_id=self.user.pk)
        return reverse("petitions:image_preview", args=[token])

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())

    def clean_image(self):
        upload = self.cleaned_data.get("image")
        if not upload:
            return None
        try:
            # Only the cheap checks here (size, format, pixels from the header), so the
            # form can say why; the file is stored as it came and a task re-encodes it.
            return store_upload(upload)
        except ImageRejected as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        data = super().clean()
        name = data.get("image")
        held = None
        if self.user is not None and data.get("image_token"):
            held = pending_from_token(data["image_token"], user_id=self.user.pk)
        if not name and data.get("keep_image"):
            name = data["image"] = held
        elif held and held != name:
            default_storage.delete(held)  # replaced by a new choice, or dropped
        self.pending_image = name or None
        if self.is_bound:
            # A re-shown form carries the picture it holds (or none, if it was dropped).
            self.data = self.data.copy()
            self.data["image_token"] = (
                pending_token(name=name, user_id=self.user.pk) if name and self.user else ""
            )
            self.data["keep_image"] = "on" if name else ""
        return data

    def clean_deadline(self):
        day = self.cleaned_data.get("deadline")
        if day is None:
            return None
        today = timezone.localdate()
        if day <= today:
            raise forms.ValidationError("Choose a day after today.")
        # Checked on the date, before any arithmetic: 9999-12-31 would overflow below.
        if day > deadline_latest_day(today):
            raise forms.ValidationError(
                f"Choose a day at most {DEADLINE_MAX_YEARS} years ahead "
                f"(by {date_format(deadline_latest_day(today), 'F j, Y')})."
            )
        end = datetime.datetime.combine(day, datetime.time.max)
        return timezone.make_aware(end, timezone.get_current_timezone())


class MemberSignForm(ControlCharactersStripped, forms.Form):
    comment = forms.CharField(
        label="Your comment (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    show_name = forms.BooleanField(
        label="Show my name on the petition", required=False, initial=True
    )
    hear_more = forms.BooleanField(
        label="Send me the creator's updates in my inbox", required=False, initial=True
    )


COUNTRY_CHOICES = [("", "Choose your country"), *COUNTRIES]


_RENDERED_SELECTS: dict[tuple, str] = {}


class CountrySelect(forms.Select):
    """The country <select>, rendered once per name, value and attributes and reused:
    Django renders two templates per option, 500 for 250 countries, which was most of a
    petition page's time (bench/README.md). Bounded, since a re-shown form may carry
    any value."""

    def render(self, name, value, attrs=None, renderer=None):
        key = (
            name,
            "" if value is None else str(value),
            tuple(sorted({**self.attrs, **(attrs or {})}.items())),
            type(renderer),
        )
        html = _RENDERED_SELECTS.get(key)
        if html is None:
            html = super().render(name, value, attrs, renderer)
            if len(_RENDERED_SELECTS) < 1000:
                _RENDERED_SELECTS[key] = html
        return html

    def __deepcopy__(self, memo):
        # Like Select's, without re-normalizing 250 choices for every form.
        obj = copy.copy(self)
        obj.attrs = self.attrs.copy()
        memo[id(self)] = obj
        return obj


class CountryField(forms.ChoiceField):
    """The ISO country list, shared between form instances: ChoiceField deep-copies its
    choices for every form, which costs ~2 ms a request for 250 countries on the sign path."""

    def __deepcopy__(self, memo):
        result = forms.Field.__deepcopy__(self, memo)
        result._choices = self._choices
        return result


class ReaderSignForm(ControlCharactersStripped, forms.Form):
    first_name = forms.CharField(max_length=60)
    last_name = forms.CharField(max_length=60)
    email = forms.EmailField(label="E-mail", max_length=254)
    country = CountryField(choices=COUNTRY_CHOICES, widget=CountrySelect)
    comment = forms.CharField(
        label="Your comment (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    show_name = forms.BooleanField(
        label="Show my name on the petition", required=False, initial=True
    )
    allow_contact = forms.BooleanField(
        label="Let the petition's creator contact me by e-mail", required=False
    )

    def clean_first_name(self):
        value = " ".join(self.cleaned_data["first_name"].split())
        if not value:
            raise forms.ValidationError("Enter your first name.")
        return value

    def clean_last_name(self):
        value = " ".join(self.cleaned_data["last_name"].split())
        if not value:
            raise forms.ValidationError("Enter your last name.")
        return value


class VictoryForm(ControlCharactersStripped, forms.Form):
    message = forms.CharField(
        label="What did you win?",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class UpdateForm(ControlCharactersStripped, forms.Form):
    title = forms.CharField(label="Update title", max_length=150)
    submission_key = forms.UUIDField(required=False, widget=forms.HiddenInput, initial=uuid.uuid4)
    body = forms.CharField(
        label="What's new?", max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
