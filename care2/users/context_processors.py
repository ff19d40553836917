from django.utils.functional import SimpleLazyObject


def member_rights(request):
    """``member_can_act``: False only for a signed-in member who is suspended, so pages
    hide the buttons and forms they could not use (Note it, Track, Save, Report, Submit,
    Start, Sign, Redeem). Readers still see them: they lead to the sign-in page."""
    user = getattr(request, "user", None)
    suspended = bool(user is not None and user.is_authenticated and user.is_suspended)
    return {"member_can_act": not suspended}


def inbox(request):
    """The member's unread-message count (one cheap query, only if shown)."""
    user = getattr(request, "user", None)

    def unread():
        if user is None or not user.is_authenticated:
            return 0
        return user.messages_received.filter(read_at__isnull=True).count()

    return {"unread_message_count": SimpleLazyObject(unread)}
