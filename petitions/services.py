"""Writes for petitions: starting, signing, confirming, withdrawing, closing, moderating.

Views, admin actions and tasks all call these. The sign path never updates the petition
row: a confirmed signature adds one to a random counter shard of its petition in the same
transaction (see ``CountShard``), so the count is exact and signers rarely wait on each
other. Every rule that must hold under concurrency is a database constraint or a
conditional UPDATE.
"""

import datetime
import random
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce, Substr
from django.urls import reverse
from django.utils import timezone

from care2 import rows
from care2.links import absolute_url
from care2.outbox import enqueue_on_commit, send_soon
from care2.pagecache import pages_changed
from care2.users import notifications
from care2.users.facts import facts_changed
from care2.users.models import Message, User
from care2.users.services import audit_record, audit_record_many, user_has_verified_email
from credits.services import Action, credit_award, credit_reverse
from petitions.deadlines import DEADLINE_MAX_YEARS, deadline_too_far
from petitions.images import (
    ImageRejected,
    ProcessedImage,
    is_stored_upload,
    process_image,
    store_upload,
)
from petitions.models import CountShard, Petition, PetitionUpdate, Signature
from petitions.search import petitions_reindex
from petitions.selectors import PAGE_GENERATION_KEY
from petitions.text import sanitize_text
from stories.models import Category, Story

CONFIRM_SALT = "petitions.signature.confirm"
WITHDRAW_SALT = "petitions.signature.withdraw"


class PetitionError(Exception):
    """A rule refused the action; the message is shown to the person."""

    def __init__(self, message: str, *, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code


def normalize_email(email: str) -> str:
    """The form of an address used for "one signature per e-mail": trimmed, lower-cased."""
    return (email or "").strip().lower()


# --- Counting ------------------------------------------------------------------------


def _shard_add(petition_id: int, delta: int) -> None:
    """Add ``delta`` to one random counter shard of the petition (an upsert, one statement)."""
    table = connection.ops.quote_name(CountShard._meta.db_table)
    shard = random.randrange(max(1, settings.PETITION_COUNT_SHARDS))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (petition_id, shard, count) VALUES (%s, %s, %s) "
            f"ON CONFLICT (petition_id, shard) DO UPDATE SET count = {table}.count + EXCLUDED.count",
            [petition_id, shard, delta],
        )


def petition_page_changed(*petition_ids: int) -> None:
    """Make the petitions' cached pages stale once the current transaction commits: their
    count, signers, signers' comments or updates changed (``selectors.page_generations``)."""

    def bump():
        for petition_id in petition_ids:
            key = PAGE_GENERATION_KEY.format(petition_id)
            try:
                cache.incr(key)
            except ValueError:
                cache.add(key, 2, timeout=None)

    transaction.on_commit(bump)


def petition_count(*, petition_id: int) -> int:
    """The confirmed count: the sum of the petition's shards (at most a few rows)."""
    return CountShard.objects.filter(petition_id=petition_id).aggregate(
        total=Coalesce(Sum("count"), 0)
    )["total"]


