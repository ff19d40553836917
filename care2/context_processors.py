from django.conf import settings
from django.utils.functional import SimpleLazyObject


def site(request):
    """Site name, and the member's unread-message count (one cheap query, only if shown)."""
    user = getattr(request, "user", None)

    def unread():
        if user is None or not user.is_authenticated:
            return 0
        return user.messages_received.filter(read_at__isnull=True).count()

    return {"SITE_NAME": settings.SITE_NAME, "unread_message_count": SimpleLazyObject(unread)}
