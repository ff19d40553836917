from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from care2.redirects import redirect_next
from care2.users import services
from care2.users.models import Message, User

INBOX_PAGE_SIZE = 50
PROFILE_STORIES_PER_PAGE = 20
PROFILE_STORIES_PARAM = "stories"


def profile(request, pk):
    """A member's public page: public name, number, avatar, bio, member since, their
    stories and comments (each paged on its own). A suspended member's page still
    shows; a closed account's does not."""
    member = get_object_or_404(User, pk=pk, is_active=True)
    # Through the reverse relation: care2.users sits below stories (DESIGN.md section 3).
    stories = (
        member.stories.filter(status__in=["published", "new"])
        .select_related("category")
        .defer("summary", "search_vector")
        .order_by("-created_at", "-id")
    )
    page = Paginator(stories, PROFILE_STORIES_PER_PAGE).get_page(
        request.GET.get(PROFILE_STORIES_PARAM)
    )
    context = {
        "member": member,
        "stories_page": page,
        "stories_previous_url": _page_url(request, PROFILE_STORIES_PARAM, page.number - 1)
        if page.has_previous()
        else "",
        "stories_next_url": _page_url(request, PROFILE_STORIES_PARAM, page.number + 1)
        if page.has_next()
        else "",
    }
    return render(request, "users/profile.html", context)


def _page_url(request, param: str, number: int) -> str:
    """This page's URL with one page parameter changed (the other lists keep theirs)."""
    query = request.GET.copy()
    query[param] = number
    return f"?{query.urlencode()}#stories"


@login_required
def inbox(request):
    """The member's personal messages, newest first, unread ones marked."""
    page = Paginator(request.user.messages_received.all(), INBOX_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page_obj": page,
        "inbox_messages": page.object_list,
        "unread_count": request.user.messages_received.unread().count(),
    }
    return render(request, "users/inbox.html", context)


def _back_to_inbox(request):
    return redirect_next(request, request.POST.get("next"), redirect("users:inbox"))


@login_required
def message_open(request, pk):
    """Follow a message's link; opening it marks it read."""
    message = get_object_or_404(Message, pk=pk, recipient=request.user)
    services.message_mark_read(user=request.user, message_id=message.pk)
    return redirect_next(request, message.url, redirect("users:inbox"))


@require_POST
@login_required
def message_mark_read(request, pk):
    """Mark one message read."""
    services.message_mark_read(user=request.user, message_id=pk)
    return _back_to_inbox(request)


@require_POST
@login_required
def messages_mark_all_read(request):
    """Mark every message read."""
    count = services.messages_mark_all_read(user=request.user)
    if count:
        messages.success(request, f"{count} message{'s' if count != 1 else ''} marked read.")
    return _back_to_inbox(request)
