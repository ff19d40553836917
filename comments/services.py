"""Writes for comments: posting, editing, deleting, moderating, tracking, notifying.

Views, admin actions, the demo and Celery tasks all call these. ``Story.comment_count``
counts *visible* comments (what the thread shows; deleted and removed ones do not
count), and changes only through ``stories.services.story_comment_count_add`` or its
statement (F(), in the transaction that adds or hides the comment).
Every moderator decision (remove, restore, dismiss reports) writes an audit entry.
"""

import datetime
import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from care2 import rows
from care2.links import absolute_url
from care2.outbox import enqueue_on_commit, insert_from_sql, send_on_commit
from care2.pagecache import pages_changed
from care2.reports import Reportable, report_file
from care2.sanitize import comment_text, html_has_visible_text, normalize_text, sanitize_comment
from care2.users import notifications
from care2.users.models import Message, User
from care2.users.services import audit_record_many, user_has_verified_email
from comments.models import PATH_STEP, Comment, CommentReport, Tracking, path_segment
from credits.services import Action, credit_award, credit_reverse
from stories import selectors as story_selectors
from stories.models import Story
from stories.services import story_comment_count_add, story_comment_count_add_sql

BODY_MAX_LENGTH = 5000
EXCERPT_LENGTH = 200
STOP_TRACKING_SALT = "comments.stop-tracking"
# A post locks its story's row (the count, in the comment's own statement) before its
# author's (the credits), as a vet does; a writer taking them the other way round at the
# same moment can meet it in a deadlock, which PostgreSQL breaks by rolling one back:
# the post retries.
DEADLOCK_ATTEMPTS = 3
SUSPENDED_MESSAGE = "Your account is suspended: you can read, but not comment or report."
CLOSED_MESSAGE = "Comments are open on published stories only."
EMPTY_MESSAGE = (
    "Please write something: an empty comment can't be posted (spaces, invisible "
    "characters and empty tags alone show as nothing)."
)


