from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from care2.users.models import User


def profile(request, pk):
    """A member's public page: public name, number, member since, their stories."""
    member = get_object_or_404(User, pk=pk, is_active=True)
    stories = member.stories.filter(status__in=["published", "new"]).select_related("category").order_by("-created_at")
    page = Paginator(stories, 20).get_page(request.GET.get("page"))
    return render(request, "users/profile.html", {"member": member, "page_obj": page})


@login_required
def inbox(request):
    """The member's personal messages, newest first."""
    page = Paginator(request.user.messages_received.all(), 50).get_page(request.GET.get("page"))
    return render(request, "users/inbox.html", {"page_obj": page, "inbox_messages": page.object_list})
