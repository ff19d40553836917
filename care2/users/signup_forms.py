"""allauth's sign-up form, doing the same work for a new and a registered address.

With ``ACCOUNT_PREVENT_ENUMERATION`` a sign-up with a registered address creates
nothing and mails the owner instead; that path skipped hashing the password, the
slowest step of a sign-up, so its timing told which addresses are registered. It now
hashes the password once, as creating the member does (the mails of both paths go out
from the task queue: care2.users.adapters). Kept apart from care2.users.forms, which
allauth's form module imports (ACCOUNT_SIGNUP_FORM_CLASS).
"""

from allauth.account.forms import SignupForm
from django.contrib.auth.hashers import make_password


class AccountSignupForm(SignupForm):
    def try_save(self, request):
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1") or "")  # the same cost
        return super().try_save(request)
