"""The Celery app: configured from Django settings (``CELERY_*``), tasks autodiscovered."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "care2.settings")

app = Celery("care2")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _connect_task_logs(sender, **kwargs):
    import care2.logs  # noqa: F401  (one JSON line per task)
