from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter

from care2.mail import site_message


class AccountAdapter(DefaultAccountAdapter):
    """Account policy: e-mail log-in, names kept as typed."""

    def render_mail(self, template_prefix, email, context, headers=None):
        # Sign-up, verification and password-reset mails serialize like the site's own
        # (links unbroken: care2.mail).
        return site_message(super().render_mail(template_prefix, email, context, headers))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Facebook sign-ups take their first and last name from the provider."""

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.first_name = (data.get("first_name") or user.first_name or "").strip()
        user.last_name = (data.get("last_name") or user.last_name or "").strip()
        return user