def next_goal(*, count: int, goal: int) -> int:
    """The next round goal above both ``count`` and ``goal``: 1, 2.5, 5 × 10ⁿ steps."""
    floor = max(count, goal)
    magnitude = 10
    while True:
        for step in (magnitude, magnitude * 5 // 2, magnitude * 5):
            if step > floor:
                return step
        magnitude *= 10


def _raise_goal_if_reached(petition: Petition) -> None:
    """Once the signature that was just counted commits, raise the goal if the count has
    reached it, and tell the creator (once per goal).

    The check waits for the commit: inside its transaction a signer sees only the counts
    committed before it, so signers racing past the goal could each see the count still
    below it and none would raise it. After the commit, the last signer to commit sees
    every signature, its own included."""
    transaction.on_commit(lambda: _raise_goal_now(petition))


def _raise_goal_now(petition: Petition) -> None:
    # The goal in hand is never above the stored one (goals only rise): below it, so is
    # the stored goal; at or above it, the UPDATE only matches if no one raised it since.
    with transaction.atomic():  # reads on the primary, beside the UPDATE (care2.db_router)
        count = petition_count(petition_id=petition.pk)
        if count < petition.goal:
            return
        old_goal = petition.goal
        new_goal = next_goal(count=count, goal=old_goal)
        raised = Petition.objects.filter(pk=petition.pk, goal=old_goal).update(goal=new_goal)
        if not raised:
            return  # another signer raised it first
        petition.goal = new_goal
        petition_page_changed(petition.pk)  # the page shows the goal
        facts_changed(petition.creator_id)  # the creator's unread count
    Message.objects.bulk_create(
        [
            Message(
                recipient_id=petition.creator_id,
                subject=f"Your petition reached {old_goal:,} signatures!",
                body=(
                    f"“{petition.title}” has {count:,} signatures, reaching its goal of "
                    f"{old_goal:,}. We raised the goal to {new_goal:,} so it keeps growing."
                ),
                url=petition.get_absolute_url(),
                key=f"petition_goal:{petition.pk}:{old_goal}",
            )
        ],
        ignore_conflicts=True,
    )


# --- Starting and running a petition ---------------------------------------------------


def petition_deadline_check(deadline: datetime.datetime | None) -> None:
    """A petition's deadline, when it has one, is in the future and at most
    DEADLINE_MAX_YEARS ahead: the rule of starting a petition and of editing one."""
    if deadline is not None and deadline <= timezone.now():
        raise PetitionError("The deadline must be in the future.", code="deadline")
    if deadline is not None and deadline_too_far(deadline):
        raise PetitionError(
            f"The deadline must be at most {DEADLINE_MAX_YEARS} years ahead.", code="deadline"
        )


def petition_start(
    *,
    creator: User,
    title: str,
    target: str,
    why: str,
    category: Category,
    goal: int | None = None,
    deadline: datetime.datetime | None = None,
    story: Story | None = None,
    image=None,
    submission_key=None,
) -> Petition:
    """Start a petition. Members need a verified e-mail. ``image`` is an upload (checked
    cheaply and stored as it came), the storage name of an upload the form already
    stored (``petitions.images.store_upload``), or an already processed image; an upload
    is re-encoded by ``process_image_task`` after commit. ``submission_key``
    (from the form) makes a form submitted twice start one petition: the second gets
    the first one back."""
    from petitions.tasks import process_image_task

    if not user_has_verified_email(creator):
        raise PetitionError("Please verify your e-mail address before you start a petition.")
    if creator.is_suspended:
        raise PetitionError("Your account is suspended: you cannot start petitions.")
    if creator.is_new_member:
        raise PetitionError(
            f"New members can start petitions {settings.NEW_MEMBER_HOURS} hours after joining. "
            "Meanwhile you can sign and share the petitions already here."
        )
    earlier = Petition.objects.filter(creator=creator, submission_key=submission_key)
    if submission_key is not None and (found := earlier.first()) is not None:
        return found
    petition_deadline_check(deadline)
    title, target, why = " ".join(title.split()), target.strip(), why.strip()
    # The form says the same; the service holds for every caller (the API, the shell).
    for label, value, low, high in (
        ("The title", title, 10, 150),
        ("The target", target, 1, 200),
        ("Why it matters", why, 1, 10_000),
    ):
        if not low <= len(value) <= high:
            raise PetitionError(f"{label} must be {low} to {high:,} characters long.")
    processed = upload_name = None
    if isinstance(image, ProcessedImage):
        processed = image
    elif isinstance(image, str) and image:
        if not is_stored_upload(image):
            raise PetitionError(
                "The image is no longer there: please choose it again.", code="image"
            )
        upload_name = image
    elif image:
        try:
            upload_name = store_upload(image)
        except ImageRejected as error:
            raise PetitionError(str(error), code="image") from None
    petition = Petition(
        creator=creator,
        title=title,
        target=target,
        why=why,
        why_html=sanitize_text(why),
        category=category,
        goal=goal or settings.PETITION_DEFAULT_GOAL,
        deadline=deadline,
        story=story,
        submission_key=submission_key,
    )
    if processed is not None:
        petition.image.save(processed.display.name, processed.display, save=False)
        petition.image_thumb.save(processed.thumb.name, processed.thumb, save=False)
        petition.image_width = processed.width
        petition.image_height = processed.height
    if upload_name is not None:
        petition.image_upload.name = upload_name
    try:
        with transaction.atomic():
            petition.save()
            if upload_name is not None:
                enqueue_on_commit(process_image_task, petition.pk)
    except IntegrityError:
        if submission_key is None or (found := earlier.first()) is None:
            raise
        if upload_name is not None and upload_name != found.image_upload.name:
            default_storage.delete(upload_name)  # the first submission has its own copy
        return found  # the same form, submitted twice at once
    petitions_reindex(petition_ids=[petition.pk])
    if story is not None:
        pages_changed()  # the story page lists the petitions grown from it
    return petition


def petition_image_process(*, petition_id: int) -> bool:
    """Re-encode a petition's uploaded image into its display and thumbnail images, then
    delete the upload. Idempotent: a repeated or concurrent delivery finds the upload
    already handled (checked under the row lock) and changes nothing."""
    petition = Petition.objects.filter(pk=petition_id).exclude(image_upload="").first()
    if petition is None:
        return False
    name = petition.image_upload.name
    storage = petition.image_upload.storage
    # The slow part (decoding, resizing) runs before the lock is taken.
    try:
        with storage.open(name) as handle:
            processed = process_image(File(handle, name=name))
    except FileNotFoundError:
        processed = None  # another delivery finished and deleted it
    except ImageRejected:
        processed = None  # the header passed but the pixels are broken: no image
    with transaction.atomic():
        locked = (
            Petition.objects.select_for_update().filter(pk=petition_id, image_upload=name).first()
        )
        if locked is None:
            return False
        if processed is not None:
            locked.image.save(processed.display.name, processed.display, save=False)
            locked.image_thumb.save(processed.thumb.name, processed.thumb, save=False)
            locked.image_width, locked.image_height = processed.width, processed.height
        locked.image_upload = ""
        locked.save(
            update_fields=["image", "image_thumb", "image_width", "image_height", "image_upload"]
        )
        transaction.on_commit(lambda: storage.delete(name))
        transaction.on_commit(pages_changed)  # cached pages show the image, not the placeholder
    return processed is not None


def _require_creator(petition: Petition, by: User | None) -> None:
    if by is not None and by.pk != petition.creator_id:
        raise PetitionError("Only the petition's creator can do this.", code="forbidden")


def petition_close(*, petition: Petition, by: User | None = None) -> bool:
    """Close an open petition (the creator, or the deadline task). No more signatures."""
    _require_creator(petition, by)
    now = timezone.now()
    changed = Petition.objects.filter(pk=petition.pk, status=Petition.Status.OPEN).update(
        status=Petition.Status.CLOSED, closed_at=now
    )
    petition.refresh_from_db(fields=["status", "closed_at"])
    if changed:
        pages_changed()
    return bool(changed)


def petition_declare_victory(*, petition: Petition, by: User | None, message: str) -> bool:
    """The creator declares victory, with a message for the signers. Signing stops."""
    _require_creator(petition, by)
    message = message.strip()
    if not message:
        raise PetitionError("Tell your signers what you won.")
    now = timezone.now()
    with transaction.atomic():
        changed = (
            Petition.objects.filter(pk=petition.pk)
            .exclude(status=Petition.Status.VICTORY)
            .update(
                status=Petition.Status.VICTORY,
                victory_message=message,
                closed_at=Coalesce("closed_at", now),
            )
        )
        if changed:
            pages_changed()
    petition.refresh_from_db(fields=["status", "closed_at", "victory_message"])
    return bool(changed)


def petitions_close_past_deadline(*, now: datetime.datetime | None = None) -> int:
    """Periodic: close open petitions whose deadline has passed. Idempotent. Their pages
    and the listings say closed at once (the page cache's generation moves)."""
    now = now or timezone.now()
    with transaction.atomic():
        closed = Petition.objects.filter(status=Petition.Status.OPEN, deadline__lte=now).update(
            status=Petition.Status.CLOSED, closed_at=now
        )
        if closed:
            pages_changed()
    return closed


@dataclass(frozen=True)
class ModerationResult:
    changed: int


def _moderate(petition_ids, *, pending, change: dict, by, action: str, reason: str):
    """Apply ``change`` to the petitions among ``petition_ids`` that match ``pending``,
    and write an audit entry for each one changed (who, what, when, why)."""
    with transaction.atomic():
        targets = list(
            Petition.objects.select_for_update()
            .filter(pending, pk__in=list(petition_ids))
            .only("pk", "title")
            .order_by("pk")
        )
        if not targets:
            return ModerationResult(changed=0)
        changed = Petition.objects.filter(pk__in=[p.pk for p in targets]).update(**change)
        audit_record_many(actor=by, action=action, targets=targets, reason=reason)
        pages_changed()
    return ModerationResult(changed=changed)


def petitions_hide(*, petition_ids, reason: str, by: User | None = None) -> ModerationResult:
    """A moderator hides petitions, with a reason; hidden ones cannot be opened or signed."""
    reason = reason.strip() or "Hidden by a moderator."
    return _moderate(
        petition_ids,
        pending=Q(hidden_at__isnull=True),
        change={"hidden_at": timezone.now(), "hidden_reason": reason[:300]},
        by=by,
        action="hide petition",
        reason=reason,
    )


def petitions_unhide(*, petition_ids, by: User | None = None, reason: str = "") -> ModerationResult:
    return _moderate(
        petition_ids,
        pending=Q(hidden_at__isnull=False),
        change={"hidden_at": None, "hidden_reason": ""},
        by=by,
        action="show petition again",
        reason=reason,
    )


def petitions_close(*, petition_ids, by: User | None = None, reason: str = "") -> ModerationResult:
    """A moderator closes petitions."""
    return _moderate(
        petition_ids,
        pending=Q(status=Petition.Status.OPEN),
        change={"status": Petition.Status.CLOSED, "closed_at": timezone.now()},
        by=by,
        action="close petition",
        reason=reason,
    )


def petition_edit(*, petition: Petition, by: User | None, fields, admin_log=True) -> Petition:
    """A moderator's edit of a petition (the admin's add and change forms): ``petition``
    carries the new values, ``fields`` names those that changed. A changed deadline
    follows the rule of starting a petition (``PetitionError``). Writes only those
    columns, with the text the page shows sanitized again when "why" changed, in one
    transaction with the audit entry; the search index and cached pages follow."""
    columns = {f.name for f in Petition._meta.concrete_fields}
    fields = sorted(name for name in fields if name in columns)
    adding = petition._state.adding
    if adding or "deadline" in fields:
        petition_deadline_check(petition.deadline)
    with transaction.atomic():
        if adding or "why" in fields:
            petition.why_html = sanitize_text(petition.why)  # what the page shows
            fields.append("why_html")
        if adding:
            petition.save()
        elif fields:
            petition.save(update_fields=fields)
        if adding or fields:
            petitions_reindex(petition_ids=[petition.pk])
            pages_changed()
            audit_record(
                actor=by,
                action="add petition" if adding else "edit petition",
                target=petition,
                reason="changed " + ", ".join(n for n in fields if n != "why_html")
                if fields
                else "",
                admin_log=admin_log,
            )
    return petition


def petition_update_post(
    *, petition: Petition, by: User, title: str, body: str, submission_key=None
) -> PetitionUpdate:
    """The creator posts an update: shown on the page, and sent as a personal message to
    member signers who chose to hear more (by a task, after the commit). A form
    submitted twice (same ``submission_key``) posts one update."""
    from petitions.tasks import notify_update_task

    _require_creator(petition, by)
    title, body = " ".join(title.split()), body.strip()
    if not title or not body:
        raise PetitionError("An update needs a title and some text.")
    earlier = PetitionUpdate.objects.filter(petition=petition, submission_key=submission_key)
    if submission_key is not None and (found := earlier.first()) is not None:
        return found
    try:
        with transaction.atomic():
            update = PetitionUpdate.objects.create(
                petition=petition, title=title[:150], body=body, submission_key=submission_key
            )
            enqueue_on_commit(notify_update_task, update.pk)
            petition_page_changed(petition.pk)
    except IntegrityError:
        if submission_key is None or (found := earlier.first()) is None:
            raise
        return found  # the same form, submitted twice at once
    return update


def petition_update_notify(*, update_id: int) -> int:
    """Deliver an update to the inbox of each member signer who asked to hear more, and by
    e-mail to those of them whose settings say so (``email_on_petition_updates``);
    returns how many were addressed. Idempotent: the message key makes a repeated
    delivery a no-op, and only members whose inbox did not have it yet get the e-mail."""
    update = PetitionUpdate.objects.select_related("petition").filter(pk=update_id).first()
    if update is None:
        return 0
    petition = update.petition
    member_ids = list(
        Signature.objects.filter(
            petition=petition,
            status=Signature.Status.CONFIRMED,
            member__isnull=False,
            hear_more=True,
        )
        .exclude(member_id=petition.creator_id)
        .values_list("member_id", flat=True)
        .order_by("pk")
    )
    key = f"petition_update:{update.pk}"
    subject = f"Update on “{petition.title}”: {update.title}"[:300]
    page_url = petition.get_absolute_url()
    # The e-mail is the same for every recipient but the address.
    settings_url = absolute_url(reverse("settings:index"))
    mail_subject = f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}"
    mail_body = (
        f"{update.title}\n\n{update.body}\n\n"
        f"The petition: {absolute_url(page_url)}\n\n"
        "You get this because you signed and asked to hear more.\n"
        f"Turn these e-mails off in your settings: {settings_url}\n"
    )
    headers = {"List-Unsubscribe": f"<{settings_url}>"}

    def email(member: User) -> notifications.Email | None:
        # Every signer gets the inbox message; only active members whose settings say
        # so get the e-mail.
        if not (member.is_active and member.email_on_petition_updates and member.email):
            return None
        return notifications.Email(
            to=member.email, subject=mail_subject, body=mail_body, headers=headers
        )

    sent = 0
    for start in range(0, len(member_ids), settings.NOTIFY_BATCH_SIZE):
        chunk = member_ids[start : start + settings.NOTIFY_BATCH_SIZE]
        # One transaction per chunk (the kernel's): a failed send rolls back only this
        # chunk's messages, and the retry skips the chunks already delivered.
        notifications.notify(
            key=key,
            recipients=User.objects.filter(pk__in=chunk).only(
                "pk", "email", "is_active", "email_on_petition_updates"
            ),
            subject=subject,
            body=update.body,
            url=page_url,
            email=email,
        )
        sent += len(chunk)
    return sent


