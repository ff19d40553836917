"""Writes for members: verification checks and the inbox."""

from allauth.account.models import EmailAddress
from django.utils import timezone

from care2.users.models import Message, User


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
