"""Tasks a test worker imports with `--include tests.worker_tasks`."""

import os
import time
from pathlib import Path

from celery import shared_task


# acks_late and reject_on_worker_lost come from the project settings (CELERY_TASK_*),
# as for every task of the site: the tests check those settings, not a local override.
@shared_task(name="tests.slow_idempotent_task")
def slow_idempotent_task(recipient_id: int, key: str, marker_dir: str) -> None:
    """Records each attempt, sleeps on the first one (so a test can kill the worker
    mid-task), then writes its effect idempotently (a unique key)."""
    from care2.users.models import Message

    markers = Path(marker_dir)
    attempt = len(list(markers.glob("attempt-*"))) + 1
    (markers / f"attempt-{attempt}-{os.getpid()}").touch()
    if attempt == 1:
        time.sleep(60)
    Message.objects.bulk_create(
        [Message(recipient_id=recipient_id, subject="done", key=key)], ignore_conflicts=True
    )