# --- Signing ---------------------------------------------------------------------------


def _check_signable(petition: Petition) -> None:
    if petition.is_hidden:
        raise PetitionError("This petition is not available.", code="closed")
    if petition.status != Petition.Status.OPEN:
        raise PetitionError(
            "This petition is closed: it no longer takes signatures.", code="closed"
        )
    if petition.deadline is not None and petition.deadline <= timezone.now():
        raise PetitionError("This petition is closed: its deadline has passed.", code="closed")


def _already_signed(petition: Petition, email: str) -> PetitionError:
    existing = (
        Signature.objects.filter(petition=petition, email__iexact=email)
        .values_list("status", flat=True)
        .first()
    )
    if existing == Signature.Status.PENDING:
        return PetitionError(
            "You have already signed this petition with this e-mail address: follow the link "
            "in the e-mail we sent you to confirm your signature.",
            code="already_signed",
        )
    return PetitionError("You have already signed this petition.", code="already_signed")


def signature_sign_member(
    *,
    petition: Petition,
    member: User,
    comment: str = "",
    show_name: bool = True,
    hear_more: bool = False,
    ip: str | None = None,
) -> Signature:
    """A member signs in one click: counted at once, and paid in credits."""
    if member.is_suspended:
        raise PetitionError("Your account is suspended: you cannot sign petitions.")
    _check_signable(petition)
    email = normalize_email(member.email)
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                signature = Signature.objects.create(
                    petition=petition,
                    member=member,
                    first_name=member.first_name.strip()[:60] or "Member",
                    last_name=member.last_name.strip()[:60],
                    email=email,
                    comment=comment.strip()[:1000],
                    show_name=show_name,
                    hear_more=hear_more,
                    allow_contact=False,
                    ip=ip,
                    status=Signature.Status.CONFIRMED,
                    created_at=now,
                    confirmed_at=now,
                )
        except IntegrityError:
            raise _already_signed(petition, email) from None
        _shard_add(petition.pk, 1)
        petition_page_changed(petition.pk)
        credit_award(
            member=member,
            action=Action.PETITION_SIGN,
            target=signature,
            key=f"petition_sign:{petition.pk}:{member.pk}",
        )
        _raise_goal_if_reached(petition)
    return signature


