"""The Celery app: configured from Django settings (``CELERY_*``), tasks autodiscovered."""

import os
import threading

from celery import Celery
from celery.signals import task_postrun, task_prerun
from multidb import pinning

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "care2.settings")

app = Celery("care2")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _connect_task_logs(sender, **kwargs):
    import care2.logs  # noqa: F401  (one JSON line per task)


# Tasks read from the primary database, never from a replica: a task is usually enqueued
# the moment its row commits (a comment, a signature), before a replica may have it.
# The pin is the router's thread flag (care2.db_router); an eager task running inside a
# request leaves the request's own pin as it found it.
_pins = threading.local()


@task_prerun.connect
def _pin_task_to_primary(**kwargs):
    stack = _pins.__dict__.setdefault("stack", [])
    stack.append(pinning.this_thread_is_pinned())
    pinning.pin_this_thread()


@task_postrun.connect
def _unpin_task(**kwargs):
    stack = _pins.__dict__.setdefault("stack", [])
    if not (stack.pop() if stack else False):
        pinning.unpin_this_thread()
