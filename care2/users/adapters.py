from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib import messages
from django.template.loader import render_to_string

from care2.mail import site_message
from care2.users import devices

TOO_MANY_LOGIN_ATTEMPTS = (
    "Too many wrong passwords were tried for this account, so password sign-in is paused "
    "for a few minutes. You can sign in at once with a code we e-mail you: choose "
    "“E-mail me a sign-in code” below. If you have signed in from this browser before, "
    "your password keeps working here."
)


class AccountAdapter(DefaultAccountAdapter):
    """Account policy: e-mail log-in, names kept as typed.

    - Account e-mails (verification, "you already have an account") go out from the task
      queue, so signing up with a new or a known address does the same work in the
      request (care2.users.signup_forms hashes the password on both paths).
    - Wrong passwords lock an account per browser: a browser the member signed in from
      before (care2.users.devices) keeps its own count, so strangers' guesses cannot
      lock the owner out, and the refusal offers a sign-in code by e-mail.
    - A suspended member who signs in is told they are read-only, and until when.
    """

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": TOO_MANY_LOGIN_ATTEMPTS,
    }

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        key = super()._get_login_attempts_cache_key(request, **credentials)
        login = credentials.get("email", credentials.get("username", "")) or ""
        device = devices.known_device(request, login)
        return f"{key}:device:{device}" if device else key

    def add_message(
        self,
        request,
        level,
        message_template=None,
        message_context=None,
        extra_tags="",
        message=None,
    ):
        user = getattr(request, "user", None)
        if (
            message_template == "account/messages/logged_in.txt"
            and user is not None
            and user.is_authenticated
            and user.is_suspended
        ):
            level = messages.WARNING
            message_template = None
            message = render_to_string(
                "users/messages/signed_in_suspended.txt", {"member": user}
            ).strip()
        return super().add_message(
            request, level, message_template, message_context, extra_tags, message
        )

    def send_account_already_exists_mail(self, email: str) -> None:
        from care2.outbox import enqueue_on_commit
        from care2.users.tasks import send_account_exists_mail_task

        enqueue_on_commit(send_account_exists_mail_task, email)

    def send_confirmation_mail(self, request, emailconfirmation, signup: bool) -> None:
        from care2.outbox import enqueue_on_commit
        from care2.users.tasks import send_confirmation_mail_task

        enqueue_on_commit(
            send_confirmation_mail_task, emailconfirmation.email_address.pk, bool(signup)
        )

    def send_account_already_exists_mail_now(self, email: str) -> None:
        """In the task: the mail allauth sends when someone signs up with a known address."""
        from allauth.utils import build_absolute_uri
        from django.urls import reverse

        context = {
            "signup_url": build_absolute_uri(None, reverse("account_signup")),
            "password_reset_url": build_absolute_uri(None, reverse("account_reset_password")),
        }
        self.send_mail("account/email/account_already_exists", email, context)

    def send_confirmation_mail_now(self, emailconfirmation, signup: bool) -> None:
        """In the task: the verification mail, with links built from the site's domain."""
        super().send_confirmation_mail(None, emailconfirmation, signup)

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
