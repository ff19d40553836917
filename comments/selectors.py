"""Reads for comments that more than one place uses."""

from django.db.models import Q

from comments.models import Comment, CommentReport, Tracking
from stories.models import Story

# Stories whose comments readers can open (published, or newly submitted).
OPEN_STORY_STATUSES = [Story.Status.PUBLISHED, Story.Status.NEW]


def story_thread(*, story) -> list[Comment]:
    """A story's discussion, in thread order, ready to render as a flat list.

    One query however many comments (authors joined in). A deleted or removed comment is
    kept only when a reply below it is shown, as a "comment deleted" placeholder that
    keeps the thread's shape. What a viewer may do with each comment is added per request
    by ``comments.fragments``, so the thread itself can be shared.
    """
    comments = list(Comment.objects.filter(story=story).for_thread())
    by_pk = {comment.pk: comment for comment in comments}
    # Replies sort after their parent, so walking backwards sees them first.
    for comment in reversed(comments):
        comment.shown = comment.is_visible or getattr(comment, "has_shown_reply", False)
        if comment.shown and comment.parent_id in by_pk:
            by_pk[comment.parent_id].has_shown_reply = True
    return [comment for comment in comments if comment.shown]


def is_tracking(*, member, story) -> bool:
    if member is None or not member.is_authenticated:
        return False
    return Tracking.objects.filter(member=member, story=story).exists()


def has_reported(*, member, comment) -> bool:
    if member is None or not member.is_authenticated:
        return False
    return CommentReport.objects.filter(member=member, comment=comment).exists()


def member_comments(*, member):
    """A member's comments that readers can see (visible, on a story readers can open),
    newest first, each with its story (one query per page)."""
    return (
        Comment.objects.filter(
            author=member, status=Comment.Status.VISIBLE, story__status__in=OPEN_STORY_STATUSES
        )
        .select_related("story")
        # The page shows the text of body_html (as the thread shows it), not the source.
        .defer("body", "path", "removal_note", "story__summary", "story__search_vector")
        .order_by("-created_at", "-id")
    )


def awaiting_moderator():
    """Reported comments with no moderator decision yet, shown or hidden."""
    return Comment.objects.filter(
        Q(status=Comment.Status.VISIBLE) | Q(status=Comment.Status.HIDDEN),
        report_count__gt=0,
        reviewed_at__isnull=True,
    )
