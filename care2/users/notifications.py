"""Notifications: the one place that puts personal messages in members' inboxes and
sends the site's notification e-mails.

Comment tracking, petition updates and petition confirmations all come through here.
Two halves:

- ``notify`` delivers one notice (a ``key``) to many members: it takes a lock per
  member and notice (two deliveries of the same notice, such as a re-send by the outbox
  sweep meeting the first one still running, wait for each other member by member), skips
  those whose inbox already has a message with that key, bulk-inserts the others'
  messages with ``ignore_conflicts`` (the inbox's unique ``(recipient, key)`` stays the
  guarantee) and e-mails those of them that the caller gives an ``Email`` for. All of it
  in one transaction, the e-mails sent last inside it: if sending fails, the messages
  roll back too and a retry delivers both (exactly once for the inbox; for e-mail, once,
  unless the worker dies between handing e-mails to the mailer and the commit: then the
  retry sends those e-mails again, with the same ``Message-ID``, made from the notice and
  the member, by which mail systems recognise a repeat).
- ``send_emails`` builds ``care2.mail`` messages (links kept whole, ``List-Unsubscribe``
  plain) and sends them ``EMAIL_CHUNK_SIZE`` per round to the mailer; ``notify`` uses it,
  and so do e-mails that have no inbox message (a reader's signature confirmation).
"""

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from email.utils import parseaddr

from django.conf import settings
from django.db import connection, transaction

from care2.mail import EmailMessage
from care2.mail import send as mail_send
from care2.users.facts import facts_changed_for
from care2.users.models import Message, User


@dataclass(frozen=True)
class Email:
    """One plain-text e-mail to one address."""

    to: str
    subject: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    def message(self) -> EmailMessage:
        return EmailMessage(
            subject=self.subject, body=self.body, to=[self.to], headers=dict(self.headers)
        )


def send_emails(emails: Sequence[Email]) -> int:
    """Send ``emails``, ``settings.EMAIL_CHUNK_SIZE`` per round to the default mailer;
    returns how many were sent. An SMTP failure raises (``OSError``) for the caller's
    transaction and retry to deal with."""
    if not emails:
        return 0
    return mail_send([e.message() for e in emails], chunk_size=settings.EMAIL_CHUNK_SIZE)


def _lock_deliveries(*, key: str, recipient_ids: Sequence[int]) -> None:
    """Until the transaction ends, hold a lock per (notice, member): a second delivery of
    the same notice to the same members waits here, and then finds their messages.
    Taken in member order, so two deliveries never wait for each other both ways.
    PostgreSQL's transaction-level advisory locks; on SQLite a writing transaction holds
    the whole database already (``transaction_mode = IMMEDIATE``)."""
    if connection.vendor != "postgresql" or not recipient_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(hashtext(%s), r)) "
            "FROM (SELECT r FROM unnest(%s::int[]) AS r ORDER BY r) AS members",
            [key, sorted(set(recipient_ids))],
        )


def undelivered(*, key: str, recipients: Iterable[User]) -> list[User]:
    """The ``recipients`` whose inbox has no message with ``key`` yet (one query)."""
    recipients = list(recipients)
    done = set(
        Message.objects.filter(key=key, recipient_id__in=[r.pk for r in recipients]).values_list(
            "recipient_id", flat=True
        )
    )
    return [r for r in recipients if r.pk not in done]


def notice_message_id(*, key: str, recipient_id: int) -> str:
    """The ``Message-ID`` of the e-mail of notice ``key`` to a member: the same every time
    that e-mail is sent (a retry after a worker died having sent it), and no other's."""
    digest = hashlib.sha256(f"{key}\0{recipient_id}".encode()).hexdigest()[:40]
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<notice.{digest}@{domain}>"


def _with_message_id(mail: Email, *, key: str, recipient: User) -> Email:
    if any(name.lower() == "message-id" for name in mail.headers):
        return mail
    message_id = notice_message_id(key=key, recipient_id=recipient.pk)
    return replace(mail, headers={**mail.headers, "Message-ID": message_id})


def notify(
    *,
    key: str,
    recipients: Iterable[User],
    subject: str,
    body: str | Callable[[User], str],
    url: str,
    email: Callable[[User], Email | None] | None = None,
) -> int:
    """Deliver the notice ``key`` to ``recipients``: an inbox message each (``body`` a
    text, or a function of the recipient for a personal one) and, for each recipient
    ``email`` returns an ``Email`` for, that e-mail. Members who already have the
    message are skipped, e-mail included, so a repeated delivery is a no-op.

    ``recipients`` is read inside the transaction (a queryset is evaluated there).
    Returns the number of inbox messages inserted.
    """
    with transaction.atomic():
        recipients = list(recipients)
        _lock_deliveries(key=key, recipient_ids=[r.pk for r in recipients])
        todo = undelivered(key=key, recipients=recipients)
        if not todo:
            return 0
        created = Message.objects.bulk_create(
            [
                Message(
                    recipient_id=recipient.pk,
                    subject=subject,
                    body=body(recipient) if callable(body) else body,
                    url=url,
                    key=key,
                )
                for recipient in todo
            ],
            ignore_conflicts=True,
        )
        facts_changed_for(todo)  # their unread counts
        emails = [
            _with_message_id(mail, key=key, recipient=recipient)
            for recipient in todo
            if email and (mail := email(recipient)) is not None
        ]
        # Sent inside the transaction: if sending fails, the messages roll back too and
        # the task's retry delivers both.
        send_emails(emails)
    return len(created)