class CommentError(Exception):
    """A rule refused the action; the message is shown to the member."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- posting ----------------------------------------------------------------------


def _clean_body(body: str) -> tuple[str, str]:
    """The text kept for ``body`` and its sanitized HTML (sanitized once: checking that
    it shows anything takes the same HTML the page shows)."""
    text = normalize_text(body or "")
    html = sanitize_comment(text)
    if not html_has_visible_text(html):
        # Spaces, zero-width characters or empty tags alone would show as nothing.
        raise CommentError(EMPTY_MESSAGE)
    if len(text) > BODY_MAX_LENGTH:
        raise CommentError(
            f"Comments can be at most {BODY_MAX_LENGTH:,} characters (yours has {len(text):,})."
        )
    return text, html


def _attach_point(parent: Comment) -> Comment:
    """Where a reply to ``parent`` goes: under it, or past COMMENT_MAX_DEPTH under the
    deepest ancestor that keeps the reply at the maximum depth."""
    max_depth = max(1, settings.COMMENT_MAX_DEPTH)
    if parent.depth < max_depth:
        return parent
    if max_depth == 1:
        return None
    ancestors = parent.ancestor_ids()
    return Comment.objects.get(pk=ancestors[max_depth - 2])


def _checked_post(*, author: User, body: str, **fields) -> dict:
    """What ``_comment_insert`` takes from a post: its text and HTML (``_clean_body``)
    and ``fields``, if ``author`` may comment."""
    text, html = _clean_body(body)
    if author.is_suspended:
        raise CommentError(SUSPENDED_MESSAGE)
    if not user_has_verified_email(author):
        raise CommentError("Please verify your e-mail address before you comment.")
    return {"author": author, "text": text, "html": html, **fields}


def comment_create(
    *,
    author: User,
    story: Story,
    body: str,
    parent: Comment | None = None,
    track: bool = False,
    created_at: datetime.datetime | None = None,
    submission_key=None,
) -> Comment:
    """Post a comment on a published story, or a reply to one of its comments.

    ``submission_key`` (from the form) makes a double-submitted form post once: the
    second request gets the first one's comment back.

    Pays the author in credits, tracks the story if asked, and (once committed) sends a
    personal message to the story's other trackers.
    """
    post = _checked_post(author=author, body=body, track=track, submission_key=submission_key)
    if story.status != Story.Status.PUBLISHED:
        raise CommentError(CLOSED_MESSAGE)
    if parent is not None:
        if parent.story_id != story.pk:
            raise CommentError("You can only reply to a comment on the same story.")
        if not parent.is_visible:
            raise CommentError("That comment is gone, so it can't be replied to.")
        parent = _attach_point(parent)
    comment = _comment_insert(story_id=story.pk, parent=parent, created_at=created_at, **post)
    comment.story = story
    story.comment_count = (story.comment_count or 0) + 1
    return comment


def comment_post(
    *, author: User, story_id: int, body: str, track: bool = False, submission_key=None
) -> Comment:
    """``comment_create`` for a comment (not a reply) on the story ``story_id``, without
    reading the story first: the comment's own statement counts it only on a published
    story, and refuses it (nothing written) if there is none. The comment's
    ``story`` holds the story's id and slug only (enough for its URL; any other field
    is read when used)."""
    post = _checked_post(author=author, body=body, track=track, submission_key=submission_key)
    if story_selectors.story_id(story_id) is None:
        raise CommentError(CLOSED_MESSAGE)  # an id no story can have (the URL takes any)
    comment = _comment_insert(story_id=story_id, parent=None, created_at=None, **post)
    if not Comment.story.is_cached(comment):  # an earlier post of the form; not PostgreSQL
        comment.story = Story.objects.only("id", "slug").get(pk=story_id)
    return comment


def _comment_insert(*, author, submission_key, **fields):
    """Insert the comment (``_comment_insert_once``), retrying a deadlock; the earlier
    comment of the same form if it was posted before."""
    attempt = 1
    while True:
        try:
            return _comment_insert_once(author=author, submission_key=submission_key, **fields)
        except IntegrityError:
            # The unique (author, submission_key) refused the row: the same form was
            # posted before, or is being posted at this moment (the insert waited for
            # that one to commit). Its comment is the answer. Looked up only then, so an
            # ordinary post pays no query for it.
            earlier = None
            if submission_key is not None:
                earlier = Comment.objects.filter(
                    author=author, submission_key=submission_key
                ).first()
            if earlier is None:
                raise
            return earlier
        except OperationalError as error:
            if attempt >= DEADLOCK_ATTEMPTS or not _retriable_deadlock(error):
                raise
            attempt += 1


def _retriable_deadlock(error: OperationalError) -> bool:
    """PostgreSQL broke a lock cycle by rolling the post's transaction back (SQLSTATE
    40P01), and nothing else was undone with it (the post ran in no outer transaction,
    whose locks would meet the same cycle again)."""
    deadlock = getattr(error.__cause__, "sqlstate", None) == "40P01"
    return deadlock and not connection.in_atomic_block


def _comment_insert_once(
    *, author, story_id, parent, text, html, track, created_at, submission_key
):
    with transaction.atomic():
        comment = _comment_posted(
            story_id=story_id,
            author=author,
            parent=parent,
            depth=parent.depth + 1 if parent else 1,
            path=parent.path if parent else "",
            body=text,
            body_html=html,
            created_at=created_at or timezone.now(),
            submission_key=submission_key,
        )
        if comment is None:
            # The story is not published (any more, or was never), or is gone.
            raise CommentError(CLOSED_MESSAGE)
        credit_award(
            member=author, action=Action.COMMENT, target=comment, key=f"comment:{comment.pk}"
        )
        if track:
            tracking_start(member=author, story=comment.story)
        pages_changed()
    return comment


def _comment_posted(**fields) -> Comment | None:
    """Insert a comment, count it on its story and queue its notification (care2.outbox),
    if the story is still published; None (and nothing written) if it is not.

    On PostgreSQL in one statement: the story's conditional count drives the rest (no
    count, no comment), the comment's id is drawn from its sequence in the statement,
    which builds the path from it, and the outbox row takes the id from the comment.
    Other databases run the three statements of ``_comment_row``, the outbox and the
    count (the caller's rollback undoes the first two for a story not published)."""
    if connection.vendor != "postgresql":
        comment = _comment_row(**fields)
        enqueue_comment_notify(comment_id=comment.pk)
        counted = story_comment_count_add(story_id=comment.story_id, delta=1, published_only=True)
        return comment if counted else None
    from comments.tasks import comment_notify_task

    comment = Comment(**fields)
    prefix = comment.path
    outbox_sql, outbox_values, message = insert_from_sql(
        comment_notify_task, "inserted", "jsonb_build_array(inserted.id)"
    )
    sql = _comment_post_sql(outbox_sql)
    _, columns = _comment_insert_from_reserved()

    def completed(comment, row):
        comment.path = f"{prefix}{path_segment(comment.pk)}"
        message.pk, message.args = row[1], [comment.pk]
        # The story as far as the statement read it: enough for its URL.
        comment.story = Story.from_db(connection.alias, ["id", "slug"], [comment.story_id, row[2]])

    leading = [1, comment.story_id, Story.Status.PUBLISHED.value, Comment._meta.db_table, prefix]
    rows.insert(comment, sql, columns, leading=leading, trailing=outbox_values, completed=completed)
    if comment.pk is None:
        return None
    send_on_commit(message, idempotent=True)
    return comment


def _comment_row(**fields) -> Comment:
    """Insert a comment whose ``path`` ends with its own id. On PostgreSQL in one
    statement: the id is drawn from the table's sequence in the INSERT itself, which
    builds the path from it, so the row goes in whole in one round trip (not an insert
    and an update of the path, nor a query for the id first), with the model's save
    signals sent as ``save()`` sends them. Other databases insert the row, then complete
    the path."""
    comment = Comment(**fields)
    prefix = comment.path
    if connection.vendor != "postgresql":
        comment.save(force_insert=True)
        comment.path = f"{prefix}{path_segment(comment.pk)}"
        Comment.objects.filter(pk=comment.pk).update(path=comment.path)
        return comment
    sql, columns = _comment_insert_sql()

    def complete_path(comment, row):
        comment.path = f"{prefix}{path_segment(comment.pk)}"

    return rows.insert(
        comment, sql, columns, leading=[Comment._meta.db_table, prefix], completed=complete_path
    )


# The comment's id, drawn from its table's sequence (the parameter: the table's name).
_RESERVE = "SELECT nextval(pg_get_serial_sequence(%s, 'id')) AS id"


@functools.cache
def _comment_insert_sql() -> tuple[str, list]:
    """The one-statement INSERT of a comment (PostgreSQL) and the fields it takes, in
    order after the table name and the path's prefix: every column but the id and the
    path."""
    insert, columns = _comment_insert_from_reserved()
    return f"WITH reserved AS ({_RESERVE}) {insert}", columns


@functools.cache
def _comment_insert_from_reserved() -> tuple[str, list]:
    """The INSERT of a comment whose id comes from the CTE ``reserved``: it takes the
    path's prefix, then the fields, which come through a SELECT, each cast to its
    column's type (``rows.cast_placeholders``)."""
    quote = connection.ops.quote_name
    meta = Comment._meta
    columns = [f for f in meta.concrete_fields if f.attname not in ("id", "path")]
    names = ", ".join(quote(f.column) for f in columns)
    casts = rows.cast_placeholders(connection.alias, tuple(columns))
    own = f"lpad(id::text, greatest({PATH_STEP}, length(id::text)), '0')"  # path_segment
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({quote('id')}, {quote('path')}, {names}) "
        f"SELECT id, %s || {own}, {casts} FROM reserved RETURNING {quote('id')}"
    )
    return sql, columns


