from allauth.account.signals import user_logged_in as allauth_user_logged_in
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from care2.users import devices
from care2.users.middleware import SUSPENSION_ACK, suspension_token


@receiver(user_logged_in)
def remember_suspension_at_login(sender, request, user, **kwargs):
    """A session opened while suspended may read: the middleware will not end it."""
    if request is not None and hasattr(request, "session"):
        request.session[SUSPENSION_ACK] = suspension_token(user)


@receiver(allauth_user_logged_in)
def remember_device_at_login(sender, request, user, response=None, **kwargs):
    """The browser a member signs in from keeps their password working when strangers
    have paused password sign-in for the account (care2.users.devices)."""
    devices.remember(request, response, user)
