from django import template
from django.conf import settings

from care2.users.services import user_has_verified_email
from comments import selectors
from comments.forms import CommentForm

register = template.Library()


@register.inclusion_tag("comments/_thread.html", takes_context=True)
def story_comments(context, story):
    """The comment thread, the comment form and the track toggle of a story page.

    A constant number of queries whatever the thread's size: the thread (one), and for a
    signed-in member whether they track the story and have a verified e-mail.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    is_tracking = selectors.is_tracking(member=user, story=story) if signed_in else False
    is_open = story.status == story.Status.PUBLISHED
    can_comment = is_open and signed_in and user_has_verified_email(user)
    return {
        "story": story,
        "story_url": story.get_absolute_url(),
        "request": request,
        "user": user,
        "csrf_token": context.get("csrf_token"),
        "csp_nonce": context.get("csp_nonce"),
        "thread": selectors.story_thread(story=story, viewer=user),
        "is_open": is_open,
        "signed_in": signed_in,
        "can_comment": can_comment,
        "is_tracking": is_tracking,
        "form": CommentForm(show_track=not is_tracking) if can_comment else None,
        "edit_minutes": settings.COMMENT_EDIT_MINUTES,
    }