@functools.cache
def _comment_post_sql(outbox_sql: str) -> str:
    """A comment's post in one statement (PostgreSQL): the story's count (only while it
    is published: delta, story, status), the comment's id drawn only if it counted (the
    table's name), the comment (``_comment_insert_from_reserved``), and the outbox row
    (``outbox_sql``'s parameters). Returns the comment's id, the message's and the story's
    slug, or no row."""
    count_sql = story_comment_count_add_sql(published_only=True)
    insert, _ = _comment_insert_from_reserved()
    slug = connection.ops.quote_name(Story._meta.get_field("slug").column)
    return (
        f"WITH counted AS ({count_sql} RETURNING {slug} AS slug), "
        f"reserved AS ({_RESERVE} FROM counted), "
        f"inserted AS ({insert}), queued AS ({outbox_sql}) "
        "SELECT inserted.id, queued.id, counted.slug FROM inserted, queued, counted"
    )


def enqueue_comment_notify(*, comment_id: int) -> None:
    """Queue the notification fan-out in the current transaction (care2.outbox): sent to
    the broker once the comment commits, swept up later if the broker was down, and
    never sent for a comment that was rolled back. Idempotent: a repeated delivery skips
    every tracker whose inbox has the message already, e-mail included, so the outbox's
    sent mark need not wait for the disk."""
    from comments.tasks import comment_notify_task

    enqueue_on_commit(comment_notify_task, comment_id, idempotent=True)


