"""Celery tasks for comment tracking. They take ids, call a service, and are idempotent:
delivering the same task twice leaves one message per (comment, recipient)."""

from celery import shared_task

from comments import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def comment_notify_task(*comment_ids: int) -> int:
    """Fan new comments out to their stories' trackers: one batch task per comment and
    NOTIFY_BATCH_SIZE trackers, so a story with 10,000 trackers is 20 small bulk inserts
    that any number of workers share. A web process sends the comments it committed
    within a moment in one task (care2.outbox). Returns the number of batches enqueued."""
    batches = 0
    for comment_id in comment_ids:
        for recipient_ids in services.comment_tracker_batches(comment_id=comment_id):
            comment_notify_batch_task.delay(comment_id, recipient_ids)
            batches += 1
    return batches


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    # An SMTP failure rolls the batch back; it is tried again later.
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_kwargs={"max_retries": 5},
)
def comment_notify_batch_task(comment_id: int, recipient_ids: list[int]) -> int:
    """Deliver one batch: inbox messages (bulk insert) and e-mails (in chunks)."""
    return services.comment_notify_batch(comment_id=comment_id, recipient_ids=recipient_ids)


@shared_task(ignore_result=True)
def comment_fanout_sweep_task() -> int:
    """Deliver the notices a lost fan-out batch left undelivered (Celery beat): one batch
    task per comment, for the missing members only. Returns the members handed on."""
    missing = services.undelivered_notices()
    for comment_id, member_ids in missing.items():
        comment_notify_batch_task.delay(comment_id, member_ids)
    return sum(len(member_ids) for member_ids in missing.values())
