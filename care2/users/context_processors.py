from django.template.defaultfilters import pluralize
from django.utils.functional import SimpleLazyObject
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from care2 import pagecache
from care2.users import facts


def member_rights(request):
    """``member_can_act``: False only for a signed-in member who is suspended, so pages
    hide the buttons and forms they could not use (Note it, Track, Save, Report, Submit,
    Start, Sign, Redeem). Readers still see them: they lead to the sign-in page."""
    user = getattr(request, "user", None)
    suspended = bool(user is not None and user.is_authenticated and user.is_suspended)
    return {"member_can_act": not suspended}


def header_values(request) -> dict[str, str]:
    """The header's personal parts, as HTML: the member's name and profile link, the inbox
    badge and the balance. Shared member pages (care2.pagecache) hold slots named after
    these keys, filled with these values per request."""
    user = request.user
    unread = facts.for_request(request).unread
    balance = user.credits_balance
    return {
        "pname": conditional_escape(user.public_name),
        "purl": conditional_escape(user.get_absolute_url()),
        "pinbox": format_html(
            ' <span class="badge" data-testid="unread-count" aria-label="{} unread">{}</span>',
            unread,
            unread,
        )
        if unread
        else "",
        "pbalance": f"{balance} credit{pluralize(balance)}",
    }


def inbox(request):
    """The member's unread-message count and the header's personal parts (from the
    member's cached facts, care2.users.facts), or their slots while a shared member page
    renders (care2.pagecache)."""
    user = getattr(request, "user", None)

    def unread():
        if user is None or not user.is_authenticated:
            return 0
        return facts.for_request(request).unread

    def header():
        if user is None or not user.is_authenticated:
            return {}
        if pagecache.BUILDING.get() is not None:
            return {key[1:]: mark_safe(f"\x00{key}\x00") for key in HEADER_SLOTS}  # noqa: S308
        return {key[1:]: mark_safe(value) for key, value in header_values(request).items()}  # noqa: S308

    return {
        "unread_message_count": SimpleLazyObject(unread),
        "member_header": SimpleLazyObject(header),
    }


HEADER_SLOTS = ("pname", "purl", "pinbox", "pbalance")