# Sets ``synchronous_commit`` off for the statement's own transaction (``is_local``), in
# the statement itself, so the setting costs no round trip and never outlives it: the
# server reads it when it commits the statement and resets it right after. A row is only
# inserted when every condition of the WHERE held, so this one was evaluated too.
_PENDING_COMMITS_ASYNCHRONOUSLY = "AND set_config('synchronous_commit', 'off', true) IS NOT NULL "


def signature_sign_reader(
    *,
    petition: Petition | None = None,
    petition_id: int | None = None,
    first_name: str,
    last_name: str,
    email: str,
    country: str,
    comment: str = "",
    show_name: bool = True,
    allow_contact: bool = False,
    ip: str | None = None,
) -> Signature:
    """A reader signs with name, e-mail and country. Not counted until they confirm the
    link we e-mail them (by a task, after the commit: no e-mail is sent in the request).

    The surge path: one statement, so one round trip to the database and a transaction
    of its own. It inserts the row only if the petition is open, not hidden and before
    its deadline, and does nothing when the e-mail has signed it before (the unique index
    on ``(lower(email), petition)`` decides under concurrency). Only when nothing was
    inserted is the petition read, to say why. ``petition_id`` alone is enough.

    On PostgreSQL that transaction commits without waiting for its WAL to reach the disk
    (``synchronous_commit`` off for it alone, see ``_PENDING_COMMITS_ASYNCHRONOUSLY``):
    on a busy disk that wait is most of the statement's time. A crash can lose the
    pending signatures of its last fraction of a second: their signers were not counted
    yet and can sign again, and the e-mail task finds no row and does nothing (it puts
    the row on disk before mailing). The confirmation is an ordinary, durable
    transaction, and flushing its commit flushes all the WAL before it, the pending
    row's included: a confirmed signature is never lost. Inside a transaction the caller
    opened, the row is written in it and commits as the caller's does."""
    from petitions.tasks import send_confirmations_task

    petition_id = petition.pk if petition is not None else petition_id
    email = normalize_email(email)
    if not email:
        raise PetitionError("Enter your e-mail address.")
    signature = Signature(
        petition_id=petition_id,
        first_name=" ".join(first_name.split())[:60],
        last_name=" ".join(last_name.split())[:60],
        email=email,
        country=country.upper()[:2],
        comment=comment.strip()[:1000],
        show_name=show_name,
        allow_contact=allow_contact,
        ip=ip,
        status=Signature.Status.PENDING,
    )
    fields = [f for f in Signature._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    values = [f.get_db_prep_save(getattr(signature, f.attname), connection) for f in fields]
    petitions = quote(Petition._meta.db_table)
    asynchronous = (
        connection.vendor == "postgresql"
        and connection.get_autocommit()
        and not connection.in_atomic_block
    )
    if connection.vendor == "postgresql":
        # Bound on the server (care2.rows), and prepared: each value cast to its type.
        placeholders = rows.cast_placeholders(connection.alias, tuple(fields))
    else:
        placeholders = ", ".join(["%s"] * len(fields))
    with rows.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Signature._meta.db_table)} ({columns}) "
            f"SELECT {placeholders} FROM {petitions} p "
            "WHERE p.id = %s AND p.status = %s AND p.hidden_at IS NULL "
            "AND (p.deadline IS NULL OR p.deadline > %s) "
            f"{_PENDING_COMMITS_ASYNCHRONOUSLY if asynchronous else ''}"
            "ON CONFLICT DO NOTHING RETURNING id",
            [*values, petition_id, Petition.Status.OPEN, timezone.now()],
        )
        row = cursor.fetchone()
    if row is None:
        found = (
            Petition.objects.only("id", "status", "hidden_at", "deadline")
            .filter(pk=petition_id)
            .first()
        )
        if found is None:
            raise PetitionError("This petition is not available.", code="missing")
        _check_signable(found)
        raise _already_signed(found, email)
    signature.pk = row[0]
    signature._state.adding = False
    signature._state.db = connection.alias
    # Sent by the process's sender, with the others of the moment in one task, not by the
    # request; with the broker down (or the process gone) the signature is still saved,
    # and the sweep (confirmations_resend_task) sends the e-mail later.
    transaction.on_commit(lambda: send_soon(send_confirmations_task, signature.pk), robust=True)
    return signature


def signature_token(*, signature: Signature, purpose: str) -> str:
    """A signed token for the link in the confirmation e-mail ("confirm" or "withdraw")."""
    salt = CONFIRM_SALT if purpose == "confirm" else WITHDRAW_SALT
    return signing.dumps(signature.pk, salt=salt)


def signature_from_token(*, token: str, purpose: str) -> Signature:
    """The signature a link points to. Confirmation links last PETITION_CONFIRM_LINK_DAYS."""
    if purpose == "confirm":
        salt, days = CONFIRM_SALT, settings.PETITION_CONFIRM_LINK_DAYS
    else:
        salt, days = WITHDRAW_SALT, settings.PETITION_WITHDRAW_LINK_DAYS
    try:
        pk = signing.loads(token, salt=salt, max_age=datetime.timedelta(days=days))
    except signing.SignatureExpired:
        raise PetitionError(
            "This link has expired. Please sign the petition again.", code="expired"
        ) from None
    except signing.BadSignature:
        raise PetitionError("This link is not valid.", code="invalid") from None
    signature = Signature.objects.select_related("petition").filter(pk=pk).first()
    if signature is None:
        raise PetitionError(
            "We could not find this signature: it may have been withdrawn or expired.",
            code="missing",
        )
    return signature


def signature_confirm(*, signature: Signature) -> bool:
    """Count a reader's signature. Only a POST from the confirmation page calls this
    (mail scanners follow links; they must not sign). Confirming twice is a no-op."""
    if signature.status == Signature.Status.CONFIRMED:
        return False
    if signature.status == Signature.Status.INVALIDATED:
        raise PetitionError("This signature was removed by a moderator.", code="invalidated")
    petition = signature.petition
    _check_signable(petition)
    now = timezone.now()
    with transaction.atomic():
        confirmed = Signature.objects.filter(
            pk=signature.pk, status=Signature.Status.PENDING
        ).update(status=Signature.Status.CONFIRMED, confirmed_at=now)
        if confirmed:
            _shard_add(petition.pk, 1)
            petition_page_changed(petition.pk)
            _raise_goal_if_reached(petition)
    signature.status, signature.confirmed_at = Signature.Status.CONFIRMED, now
    return bool(confirmed)


def signature_withdraw(*, signature_id: int) -> bool:
    """A signer takes their signature back: the row goes, the count drops by exactly one
    if it was counted, and a member's credits for it are reversed."""
    with transaction.atomic():
        signature = Signature.objects.select_for_update().filter(pk=signature_id).first()
        if signature is None:
            return False
        was_counted = signature.status == Signature.Status.CONFIRMED
        signature.delete()
        if was_counted:
            _shard_add(signature.petition_id, -1)
            petition_page_changed(signature.petition_id)
        if signature.member_id is not None:
            credit_reverse(
                key=f"petition_sign:{signature.petition_id}:{signature.member_id}",
                reason="signature withdrawn",
            )
    return True


def signatures_invalidate(*, signature_ids, by: User | None = None, reason: str = "") -> int:
    """A moderator invalidates a batch of signatures (abuse): they stop counting, the count
    follows exactly, and the audit log records who did it and why."""
    ids = list(signature_ids)
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            Signature.objects.select_for_update()
            .filter(pk__in=ids)
            .exclude(status=Signature.Status.INVALIDATED)
            .values_list("pk", "petition_id", "status", "member_id")
            .order_by("pk")
        )
        if not rows:
            return 0
        Signature.objects.filter(pk__in=[r[0] for r in rows]).update(
            status=Signature.Status.INVALIDATED, invalidated_at=now
        )
        counted = Counter(r[1] for r in rows if r[2] == Signature.Status.CONFIRMED)
        for petition_id, n in counted.items():
            _shard_add(petition_id, -n)
        petition_page_changed(*counted)
        for _, petition_id, _status, member_id in rows:
            if member_id is not None:
                credit_reverse(
                    key=f"petition_sign:{petition_id}:{member_id}",
                    reason="signature invalidated by a moderator",
                )
        audit_record_many(
            actor=by,
            action="invalidate signatures",
            targets=Petition.objects.filter(pk__in=sorted({r[1] for r in rows})).only(
                "pk", "title"
            ),
            reason=f"{len(rows)} signature(s)" + (f": {reason}" if reason else ""),
            change_message=f"Invalidated {len(rows)} signature(s)"
            + (f": {reason}" if reason else ""),
        )
    return len(rows)


