import factory
from django.db.models import F
from django.utils import timezone

from care2.sanitize import sanitize_comment
from comments.models import Comment, CommentReport, Tracking, path_segment
from stories.models import Story
from tests.factories import StoryFactory, UserFactory


class CommentFactory(factory.django.DjangoModelFactory):
    """A visible comment, written straight to the table (no credits, no notifications).
    Keeps ``path``, ``depth`` and the story's ``comment_count`` right."""

    class Meta:
        model = Comment
        skip_postgeneration_save = True

    story = factory.SubFactory(StoryFactory, published=True)
    author = factory.SubFactory(UserFactory)
    parent = None
    body = factory.Sequence(lambda n: f"A thoughtful remark, number {n}.")
    body_html = factory.LazyAttribute(lambda o: sanitize_comment(o.body))
    created_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        parent = kwargs.get("parent")
        if parent is not None:
            kwargs["story"] = parent.story
            kwargs.setdefault("depth", parent.depth + 1)
        comment = super()._create(model_class, *args, path="", **kwargs)
        comment.path = (parent.path if parent else "") + path_segment(comment.pk)
        Comment.objects.filter(pk=comment.pk).update(path=comment.path)
        if comment.status == Comment.Status.VISIBLE:
            Story.objects.filter(pk=comment.story_id).update(comment_count=F("comment_count") + 1)
        return comment


class TrackingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tracking

    member = factory.SubFactory(UserFactory)
    story = factory.SubFactory(StoryFactory, published=True)


def bulk_thread(*, story, authors, count: int, replies_every: int = 3) -> list[Comment]:
    """``count`` comments on ``story`` in few queries: every ``replies_every``-th one a
    reply to the comment before it (nesting deeper and deeper, up to depth 8)."""
    now = timezone.now()
    comments = Comment.objects.bulk_create(
        Comment(
            story=story,
            author=authors[i % len(authors)],
            body=f"Comment {i} with a link https://example.org/{i}",
            body_html=sanitize_comment(f"Comment {i} with a link https://example.org/{i}"),
            path="",
            created_at=now,
        )
        for i in range(count)
    )
    previous = None
    for i, comment in enumerate(comments):
        parent = (
            previous
            if (previous is not None and i % replies_every and previous.depth < 8)
            else None
        )
        comment.parent = parent
        comment.depth = parent.depth + 1 if parent else 1
        comment.path = (parent.path if parent else "") + path_segment(comment.pk)
        previous = comment
    Comment.objects.bulk_update(comments, ["parent", "depth", "path"], batch_size=500)
    Story.objects.filter(pk=story.pk).update(comment_count=F("comment_count") + count)
    return comments


class CommentReportFactory(factory.django.DjangoModelFactory):
    """A report row only (the comment's ``report_count`` is left alone: use
    comments.services.comment_report to count and hide)."""

    class Meta:
        model = CommentReport

    comment = factory.SubFactory(CommentFactory)
    member = factory.SubFactory(UserFactory)
    reason = CommentReport.Reason.SPAM
