from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from care2.users.middleware import SUSPENSION_ACK, suspension_token


@receiver(user_logged_in)
def remember_suspension_at_login(sender, request, user, **kwargs):
    """A session opened while suspended may read: the middleware will not end it."""
    if request is not None and hasattr(request, "session"):
        request.session[SUSPENSION_ACK] = suspension_token(user)
