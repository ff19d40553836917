"""Writes for members: verification and suspension checks, the inbox, the audit trail."""

import datetime

from allauth.account.models import EmailAddress
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.utils import timezone

from care2.users.facts import facts_changed
from care2.users.models import AuditEntry, Message, User


def user_has_verified_email(user: User) -> bool:
    """Members must verify their e-mail before they submit, vet or comment."""
    if not user.is_authenticated:
        return False
    if getattr(user, "email_verified_this_request", False):  # care2.users.facts
        return True
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def message_mark_read(*, user: User, message_id: int) -> int:
    facts_changed(user.pk)  # the header's unread count
    return Message.objects.filter(recipient=user, pk=message_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def messages_mark_all_read(*, user: User) -> int:
    facts_changed(user.pk)
    return Message.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def audit_record(
    *, actor, action: str, target, reason: str = "", change_message: str = "", admin_log=True
) -> AuditEntry:
    """Write one moderator decision to the audit trail and the admin's history (see
    ``audit_record_many``)."""
    return audit_record_many(
        actor=actor,
        action=action,
        targets=[target],
        reason=reason,
        change_message=change_message,
        admin_log=admin_log,
    )[0]


def audit_record_many(
    *, actor, action: str, targets, reason: str = "", change_message: str = "", admin_log=True
) -> list[AuditEntry]:
    """The one audit call of every moderator decision (stories, comments, petitions,
    members, credits): an audit entry per target (who, what, when, why) and, when a
    person decided, the matching entry in the admin's history of each target (Django's
    ``LogEntry``), in the caller's transaction. ``change_message`` words the history
    entry (default: the action and the reason); ``admin_log=False`` when the admin
    already logs the same save itself (its add and change forms do)."""
    targets = list(targets)
    actor = actor if actor is not None and actor.is_authenticated else None
    entries = AuditEntry.objects.bulk_create(
        AuditEntry(
            actor=actor,
            action=action,
            target_type=f"{t._meta.app_label}.{t._meta.model_name}",
            target_id=str(t.pk),
            target_repr=str(t)[:300],
            reason=reason,
        )
        for t in targets
    )
    if admin_log and actor is not None and targets:
        LogEntry.objects.log_actions(
            user_id=actor.pk,
            queryset=targets,
            action_flag=CHANGE,
            change_message=change_message
            or action[:1].upper() + action[1:] + (f": {reason}" if reason else ""),
        )
    return entries


@transaction.atomic
def user_suspend(
    *, user: User, by: User | None, reason: str, until: datetime.datetime | None = None
) -> User:
    """Suspend a member: they can read but not post, vet, sign or message, until ``until``
    (or indefinitely). Their open sessions end at their next request
    (care2.users.middleware.SuspensionMiddleware)."""
    if not reason.strip():
        raise ValueError("A suspension needs a reason.")
    user.suspended_until = until or timezone.now() + datetime.timedelta(days=365 * 100)
    user.suspension_reason = reason.strip()[:300]
    user.save(update_fields=["suspended_until", "suspension_reason"])
    audit_record(actor=by, action="suspend member", target=user, reason=reason)
    return user


@transaction.atomic
def user_unsuspend(*, user: User, by: User | None, reason: str = "") -> User:
    user.suspended_until = None
    user.suspension_reason = ""
    user.save(update_fields=["suspended_until", "suspension_reason"])
    audit_record(actor=by, action="lift suspension", target=user, reason=reason)
    return user
