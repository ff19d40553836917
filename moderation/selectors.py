"""What waits for the moderators: counts for the dashboard on the admin index."""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.http import urlencode

from comments.models import Comment
from petitions.models import Petition
from stories.models import Story


@dataclass(frozen=True)
class QueueItem:
    """One line of the dashboard: how many items wait, and the admin list showing them."""

    key: str
    label: str
    count: int
    url: str


def _changelist(model, query: dict) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(query)}"


def _can_view(user, model) -> bool:
    return user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}")


def _story_items(user) -> list[QueueItem]:
    if not _can_view(user, Story):
        return []
    # Reports a moderator has not decided on: a decision sets ``reviewed_at``.
    undecided = Q(reviewed_at__isnull=True)
    counts = Story.objects.aggregate(
        new_reported=Count(
            "pk", filter=undecided & Q(status=Story.Status.NEW, report_count__gte=1)
        ),
        hidden=Count("pk", filter=undecided & Q(status=Story.Status.HIDDEN)),
    )
    return [
        QueueItem(
            key="stories-new-reported",
            label="Newly submitted stories with reports",
            count=counts["new_reported"],
            url=_changelist(
                Story,
                {"status__exact": "new", "report_count__gte": 1, "reviewed_at__isnull": "True"},
            ),
        ),
        QueueItem(
            key="stories-hidden",
            label="Stories hidden after reports",
            count=counts["hidden"],
            url=_changelist(Story, {"status__exact": "hidden", "reviewed_at__isnull": "True"}),
        ),
    ]


def _comment_items(user) -> list[QueueItem]:
    if not _can_view(user, Comment):
        return []
    from comments.admin import ReportsFilter

    undecided = Q(report_count__gt=0, reviewed_at__isnull=True)
    counts = Comment.objects.aggregate(
        waiting=Count(
            "pk",
            filter=undecided & Q(status__in=[Comment.Status.VISIBLE, Comment.Status.HIDDEN]),
        ),
        hidden=Count("pk", filter=Q(status=Comment.Status.HIDDEN)),
    )
    return [
        QueueItem(
            key="comments-reported",
            label="Reported comments waiting for a decision",
            count=counts["waiting"],
            url=_changelist(Comment, {ReportsFilter.parameter_name: ReportsFilter.WAITING}),
        ),
        QueueItem(
            key="comments-hidden",
            label="Comments hidden after reports",
            count=counts["hidden"],
            url=_changelist(Comment, {ReportsFilter.parameter_name: ReportsFilter.HIDDEN}),
        ),
    ]


def _petition_items(user) -> list[QueueItem]:
    """Hidden petitions, for moderators who may see the petition list."""
    if not _can_view(user, Petition):
        return []
    url = _changelist(Petition, {"hidden_at__isnull": "False"})
    return [
        QueueItem(
            key="petitions-hidden",
            label="Hidden petitions",
            count=Petition.objects.filter(hidden_at__isnull=False).count(),
            url=url,
        )
    ]


def moderation_queue(*, user) -> list[QueueItem]:
    """Items waiting for a moderator, for the lists ``user`` may see. At most one query
    per kind of item (stories, comments, petitions)."""
    return [*_story_items(user), *_comment_items(user), *_petition_items(user)]
