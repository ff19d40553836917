from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from care2.redirects import redirect_next
from care2.users import services
from care2.users.models import Message, User

INBOX_PAGE_SIZE = 50


def profile(request, pk):
    """A member's public page: public name, number, avatar, bio, member since, and the
    panels the apps above register (their stories, comments, petitions: care2.panels),
    each paged on its own. A suspended member's page still shows; a closed account's
    does not."""
    member = get_object_or_404(User, pk=pk, is_active=True)
    return render(request, "users/profile.html", {"member": member})


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
