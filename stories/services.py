"""Writes for stories: submitting, vetting, reporting and moderating.

Views, admin actions and tasks all call these; every rule that must hold under
concurrency is backed by a database constraint or a conditional UPDATE.
"""

import contextlib
import datetime
import functools
import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from care2 import rows
from care2.pagecache import pages_changed
from care2.reports import Reportable, report_file
from care2.users.models import User
from care2.users.services import audit_record, audit_record_many, user_has_verified_email
from credits.services import Action, credit_award, credit_reverse
from stories.models import Category, Report, Story, Vet
from stories.search import stories_reindex


class StoryError(Exception):
    """A rule refused the action; the message is shown to the member."""

    def __init__(self, message: str, *, existing: Story | None = None):
        super().__init__(message)
        self.message = message
        self.existing = existing


def url_key(url: str) -> str:
    """The form of a URL used to spot a re-submission: host lower-cased, no fragment,
    no trailing slash, ``www.`` and the scheme ignored."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    if parts.port:
        host = f"{host}:{parts.port}"
    path = parts.path.rstrip("/")
    return urlunsplit(("", host, path, parts.query, ""))[2:]


def _lock(name: str) -> None:
    """Serialize writers on ``name`` until the transaction ends (PostgreSQL only;
    SQLite already serializes writers)."""
    if connection.vendor == "postgresql":
        key = int.from_bytes(
            hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _require_member_can_act(member: User, *, doing: str) -> None:
    """The acting member may write: not suspended, e-mail verified. Checked here, not
    only by the views' decorator, so an admin action, a task or a script cannot act for
    a member the site would refuse."""
    if member.is_suspended:
        raise StoryError(f"Your account is suspended: you can read, but not {doing}.")
    verified = getattr(member, "email_verified_this_request", False)
    if not (verified or user_has_verified_email(member)):
        raise StoryError(f"Please verify your e-mail address before you {doing}.")


def story_comment_count_add(*, story_id: int, delta: int, published_only: bool = False) -> bool:
    """The one place ``Story.comment_count`` changes: by ``delta`` as a comment enters
    or leaves the thread, in one ``UPDATE … SET comment_count = comment_count + delta``
    in the caller's transaction (two writers never lose each other's change). With
    ``published_only`` it changes only while the story is published; the result says
    whether it changed."""
    # Written out, as the ORM's ``update(comment_count=F(…) + delta)`` would write it: it
    # runs on every comment, and building the ORM's UPDATE costs more than running it.
    params = [delta, story_id, *([Story.Status.PUBLISHED.value] if published_only else [])]
    with rows.cursor() as cursor:
        cursor.execute(_count_add_sql(connection.alias, published_only), params)
        return bool(cursor.rowcount)


def story_comment_count_add_sql(*, published_only: bool = False) -> str:
    """The statement of ``story_comment_count_add``, for a caller that runs it as a part
    of its own statement (a CTE; PostgreSQL): its parameters are the delta, the story's
    id and, with ``published_only``, the published status."""
    return _count_add_sql(connection.alias, published_only)


@functools.cache
def _count_add_sql(alias: str, published_only: bool) -> str:
    quote = connection.ops.quote_name
    count = quote(Story._meta.get_field("comment_count").column)
    sql = (
        f"UPDATE {quote(Story._meta.db_table)} SET {count} = {count} + %s "
        f"WHERE {quote(Story._meta.pk.column)} = %s"
    )
    if published_only:
        sql += f" AND {quote(Story._meta.get_field('status').column)} = %s"
    return sql


def story_find_recent_duplicate(*, url: str) -> Story | None:
    since = timezone.now() - datetime.timedelta(days=settings.STORY_DUPLICATE_URL_DAYS)
    return (
        Story.objects.filter(url_key=url_key(url), created_at__gte=since)
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def story_submit(
    *,
    submitter: User,
    title: str,
    url: str,
    summary: str,
    category: Category,
    tags: list[str],
) -> Story:
    """Submit a story to the Newly Submitted queue.

    The same link submitted again within STORY_DUPLICATE_URL_DAYS is refused, naming the
    story that has it; two members racing with one link make one story.
    """
    _require_member_can_act(submitter, doing="submit stories")
    if submitter.is_new_member:
        # New members may submit a few stories in their first day (spam control).
        _lock(f"story-submitter:{submitter.pk}")
        recent = Story.objects.filter(
            submitter=submitter,
            created_at__gte=timezone.now() - datetime.timedelta(hours=settings.NEW_MEMBER_HOURS),
        ).count()
        if recent >= settings.NEW_MEMBER_MAX_STORIES:
            raise StoryError(
                f"New members can submit {settings.NEW_MEMBER_MAX_STORIES} stories in their "
                f"first {settings.NEW_MEMBER_HOURS} hours. Please come back tomorrow — "
                "meanwhile you can note and comment on other stories."
            )
    key = url_key(url)
    _lock(f"story-url:{key}")
    existing = story_find_recent_duplicate(url=url)
    if existing is not None:
        raise StoryError("This link was already submitted recently.", existing=existing)
    story = Story.objects.create(
        title=title.strip(),
        url=url.strip(),
        url_key=key,
        summary=summary.strip(),
        category=category,
        submitter=submitter,
    )
    if tags:
        story.tags.set(tags)
    stories_reindex(story_ids=[story.pk])
    pages_changed()
    return story


@dataclass(frozen=True)
class Noted:
    """What noting a story did: the member's vet, and whether this very note put the
    story on the front page (decided by the conditional UPDATE, so racing notes agree)."""

    vet: Vet
    promoted: bool


def story_vet(*, member: User, story: Story) -> Vet:
    """``story_note`` for callers that need only the vet row."""
    return story_note(member=member, story=story).vet


def story_note(*, member: User, story: Story) -> Noted:
    """Note a story. Once per member, never one's own; publishes a new story that
    reaches STORY_PROMOTE_AT_VETS vets, and pays the member in credits."""
    _require_member_can_act(member, doing="note stories")
    if story.submitter_id == member.pk:
        raise StoryError("You cannot note your own story.")
    if not story.is_visible:
        raise StoryError("This story can no longer be noted.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                vet = Vet.objects.create(
                    member=member, story=story, while_newly_submitted=story.is_newly_submitted
                )
        except IntegrityError:
            raise StoryError("You have already noted this story.") from None
        Story.objects.filter(pk=story.pk).update(vet_count=F("vet_count") + 1)
        now = timezone.now()
        promoted = Story.objects.filter(
            pk=story.pk,
            status=Story.Status.NEW,
            vet_count__gte=settings.STORY_PROMOTE_AT_VETS,
        ).update(status=Story.Status.PUBLISHED, published_at=now)
        credit_award(
            member=member,
            action=Action.VET_NEW if vet.while_newly_submitted else Action.VET_OTHER,
            target=vet,
            key=f"vet:{member.pk}:{story.pk}",
        )
        pages_changed()
    story.refresh_from_db(fields=["vet_count", "status", "published_at"])
    return Noted(vet=vet, promoted=bool(promoted))


#: How stories are reported (care2.reports): by anyone but their submitter while they
#: are on the site (shown, or hidden until a moderator decides, like comments);
#: STORY_HIDE_AT_REPORTS reports hide one until a moderator decides.
STORY_REPORTS = Reportable(
    model=Story,
    report_model=Report,
    item_field="story",
    author_field="submitter",
    reportable=Q(status__in=[Story.Status.NEW, Story.Status.PUBLISHED, Story.Status.HIDDEN]),
    hideable=Q(status__in=[Story.Status.NEW, Story.Status.PUBLISHED], reviewed_at__isnull=True),
    hide=lambda: {"status": Story.Status.HIDDEN},
    hide_at=lambda: settings.STORY_HIDE_AT_REPORTS,
    error=StoryError,
    own_message="You can't report your own story.",
    duplicate_message="You have already reported this story.",
    gone_message="This story is no longer on the site.",
)


def story_report(*, member: User, story: Story, reason: str, note: str = "") -> Report:
    """Report a problem with a story, under the one rule of care2.reports (the member can
    act, not their own story, once each); STORY_HIDE_AT_REPORTS reports hide it until a
    moderator decides."""
    with transaction.atomic():
        filed = report_file(STORY_REPORTS, member=member, item=story, reason=reason, note=note)
        pages_changed()
    return filed.report


@dataclass(frozen=True)
class ModerationResult:
    changed: int


def _audit(by, action, ids, reason):
    audit_record_many(
        actor=by, action=action, targets=Story.objects.filter(pk__in=ids), reason=reason
    )
    pages_changed()


def _moderate(story_ids, status: str, *, by, action: str, reason: str) -> ModerationResult:
    now = timezone.now()
    ids = list(story_ids)
    with transaction.atomic():
        changed = (
            Story.objects.filter(pk__in=ids)
            .exclude(status=status)
            .update(status=status, reviewed_at=now)
        )
        _audit(by, action, ids, reason)
    return ModerationResult(changed=changed)


def stories_publish(*, story_ids, by: User | None = None, reason: str = "") -> ModerationResult:
    """A moderator publishes stories (from the queue, or back from hidden)."""
    now = timezone.now()
    ids = list(story_ids)
    with transaction.atomic():
        queued = Story.objects.filter(pk__in=ids).exclude(status=Story.Status.PUBLISHED)
        changed = queued.filter(published_at__isnull=True).update(
            status=Story.Status.PUBLISHED, published_at=now, reviewed_at=now
        )
        changed += queued.filter(published_at__isnull=False).update(
            status=Story.Status.PUBLISHED, reviewed_at=now
        )
        _audit(by, "publish story", ids, reason)
    return ModerationResult(changed=changed)


def stories_hide(*, story_ids, by: User | None = None, reason: str = "") -> ModerationResult:
    return _moderate(story_ids, Story.Status.HIDDEN, by=by, action="hide story", reason=reason)


def stories_reject(
    *, story_ids, as_spam: bool = False, by: User | None = None, reason: str = ""
) -> ModerationResult:
    """A moderator rejects stories. Rejected as spam, the credits their vets earned are
    reversed (once each: reversals are keyed like the awards)."""
    ids = list(story_ids)
    with transaction.atomic():
        result = _moderate(
            ids,
            Story.Status.REJECTED,
            by=by,
            action="reject story as spam" if as_spam else "reject story",
            reason=reason,
        )
        if as_spam:
            for member_id, story_id in Vet.objects.filter(story_id__in=ids).values_list(
                "member_id", "story_id"
            ):
                credit_reverse(key=f"vet:{member_id}:{story_id}", reason="story rejected as spam")
    return result


def _column_fields(model, fields) -> list[str]:
    """The names among ``fields`` that are columns of ``model`` (not many-to-many)."""
    columns = {f.name for f in model._meta.concrete_fields}
    return sorted(name for name in fields if name in columns)


def story_edit(
    *, story: Story, by: User | None, fields, tags: list[str] | None = None, admin_log=True
) -> Story:
    """A moderator's edit of a story's text (the admin's add and change forms):
    ``story`` carries the new values, ``fields`` names those that changed, ``tags``
    (when given) replaces its tags. Writes only those columns, in one transaction with
    the audit entry; a changed link gets its duplicate key again (so a re-submission
    of the new link is still caught), and the search index and cached pages follow."""
    fields = set(fields)
    if tags is not None:
        fields.add("tags")
    columns = _column_fields(Story, fields)
    adding = story._state.adding
    with transaction.atomic():
        if adding or "url" in columns:
            story.url_key = url_key(story.url)
            columns.append("url_key")
        if adding:
            story.save()
        elif columns:
            story.save(update_fields=columns)
        if tags is not None:
            story.tags.set(tags)
        if adding or fields:
            stories_reindex(story_ids=[story.pk])  # title, summary or tags changed
            pages_changed()  # and the cached pages that show them
            audit_record(
                actor=by,
                action="add story" if adding else "edit story",
                target=story,
                reason="changed " + ", ".join(sorted(fields)) if fields else "",
                admin_log=admin_log,
            )
    return story


def stories_expire_stale(*, now: datetime.datetime | None = None) -> int:
    """Newly submitted stories not promoted within STORY_NEWLY_SUBMITTED_DAYS expire.
    Idempotent: running it again changes nothing."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.STORY_NEWLY_SUBMITTED_DAYS)
    with transaction.atomic():
        expired = Story.objects.filter(status=Story.Status.NEW, created_at__lt=cutoff).update(
            status=Story.Status.EXPIRED
        )
        if expired:
            pages_changed()
        return expired


def story_save(*, member: User, story: Story) -> bool:
    """Save a story for later; saving twice changes nothing. True if newly saved."""
    from stories.models import SavedStory

    _, created = SavedStory.objects.get_or_create(member=member, story=story)
    return created


def story_unsave(*, member: User, story: Story) -> bool:
    from stories.models import SavedStory

    deleted, _ = SavedStory.objects.filter(member=member, story=story).delete()
    return bool(deleted)


#: A member reloading a story within this time does not move their visit mark: a page
#: view stays a read, and a comment posted in that minute may show as new once more.
VISIT_REFRESH = datetime.timedelta(minutes=1)


def story_visit(
    *, member: User, story: Story, previous: datetime.datetime | None | object = ...
) -> datetime.datetime | None:
    """Record that the member opened the story now; returns their previous visit (None
    the first time), which marks the comments that are new to them.

    A soft marker: two tabs racing may both see the same previous visit, which is fine;
    the unique constraint keeps one row. Written at most once a minute per member and
    story (VISIT_REFRESH), without waiting for the disk (``_soft_write``): losing the last
    moment of visit marks in a database crash only shows a few comments as new again.

    ``previous``: the previous visit when the caller read it already (the story page
    reads it with the story), so it is not read again."""
    from stories.models import StoryVisit

    now = timezone.now()

    def visits():  # built only when used: most views within the minute write nothing
        return StoryVisit.objects.filter(member=member, story=story)

    if previous is ...:
        previous = visits().values_list("last_seen_at", flat=True).first()
    if previous is None:
        with _soft_write():
            StoryVisit.objects.bulk_create(
                [StoryVisit(member=member, story=story, last_seen_at=now)],
                ignore_conflicts=True,
            )
    elif now - previous >= VISIT_REFRESH:
        with _soft_write():
            visits().update(last_seen_at=now)
    return previous


@contextlib.contextmanager
def _soft_write():
    """A transaction whose commit does not wait for the WAL to reach the disk
    (PostgreSQL's ``synchronous_commit = off`` for this transaction only): for marks
    that are cheap to lose, written on page views."""
    if connection.in_atomic_block:  # in a caller's transaction: its commit decides
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield
