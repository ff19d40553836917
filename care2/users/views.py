from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from care2.users import services
from care2.users.models import Message, User

INBOX_PAGE_SIZE = 50


def profile(request, pk):
    """A member's public page: public name, number, member since, their stories."""
    member = get_object_or_404(User, pk=pk, is_active=True)
    stories = (
        member.stories.filter(status__in=["published", "new"])
        .select_related("category")
        .order_by("-created_at")
    )
    page = Paginator(stories, 20).get_page(request.GET.get("page"))
    return render(request, "users/profile.html", {"member": member, "page_obj": page})


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
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("users:inbox")


@login_required
def message_open(request, pk):
    """Follow a message's link; opening it marks it read."""
    message = get_object_or_404(Message, pk=pk, recipient=request.user)
    services.message_mark_read(user=request.user, message_id=message.pk)
    if message.url and url_has_allowed_host_and_scheme(
        message.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(message.url)
    return redirect("users:inbox")


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