# --- editing and deleting -----------------------------------------------------------


def comment_can_edit(*, comment: Comment, member, now: datetime.datetime | None = None) -> bool:
    """The author may edit a visible comment for COMMENT_EDIT_MINUTES after posting it."""
    if not getattr(member, "is_authenticated", False) or comment.author_id != member.pk:
        return False
    return comment.is_visible and comment.created_at >= edit_cutoff(now)


def edit_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(minutes=settings.COMMENT_EDIT_MINUTES)


def comment_edit(*, comment: Comment, editor: User, body: str) -> Comment:
    """The author corrects their comment within the edit window; it then shows "edited"."""
    if comment.author_id != editor.pk:
        raise CommentError("You can only edit your own comments.")
    if editor.is_suspended:
        raise CommentError(SUSPENDED_MESSAGE)
    if not user_has_verified_email(editor):
        raise CommentError("Please verify your e-mail address before you edit a comment.")
    text, html = _clean_body(body)
    if text == comment.body:
        return comment
    now = timezone.now()
    changed = Comment.objects.filter(
        pk=comment.pk, status=Comment.Status.VISIBLE, created_at__gte=edit_cutoff(now)
    ).update(body=text, body_html=html, edited_at=now)
    if not changed:
        raise CommentError(
            f"Comments can be edited for {settings.COMMENT_EDIT_MINUTES} minutes after "
            "posting; this one can no longer be changed."
        )
    pages_changed()
    comment.body, comment.body_html, comment.edited_at = text, html, now
    return comment


def comment_delete(*, comment: Comment, member: User) -> Comment:
    """The author deletes their comment, at any time. With replies it stays in the
    thread as "comment deleted" so the replies keep their place."""
    if comment.author_id != member.pk:
        raise CommentError("You can only delete your own comments.")
    now = timezone.now()
    with transaction.atomic():
        changed = Comment.objects.filter(pk=comment.pk, status=Comment.Status.VISIBLE).update(
            status=Comment.Status.DELETED, deleted_at=now
        )
        if not changed:
            raise CommentError("This comment was already deleted or removed.")
        story_comment_count_add(story_id=comment.story_id, delta=-1)
        pages_changed()
    comment.status, comment.deleted_at = Comment.Status.DELETED, now
    return comment


# --- the count ----------------------------------------------------------------------


@dataclass(frozen=True)
class CountMismatch:
    story_id: int
    counted: int  # Story.comment_count
    visible: int  # the story's visible comments


def comment_counts_reconcile(*, fix: bool = False) -> list[CountMismatch]:
    """Compare every story's ``comment_count`` with its visible comments, in one query
    (one snapshot: a post counts in the transaction that inserts it, so posts in flight
    never show as drift). With ``fix``, set each wrong count to the exact one: recounted
    under the story's row lock, through the count's one helper, so a post committing
    meanwhile is neither lost nor counted twice."""
    drifted = (
        Story.objects.order_by()
        .values("pk", "comment_count")
        .annotate(visible=Count("comments", filter=Q(comments__status=Comment.Status.VISIBLE)))
        .exclude(comment_count=F("visible"))
        .order_by("pk")
    )
    mismatches = [
        CountMismatch(story_id=row["pk"], counted=row["comment_count"], visible=row["visible"])
        for row in drifted
    ]
    if fix:
        for mismatch in mismatches:
            with transaction.atomic():
                counted = (
                    Story.objects.select_for_update()
                    .filter(pk=mismatch.story_id)
                    .values_list("comment_count", flat=True)
                    .first()
                )
                if counted is None:
                    continue  # deleted since
                exact = Comment.objects.visible().filter(story_id=mismatch.story_id).count()
                if exact != counted:
                    story_comment_count_add(story_id=mismatch.story_id, delta=exact - counted)
    return mismatches