# --- Personal data has an end ----------------------------------------------------------


def signatures_delete_unconfirmed(*, now: datetime.datetime | None = None) -> int:
    """Periodic: unconfirmed signatures (and their e-mail) go after
    PETITION_DELETE_UNCONFIRMED_DAYS. They were never counted, so no count changes."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.PETITION_DELETE_UNCONFIRMED_DAYS)
    deleted, _ = Signature.objects.filter(
        status=Signature.Status.PENDING, created_at__lt=cutoff
    ).delete()
    return deleted


def signatures_erase_emails(*, now: datetime.datetime | None = None) -> int:
    """Periodic: PETITION_ERASE_EMAILS_AFTER_DAYS after a petition closes, erase its
    signers' e-mail addresses, keeping the count, the country and the name as shown."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.PETITION_ERASE_EMAILS_AFTER_DAYS)
    erased = 0
    due = Petition.objects.filter(closed_at__lte=cutoff, emails_erased_at__isnull=True).values_list(
        "pk", flat=True
    )
    for petition_id in list(due):
        with transaction.atomic():
            Signature.objects.filter(
                petition_id=petition_id, status=Signature.Status.PENDING
            ).delete()
            erased += (
                Signature.objects.filter(petition_id=petition_id)
                .filter(Q(email__isnull=False) | ~Q(last_name=""))
                .update(email=None, last_name=Substr("last_name", 1, 1), allow_contact=False)
            )
            Petition.objects.filter(pk=petition_id).update(emails_erased_at=now)
    return erased


