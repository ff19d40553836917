"""Background work for petitions: one purpose per task, ids in, idempotent."""

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from care2.links import absolute_url
from care2.users import notifications
from petitions import services
from petitions.models import Signature


@shared_task(name="petitions.tasks.send_confirmation_task", acks_late=True)
def send_confirmation_task(signature_id: int) -> bool:
    """E-mail a reader the link that confirms their signature (and one to withdraw it).

    Exactly one e-mail per signature, however often the task is delivered: the row is
    claimed (locked, skipped by a copy running at the same time) and marked sent in the
    transaction that sends, so a failed send leaves it for the retry or the resend sweep,
    and a confirmed or already mailed signature is a no-op. So is a signature that is not
    there: withdrawn, deleted, or a pending row a database crash lost (its insert commits
    without waiting for the disk), whose signer was told to check their e-mail and can
    sign again.
    """
    _pending_row_on_disk(signature_id)
    with transaction.atomic():
        signature = (
            Signature.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("petition")
            .filter(
                pk=signature_id,
                status=Signature.Status.PENDING,
                email__isnull=False,
                confirmation_sent_at__isnull=True,
            )
            .first()
        )
        if signature is None:
            return False
        urls = services.confirmation_urls(signature=signature)
        context = {
            "signature": signature,
            "petition": signature.petition,
            "confirm_url": absolute_url(urls["confirm"]),
            "withdraw_url": absolute_url(urls["withdraw"]),
            "petition_url": absolute_url(signature.petition.get_absolute_url()),
            "days": settings.PETITION_CONFIRM_LINK_DAYS,
            "SITE_NAME": settings.SITE_NAME,
        }
        # One recipient and no inbox message (readers have none): the kernel's e-mail half.
        notifications.send_emails(
            [
                notifications.Email(
                    to=signature.email,
                    subject=f"[{settings.SITE_NAME}] Please confirm your signature: "
                    f"{signature.petition.title}"[:200],
                    body=render_to_string("petitions/email/confirm.txt", context),
                )
            ]
        )
        Signature.objects.filter(pk=signature.pk).update(confirmation_sent_at=timezone.now())
    return True


@shared_task(name="petitions.tasks.send_confirmations_task", acks_late=True)
def send_confirmations_task(*signature_ids: int) -> int:
    """``send_confirmation_task`` for each of the signatures a web process sent together
    (care2.outbox.send_soon). One that fails does not stop the others; the first failure
    is raised once all were tried, and the resend sweep finds the e-mails it left unsent.
    Returns the e-mails sent."""
    sent, failure = 0, None
    for signature_id in signature_ids:
        try:
            sent += send_confirmation_task(signature_id)
        except Exception as error:
            failure = failure or error
    if failure is not None:
        raise failure
    return sent


def _pending_row_on_disk(signature_id: int) -> None:
    """Have the reader's pending row on disk before its e-mail can leave.

    The row's insert committed without waiting for its WAL to be flushed, and a crash
    before that flush would lose it, and could hand its id to the next signer: an e-mail
    sent for it would then confirm someone else's signature. Locking the row in a
    transaction of its own writes WAL, so its ordinary (synchronous) commit flushes the
    WAL up to there, the row's insert included (a copy of the task holding the row is
    waited for; the claim then skips it). This runs in the worker, off the request.
    Inside a transaction (eager tasks in tests), the caller's commit decides instead.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    table = connection.ops.quote_name(Signature._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE", [signature_id])


@shared_task(name="petitions.tasks.confirmations_resend_task", acks_late=True)
def confirmations_resend_task() -> int:
    """Periodic: send the confirmation e-mails the broker missed while it was down."""
    sent = 0
    for signature_id in services.signatures_unsent_confirmations():
        try:
            send_confirmation_task.delay(signature_id)
        except Exception:  # broker still down: try again at the next run
            break
        sent += 1
    return sent


@shared_task(name="petitions.tasks.notify_update_task", acks_late=True)
def notify_update_task(update_id: int) -> int:
    """Deliver a creator's update to member signers who chose to hear more."""
    return services.petition_update_notify(update_id=update_id)


@shared_task(name="petitions.tasks.close_past_deadline_task", acks_late=True)
def close_past_deadline_task() -> int:
    """Periodic (Celery beat): close petitions whose deadline has passed."""
    return services.petitions_close_past_deadline()


@shared_task(name="petitions.tasks.delete_unconfirmed_task", acks_late=True)
def delete_unconfirmed_task() -> int:
    """Periodic: delete signatures never confirmed within PETITION_DELETE_UNCONFIRMED_DAYS."""
    return services.signatures_delete_unconfirmed()


@shared_task(name="petitions.tasks.erase_emails_task", acks_late=True)
def erase_emails_task() -> int:
    """Periodic: erase signers' e-mail addresses PETITION_ERASE_EMAILS_AFTER_DAYS after close."""
    return services.signatures_erase_emails()


@shared_task(name="petitions.tasks.process_image_task", acks_late=True)
def process_image_task(petition_id: int) -> bool:
    """Re-encode a new petition's uploaded image off the request (idempotent)."""
    return services.petition_image_process(petition_id=petition_id)