# --- moderation ---------------------------------------------------------------------


def can_moderate(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_perm(
        "comments.remove_comment"
    )


@dataclass(frozen=True)
class RemovalResult:
    removed: int


def comments_remove(
    *, comment_ids: Iterable[int], moderator: User, reason: str, note: str = ""
) -> RemovalResult:
    """A moderator takes comments off the site, with a reason. The text is kept for the
    audit and never shown; removed as spam, the comment's credits are reversed."""
    if not can_moderate(moderator):
        raise CommentError("Only moderators can remove comments.")
    if reason not in Comment.RemovalReason.values:
        raise CommentError("Choose a reason for removing the comment.")
    note = note.strip()[:500]
    now = timezone.now()
    with transaction.atomic():
        comments = list(
            Comment.objects.select_for_update()
            .filter(pk__in=list(comment_ids))
            .exclude(status=Comment.Status.REMOVED)
            .order_by("pk")
        )
        leaving = Counter(c.story_id for c in comments if c.is_visible)
        for comment in comments:
            comment.status = Comment.Status.REMOVED
            comment.removed_at, comment.removed_by = now, moderator
            comment.removal_reason, comment.removal_note = reason, note
            comment.save(
                update_fields=[
                    "status",
                    "removed_at",
                    "removed_by",
                    "removal_reason",
                    "removal_note",
                ]
            )
            if reason == Comment.RemovalReason.SPAM:
                credit_reverse(key=f"comment:{comment.pk}", reason="spam")
        # The counts last, story by story: the authors' rows (the credits) are locked
        # before the stories' rows, in the order a post takes them.
        for story_id, removed in sorted(leaving.items()):
            story_comment_count_add(story_id=story_id, delta=-removed)
        if comments:
            pages_changed()
            audit_record_many(
                actor=moderator,
                action="remove comment",
                targets=comments,
                reason=Comment.RemovalReason(reason).label + (f": {note}" if note else ""),
                change_message=f"Removed by moderator: {Comment.RemovalReason(reason).label}"
                + (f" ({note})" if note else ""),
            )
    return RemovalResult(removed=len(comments))


def comment_remove(*, comment: Comment, moderator: User, reason: str, note: str = "") -> Comment:
    result = comments_remove(
        comment_ids=[comment.pk], moderator=moderator, reason=reason, note=note
    )
    if not result.removed:
        raise CommentError("This comment was already removed.")
    comment.refresh_from_db()
    return comment


@dataclass(frozen=True)
class DecisionResult:
    changed: int


def _decide(
    *, comment_ids: Iterable[int], moderator: User, reason: str, from_status: str, action: str
) -> DecisionResult:
    """Mark reported comments in ``from_status`` as decided: back in the thread (a hidden
    one counts again) and no longer hidden by reports, from now on."""
    if not can_moderate(moderator):
        raise CommentError("Only moderators can decide on reported comments.")
    now = timezone.now()
    with transaction.atomic():
        comments = list(
            Comment.objects.select_for_update()
            .filter(pk__in=list(comment_ids), status=from_status)
            .order_by("pk")
        )
        if from_status == Comment.Status.VISIBLE:
            # Dismissing: only comments with reports still waiting for a decision.
            comments = [c for c in comments if c.report_count > 0 and c.reviewed_at is None]
        for comment in comments:
            if comment.is_hidden:
                story_comment_count_add(story_id=comment.story_id, delta=1)
            comment.status, comment.reviewed_at = Comment.Status.VISIBLE, now
            comment.save(update_fields=["status", "reviewed_at"])
        if comments:
            audit_record_many(actor=moderator, action=action, targets=comments, reason=reason)
            pages_changed()
    return DecisionResult(changed=len(comments))


def comments_restore(
    *, comment_ids: Iterable[int], moderator: User, reason: str = ""
) -> DecisionResult:
    """A moderator puts comments hidden by reports back in their threads; further
    reports no longer hide them."""
    return _decide(
        comment_ids=comment_ids,
        moderator=moderator,
        reason=reason,
        from_status=Comment.Status.HIDDEN,
        action="restore comment",
    )


def comment_reports_dismiss(
    *, comment_ids: Iterable[int], moderator: User, reason: str = ""
) -> DecisionResult:
    """A moderator finds nothing wrong with reported (still visible) comments: they leave
    the queue, and further reports no longer hide them."""
    return _decide(
        comment_ids=comment_ids,
        moderator=moderator,
        reason=reason,
        from_status=Comment.Status.VISIBLE,
        action="dismiss comment reports",
    )


# --- reporting ----------------------------------------------------------------------


#: How comments are reported (care2.reports): by anyone but their author while they are
#: on the site (shown, or hidden by reports); COMMENT_HIDE_AT_REPORTS reports take one
#: out of the thread until a moderator decides, unless a moderator already kept it.
COMMENT_REPORTS = Reportable(
    model=Comment,
    report_model=CommentReport,
    item_field="comment",
    author_field="author",
    reportable=Q(status__in=[Comment.Status.VISIBLE, Comment.Status.HIDDEN]),
    hideable=Q(status=Comment.Status.VISIBLE, reviewed_at__isnull=True),
    hide=lambda: {"status": Comment.Status.HIDDEN, "hidden_at": timezone.now()},
    hide_at=lambda: settings.COMMENT_HIDE_AT_REPORTS,
    error=CommentError,
    own_message="You can't report your own comment; you can delete it.",
    duplicate_message="You have already reported this comment. Thank you.",
    gone_message="This comment is no longer on the site.",
    suspended_message=SUSPENDED_MESSAGE,
)


def comment_report(*, member: User, comment: Comment, reason: str, note: str = "") -> CommentReport:
    """A member reports a problem with a comment, under the one rule of care2.reports
    (the member can act, not their own comment, once each). A comment the reports hide
    leaves the thread: the story counts one visible comment less."""
    with transaction.atomic():
        filed = report_file(COMMENT_REPORTS, member=member, item=comment, reason=reason, note=note)
        if filed.hidden:
            story_comment_count_add(story_id=comment.story_id, delta=-1)
            pages_changed()
    return filed.report


# --- tracking -----------------------------------------------------------------------


def tracking_start(*, member: User, story: Story) -> bool:
    """Track a story's comments. True if the member was not tracking it yet."""
    _, created = Tracking.objects.get_or_create(member=member, story=story)
    return created


def tracking_stop(*, member_id: int, story_id: int) -> bool:
    """Stop tracking. True if the member was tracking the story."""
    deleted, _ = Tracking.objects.filter(member_id=member_id, story_id=story_id).delete()
    return bool(deleted)


def stop_tracking_token(*, member_id: int, story_id: int) -> str:
    """A token for the one-click stop-tracking link: works logged out, can't be forged."""
    return signing.dumps([member_id, story_id], salt=STOP_TRACKING_SALT, compress=True)


def stop_tracking_token_load(token: str) -> tuple[int, int] | None:
    try:
        member_id, story_id = signing.loads(token, salt=STOP_TRACKING_SALT)
        return int(member_id), int(story_id)
    except (signing.BadSignature, ValueError, TypeError):
        return None


# --- notifying trackers -------------------------------------------------------------


def comment_tracker_batches(*, comment_id: int, batch_size: int | None = None):
    """The ids of the members to notify of a comment, in batches (keyset-paged, so a
    story with 10,000 trackers costs 10,000 / batch_size small queries)."""
    batch_size = batch_size or settings.NOTIFY_BATCH_SIZE
    comment = Comment.objects.filter(pk=comment_id, status=Comment.Status.VISIBLE).first()
    if comment is None:
        return
    trackers = (
        Tracking.objects.filter(story_id=comment.story_id, member__is_active=True)
        .exclude(member_id=comment.author_id)
        .order_by("member_id")
        .values_list("member_id", flat=True)
    )
    last = 0
    while True:
        batch = list(trackers.filter(member_id__gt=last)[:batch_size])
        if not batch:
            return
        yield batch
        last = batch[-1]


# The fan-out sweep looks at comments this recent, once they are this old: a fan-out in
# progress (a batch queued behind others) is left to finish.
FANOUT_SWEEP_WINDOW = datetime.timedelta(hours=2)
FANOUT_SWEEP_GRACE = datetime.timedelta(minutes=10)


def undelivered_notices(
    *, now: datetime.datetime | None = None, limit: int = 10_000
) -> dict[int, list[int]]:
    """Recent visible comments, each with the members who should have its notice and do
    not: active trackers of its story since before it, not its author, with no message of
    it in their inbox. kombu's Redis transport loses a message taken off the queue by a
    worker killed before it records it as taken: a fan-out batch lost so is found here.
    Comment id: member ids (at most ``limit`` members in all)."""
    now = now or timezone.now()
    comments, trackings = Comment._meta.db_table, Tracking._meta.db_table
    users, messages = User._meta.db_table, Message._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.id, t.member_id FROM {comments} c "
            f"JOIN {trackings} t ON t.story_id = c.story_id AND t.created_at <= c.created_at "
            "AND t.member_id <> c.author_id "
            f"JOIN {users} u ON u.id = t.member_id AND u.is_active "
            "WHERE c.status = %s AND c.created_at > %s AND c.created_at <= %s "
            f"AND NOT EXISTS (SELECT 1 FROM {messages} m WHERE m.recipient_id = t.member_id "
            "AND m.key = 'comment:' || c.id) "
            "ORDER BY c.id, t.member_id LIMIT %s",
            [
                Comment.Status.VISIBLE,
                now - FANOUT_SWEEP_WINDOW,
                now - FANOUT_SWEEP_GRACE,
                limit,
            ],
        )
        missing: dict[int, list[int]] = {}
        for comment_id, member_id in cursor.fetchall():
            missing.setdefault(comment_id, []).append(member_id)
    return missing


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_LENGTH else f"{text[: EXCERPT_LENGTH - 1].rstrip()}…"


