from celery import shared_task

from stories.services import stories_expire_stale


@shared_task(name="stories.tasks.expire_newly_submitted_task")
def expire_newly_submitted_task() -> int:
    """Periodic (Celery beat): expire stories that sat in Newly Submitted too long."""
    return stories_expire_stale()
