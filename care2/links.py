"""Links that leave the site (e-mails): absolute, on the current Site's domain."""

from django.conf import settings
from django.contrib.sites.models import Site


def absolute_url(path: str) -> str:
    """``path`` on the current Site's domain, with the account protocol (http or https)."""
    domain = Site.objects.get_current().domain
    return f"{settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL}://{domain}{path}"
