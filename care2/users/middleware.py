import zoneinfo

from django.utils import timezone


class TimezoneMiddleware:
    """Dates on every page follow the member's time zone; readers get the site's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.time_zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


SUSPENSION_ACK = "suspension_ack"


def suspension_token(user) -> str:
    return user.suspended_until.isoformat() if user.suspended_until else ""


class SuspensionMiddleware:
    """Ends the session of a member who was suspended after they logged in.

    A suspended member who logs in again can read (the session then carries the
    suspension it was opened under); acting is refused by ``member_can_act``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_suspended
            and request.session.get(SUSPENSION_ACK) != suspension_token(user)
        ):
            from django.contrib import messages
            from django.contrib.auth import logout

            logout(request)
            messages.error(
                request, "Your account was suspended by a moderator, so you were signed out."
            )
        return self.get_response(request)
