from django import template
from django.conf import settings
from django.core.paginator import Paginator

from care2.sanitize import comment_text
from care2.users.services import user_has_verified_email
from comments import fragments, selectors
from comments.forms import CommentForm
from comments.services import can_moderate, edit_cutoff

register = template.Library()


@register.filter
def comment_plain_text(body_html: str) -> str:
    """A comment's text without markup, for an excerpt inside a link (links keep their
    text only; the template escapes the result)."""
    return comment_text(body_html or "", urls=False)


@register.inclusion_tag("comments/_thread.html", takes_context=True)
def story_comments(context, story):
    """The comment thread, the comment form and the track toggle of a story page.

    A constant number of queries whatever the thread's size: the thread (one, none when
    its shared rendering is cached: comments.fragments), and for a signed-in member
    whether they track the story, have a verified e-mail and may moderate.

    ``last_visit`` in the page's context (the member's previous visit, None the first
    time) marks the comments written since by others as new to them.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    is_tracking = getattr(story, "is_tracking", None)  # the story page's query has it
    if is_tracking is None:
        is_tracking = selectors.is_tracking(member=user, story=story) if signed_in else False
    is_open = story.status == story.Status.PUBLISHED
    suspended = signed_in and user.is_suspended
    can_comment = is_open and signed_in and not suspended and user_has_verified_email(user)
    thread = fragments.personalize(
        fragments.thread_fragment(story),
        fragments.Viewer(
            pk=user.pk if signed_in else None,
            can_comment=can_comment,
            moderator=signed_in and can_moderate(user),
            suspended=suspended,
            since=context.get("last_visit") if signed_in else None,
            edit_cutoff=edit_cutoff() if signed_in else None,
        ),
    )
    return {
        "story": story,
        "story_url": story.get_absolute_url(),
        "request": request,
        "user": user,
        "csrf_token": context.get("csrf_token"),
        "csp_nonce": context.get("csp_nonce"),
        "thread": thread,
        "is_open": is_open,
        "signed_in": signed_in,
        "can_comment": can_comment,
        "suspended": suspended,
        "is_tracking": is_tracking,
        "form": CommentForm(show_track=not is_tracking) if can_comment else None,
        "edit_minutes": settings.COMMENT_EDIT_MINUTES,
    }


MEMBER_COMMENTS_PER_PAGE = 20


@register.inclusion_tag("comments/_member_comments.html", takes_context=True)
def member_comments(context, member, page_param="comments"):
    """A member's comments for their profile page: each links to its place in its
    thread; paged by ``?<page_param>=`` (two queries: the count and the page)."""
    request = context.get("request")
    paginator = Paginator(selectors.member_comments(member=member), MEMBER_COMMENTS_PER_PAGE)
    page = paginator.get_page(request.GET.get(page_param) if request is not None else None)
    return {
        "member": member,
        "comments_page": page,
        "previous_url": _page_url(request, page_param, page.number - 1)
        if page.has_previous()
        else "",
        "next_url": _page_url(request, page_param, page.number + 1) if page.has_next() else "",
    }


def _page_url(request, param: str, number: int) -> str:
    """This page's URL with one page parameter changed (the others kept)."""
    query = request.GET.copy() if request is not None else {}
    query[param] = number
    return f"?{query.urlencode()}#comments"


@register.inclusion_tag("comments/_tracked_stories.html", takes_context=True)
def tracked_stories(context, member):
    """The stories a member tracks, with a stop button each (settings page)."""
    from comments.models import Tracking

    trackings = (
        Tracking.objects.filter(member=member).select_related("story").order_by("-created_at")[:200]
    )
    return {"trackings": trackings, "request": context.get("request")}
