"""Writes for members: verification and suspension checks, the inbox, the audit trail."""

import datetime

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from care2.users.models import AuditEntry, Message, User


def user_has_verified_email(user: User) -> bool:
    """Members must verify their e-mail before they submit, vet or comment."""
    if not user.is_authenticated:
        return False
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def message_mark_read(*, user: User, message_id: int) -> int:
    return Message.objects.filter(recipient=user, pk=message_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def messages_mark_all_read(*, user: User) -> int:
    return Message.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def audit_record(*, actor, action: str, target, reason: str = "") -> AuditEntry:
    """Write one audit entry for a moderator action (who, what, when, why)."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=f"{target._meta.app_label}.{target._meta.model_name}",
        target_id=str(target.pk),
        target_repr=str(target)[:300],
        reason=reason,
    )


def audit_record_many(*, actor, action: str, targets, reason: str = "") -> int:
    entries = [
        AuditEntry(
            actor=actor if actor is not None and actor.is_authenticated else None,
            action=action,
            target_type=f"{t._meta.app_label}.{t._meta.model_name}",
            target_id=str(t.pk),
            target_repr=str(t)[:300],
            reason=reason,
        )
        for t in targets
    ]
    AuditEntry.objects.bulk_create(entries)
    return len(entries)


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
