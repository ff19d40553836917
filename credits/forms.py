import uuid

from django import forms

from care2.users.models import User
from credits.models import Cause, CreditEntry


class RedeemForm(forms.Form):
    """Redeem credits for a cause. The hidden token, new each time the form is shown,
    makes a double submission redeem once."""

    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    confirm = forms.BooleanField(
        label="Yes, spend my credits on this cause",
        error_messages={"required": "Tick the box to confirm that you want to spend your credits."},
    )


class AdjustmentForm(forms.ModelForm):
    """A moderator's adjustment, as the admin's "add credit entry" form."""

    member = forms.ModelChoiceField(
        queryset=User.objects.all(),
        widget=forms.NumberInput,
        to_field_name="pk",
        help_text="The member's id (from the members list in the admin).",
    )
    amount = forms.IntegerField(
        help_text="Credits to add (or, negative, to take away). Moves the balance and the "
        "lifetime total alike; the balance can never go below zero."
    )
    note = forms.CharField(max_length=300, help_text="Why: the member sees this in their history.")

    class Meta:
        model = CreditEntry
        fields = ["member", "amount", "note"]

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("Enter an amount other than zero.")
        return amount

    def clean(self):
        cleaned = super().clean()
        member, amount = cleaned.get("member"), cleaned.get("amount")
        if member is not None and amount is not None and member.credits_balance + amount < 0:
            self.add_error(
                "amount", f"This member has only {member.credits_balance} credits to take away."
            )
        return cleaned

    def _post_clean(self):
        # The entry is written by credits.services.credit_adjust, not by this form:
        # skip the model instance's validation of fields the service fills in.
        pass


class CauseAdminForm(forms.ModelForm):
    class Meta:
        model = Cause
        fields = [
            "title",
            "slug",
            "description",
            "image",
            "image_alt",
            "cost",
            "stock",
            "is_active",
            "order",
        ]

    def clean_cost(self):
        cost = self.cleaned_data["cost"]
        if cost is not None and cost < 1:
            raise forms.ValidationError("A cause costs at least 1 credit.")
        return cost

    def clean_stock(self):
        stock = self.cleaned_data.get("stock")
        redeemed = self.instance.redeemed_count if self.instance.pk else 0
        if stock is not None and stock < redeemed:
            raise forms.ValidationError(
                f"Already redeemed {redeemed} times: the stock cannot be lower than that."
            )
        return stock
