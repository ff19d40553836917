from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Account policy: e-mail log-in, names kept as typed."""


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Facebook sign-ups take their first and last name from the provider."""

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.first_name = (data.get("first_name") or user.first_name or "").strip()
        user.last_name = (data.get("last_name") or user.last_name or "").strip()
        return user
