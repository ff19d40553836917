from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """A task to run, written in the same transaction as the change that needs it.

    The broker (Redis) may be down when a member comments or a reader signs; the row
    keeps the work until a sweep (Celery beat) hands it to the broker again. Tasks are
    idempotent, so a task sent twice has its effect once.
    """

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outbox_unsent_idx",
            )
        ]

    def __str__(self):
        return f"{self.task_name}{tuple(self.args)}"