# --- Checking the counts -----------------------------------------------------------------


@dataclass(frozen=True)
class CountMismatch:
    petition_id: int
    shards: int
    rows: int


def petitions_reconcile(*, fix: bool = False) -> list[CountMismatch]:
    """Compare every petition's shard sum with its confirmed rows; with ``fix``, fold the
    shards into one holding the exact count."""
    from django.db.models import Count

    rows = dict(
        Signature.objects.filter(status=Signature.Status.CONFIRMED)
        .values_list("petition_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    shards = dict(
        CountShard.objects.values_list("petition_id").annotate(total=Sum("count")).order_by()
    )
    mismatches = []
    for petition_id in Petition.objects.values_list("pk", flat=True):
        expected, actual = rows.get(petition_id, 0), shards.get(petition_id, 0) or 0
        if expected != actual:
            mismatches.append(CountMismatch(petition_id=petition_id, shards=actual, rows=expected))
            if fix:
                with transaction.atomic():
                    # Lock the petition's signatures' counter while folding.
                    list(CountShard.objects.select_for_update().filter(petition_id=petition_id))
                    exact = Signature.objects.filter(
                        petition_id=petition_id, status=Signature.Status.CONFIRMED
                    ).count()
                    CountShard.objects.filter(petition_id=petition_id).delete()
                    CountShard.objects.create(petition_id=petition_id, shard=0, count=exact)
    return mismatches


def confirmation_urls(*, signature: Signature) -> dict[str, str]:
    """Paths for the confirmation e-mail's two links."""
    return {
        "confirm": reverse(
            "petitions:confirm", args=[signature_token(signature=signature, purpose="confirm")]
        ),
        "withdraw": reverse(
            "petitions:withdraw_link",
            args=[signature_token(signature=signature, purpose="withdraw")],
        ),
    }


def signatures_unsent_confirmations(*, older_than_seconds: int = 60, limit: int = 1000):
    """Pending reader signatures whose confirmation e-mail has not gone out (the broker
    was down when they were made), oldest first, still within the link's validity."""
    now = timezone.now()
    return list(
        Signature.objects.filter(
            status=Signature.Status.PENDING,
            email__isnull=False,
            confirmation_sent_at__isnull=True,
            created_at__lte=now - datetime.timedelta(seconds=older_than_seconds),
            created_at__gte=now - datetime.timedelta(days=settings.PETITION_CONFIRM_LINK_DAYS),
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
