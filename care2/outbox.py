"""Enqueue Celery tasks so that no work is lost when the broker is down.

``enqueue_on_commit(task, *args)`` records the task in the database inside the current
transaction, and hands it to the broker once the transaction commits. If the broker does
not answer, the row stays unsent and ``outbox_sweep_task`` (Celery beat) sends it later.
A rolled-back transaction leaves no row and sends nothing.
"""

import datetime
import logging

from celery import current_app, shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from care2.models import OutboxMessage

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args) -> OutboxMessage:
    message = OutboxMessage.objects.create(task_name=task.name, args=list(args))
    transaction.on_commit(lambda: _send(message.pk))
    return message


def _send(message_id: int) -> bool:
    message = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).first()
    if message is None:
        return False
    if current_app.conf.task_always_eager:
        # No broker (`make run`, most tests): run it here, now that the data is committed.
        # The change is saved whatever the task does, so a failing task is logged and left
        # for the sweep, never reported to the member as a failed save (the tests raise).
        try:
            current_app.tasks[message.task_name].apply(args=message.args, throw=True)
        except Exception as error:
            if settings.OUTBOX_EAGER_RAISES:
                raise
            logger.exception("outbox: %s failed after its change was saved", message)
            OutboxMessage.objects.filter(pk=message_id).update(
                attempts=message.attempts + 1, last_error=str(error)[:300]
            )
            return False
        OutboxMessage.objects.filter(pk=message_id).update(sent_at=timezone.now(), attempts=1)
        return True
    try:
        current_app.send_task(message.task_name, args=message.args)
    except Exception as error:  # the broker is down: the sweep retries
        logger.warning("outbox: could not send %s: %s", message, error)
        OutboxMessage.objects.filter(pk=message_id).update(
            attempts=message.attempts + 1, last_error=str(error)[:300]
        )
        return False
    OutboxMessage.objects.filter(pk=message_id).update(
        sent_at=timezone.now(), attempts=message.attempts + 1
    )
    return True


@shared_task(name="care2.outbox_sweep_task")
def outbox_sweep_task(older_than_seconds: int = 30, limit: int = 1000) -> int:
    """Send work that the broker missed (it was down when the change committed)."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    ids = list(
        OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(_send(pk) for pk in ids)


def outbox_purge(*, older_than_days: int = 7) -> int:
    cutoff = timezone.now() - datetime.timedelta(days=older_than_days)
    deleted, _ = OutboxMessage.objects.filter(sent_at__lte=cutoff).delete()
    return deleted
