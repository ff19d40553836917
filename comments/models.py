from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from care2.sanitize import comment_text

# A comment's place in its thread is a materialized path: the ids of its ancestors and
# its own, each zero-padded to PATH_STEP digits ("0000000012" + "0000000040"). Ordering by
# path lists every top-level comment oldest first with its replies, oldest first, under
# it: the whole thread in one indexed query, rendered as a flat list without recursion.
PATH_STEP = 10


def path_segment(pk: int) -> str:
    return f"{pk:0{PATH_STEP}d}"


class CommentQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(status=Comment.Status.VISIBLE)

    def for_thread(self):
        """Every comment of a story in thread order, with its author, in one query."""
        return self.select_related("author").defer("body", "removal_note").order_by("path")


class Comment(models.Model):
    """A member's comment on a story, or a reply to another comment.

    ``body`` is the text as typed (kept for editing and for moderators); ``body_html`` is
    what pages show, sanitized once when the comment is saved (care2.sanitize).
    """

    class Status(models.TextChoices):
        VISIBLE = "visible", "Visible"
        # Enough members reported it (COMMENT_HIDE_AT_REPORTS): out of the thread until
        # a moderator restores or removes it.
        HIDDEN = "hidden", "Hidden after reports"
        DELETED = "deleted", "Deleted by its author"
        REMOVED = "removed", "Removed by a moderator"

    class RemovalReason(models.TextChoices):
        SPAM = "spam", "Spam"
        ABUSE = "abuse", "Abusive or hateful"
        OFF_TOPIC = "off_topic", "Off topic"
        PERSONAL_DATA = "personal_data", "Shares personal information"
        OTHER = "other", "Other"

    # Every comment is written into each of the table's indexes. The story's and the
    # author's rows are found through the composite indexes below, which lead with them, so
    # the foreign keys have no single-column index of their own; the optional keys are
    # indexed only where they are set (a partial index is still used for ``= x``).
    story = models.ForeignKey(
        "stories.Story", on_delete=models.CASCADE, related_name="comments", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments", db_index=False
    )
    # The comment this one is attached under (past COMMENT_MAX_DEPTH, the deepest
    # ancestor allowed, so a thread never becomes unreadable on a phone).
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
        db_index=False,
    )
    path = models.CharField(max_length=400, editable=False)
    depth = models.PositiveSmallIntegerField(default=1, editable=False)
    body = models.TextField("comment", max_length=5000)
    body_html = models.TextField(editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VISIBLE)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The moderator's decision, kept for the audit (the removed text stays in ``body``).
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    removal_reason = models.CharField(max_length=20, choices=RemovalReason.choices, blank=True)
    removal_note = models.CharField(max_length=500, blank=True)
    # A fresh key in every rendered comment form: a double click or a resubmitted page
    # posts the same key, and the unique constraint makes the second post a no-op.
    submission_key = models.UUIDField(null=True, blank=True, editable=False)
    # Members' reports (CommentReport rows), counted with F() as each one is made.
    report_count = models.PositiveIntegerField(default=0, editable=False)
    hidden_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when a moderator decides (restores it or dismisses its reports): reports no
    # longer hide it after that, and it leaves the moderators' queue.
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        permissions = [("remove_comment", "Can remove comments from the site, with a reason")]
        indexes = [
            models.Index(fields=["story", "path"], name="comment_thread_idx"),
            models.Index(fields=["story", "created_at"], name="comment_story_created_idx"),
            models.Index(fields=["created_at"], name="comment_created_idx"),
            models.Index(fields=["author", "-created_at"], name="comment_author_idx"),
            models.Index(
                fields=["parent"],
                condition=models.Q(parent__isnull=False),
                name="comment_parent_idx",
            ),
            models.Index(
                fields=["removed_by"],
                condition=models.Q(removed_by__isnull=False),
                name="comment_removed_by_idx",
            ),
            # The moderators' queue: reported comments not decided on yet.
            models.Index(
                fields=["status"],
                condition=models.Q(report_count__gt=0, reviewed_at__isnull=True),
                name="comment_reported_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "submission_key"],
                condition=models.Q(submission_key__isnull=False),
                name="comment_submitted_once",
            ),
            models.CheckConstraint(condition=~models.Q(body=""), name="comment_body_not_empty"),
            models.CheckConstraint(condition=models.Q(depth__gte=1), name="comment_depth_positive"),
            models.CheckConstraint(
                condition=~models.Q(status="removed") | ~models.Q(removal_reason=""),
                name="comment_removed_has_reason",
            ),
        ]

    def __str__(self):
        # Shown in the admin and the audit trail: the text as the thread shows it.
        text = comment_text(self.body_html, urls=False) if self.body_html else self.body
        text = text if len(text) <= 60 else f"{text[:59]}…"
        return f"{self.author}: {text}" if self.author_id else text

    def get_absolute_url(self):
        return reverse("comments:permalink", args=[self.pk])

    @property
    def is_visible(self) -> bool:
        return self.status == self.Status.VISIBLE

    @property
    def is_hidden(self) -> bool:
        return self.status == self.Status.HIDDEN

    @property
    def awaits_moderator(self) -> bool:
        """Reported, not decided on yet, and still on the site (shown or hidden)."""
        return (
            self.report_count > 0
            and self.reviewed_at is None
            and self.status in (self.Status.VISIBLE, self.Status.HIDDEN)
        )

    @property
    def anchor(self) -> str:
        return f"comment-{self.pk}"

    def ancestor_ids(self) -> list[int]:
        """Ids of the comments above this one, from the top of the thread down."""
        return [
            int(self.path[i : i + PATH_STEP])
            for i in range(0, len(self.path) - PATH_STEP, PATH_STEP)
        ]


class CommentReport(models.Model):
    """A member's report of a problem with a comment. Once per member per comment."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam"
        ABUSE = "abuse", "Abusive or hateful"
        OFF_TOPIC = "off_topic", "Off topic"

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_reports"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "member"], name="comment_report_once_per_member"
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_display()}: comment {self.comment_id}"


class Tracking(models.Model):
    """A member asked for a personal message when other people comment on a story."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_trackings"
    )
    story = models.ForeignKey(
        "stories.Story", on_delete=models.CASCADE, related_name="comment_trackings"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Also the index the notification fan-out pages through (story, member_id).
            models.UniqueConstraint(fields=["story", "member"], name="tracking_once_per_member"),
        ]

    def __str__(self):
        return f"{self.member} tracks {self.story}"