def comment_notify_batch(*, comment_id: int, recipient_ids: Sequence[int]) -> int:
    """Deliver one batch of a comment's notifications: a personal message in each
    tracker's inbox and, to those who asked for it, an e-mail. Returns messages created.

    Idempotent per (comment, recipient): the notification kernel skips members whose
    inbox has the message already (e-mail included), and the inbox's unique
    (recipient, key) turns a repeated delivery racing past that into a no-op. A comment
    deleted or removed before this runs notifies nobody.
    """
    comment = (
        Comment.objects.select_related("author", "story")
        .filter(pk=comment_id, status=Comment.Status.VISIBLE)
        .first()
    )
    if comment is None:
        return 0
    story = comment.story
    # Read inside the kernel's transaction: members still tracking, still active.
    recipients = (
        User.objects.filter(
            pk__in=list(recipient_ids),
            is_active=True,
            comment_trackings__story_id=comment.story_id,
        )
        .exclude(pk=comment.author_id)
        .only("pk", "email", "email_on_tracked_comments")
    )
    subject = f"{comment.author.public_name} commented on “{story.title}”"[:300]
    # Inbox messages and e-mails are plain text: the comment as its page shows it,
    # links written out as "text (url)".
    excerpt = _excerpt(comment_text(comment.body_html))
    comment_url = f"{story.get_absolute_url()}#{comment.anchor}"
    stop_urls: dict[int, str] = {}

    def stop_url(recipient: User) -> str:
        if recipient.pk not in stop_urls:
            token = stop_tracking_token(member_id=recipient.pk, story_id=story.pk)
            stop_urls[recipient.pk] = absolute_url(reverse("comments:stop_tracking", args=[token]))
        return stop_urls[recipient.pk]

    def email(recipient: User) -> notifications.Email | None:
        if not (recipient.email_on_tracked_comments and recipient.email):
            return None
        return notifications.Email(
            to=recipient.email,
            subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}",
            body=(
                f"{comment.author.public_name} commented on “{story.title}”:\n\n"
                f"{excerpt}\n\nRead the comment: {absolute_url(comment_url)}\n\n"
                "You get this because you track comments on this story.\n"
                f"Stop tracking it (one click, no sign-in needed): {stop_url(recipient)}\n"
            ),
            headers={
                "List-Unsubscribe": f"<{stop_url(recipient)}>",
                # Mail clients' own "unsubscribe" button posts to it (RFC 8058).
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )

    return notifications.notify(
        key=f"comment:{comment.pk}",
        recipients=recipients,
        subject=subject,
        body=lambda recipient: f"{excerpt}\n\nStop tracking this story: {stop_url(recipient)}",
        url=comment_url,
        email=email,
    )
