from django.conf import settings


def site(request):
    """The site's name (the member's unread-message count: care2.users.context_processors)."""
    return {"SITE_NAME": settings.SITE_NAME}
