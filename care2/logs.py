"""Structured logs: one JSON line per request and per Celery task."""

import json
import logging
import time

from celery.signals import task_postrun, task_prerun
from django.db import DatabaseError

request_logger = logging.getLogger("care2.request")
task_logger = logging.getLogger("care2.task")


class JsonFormatter(logging.Formatter):
    """Each record as one line of JSON: time, level, logger, message and its extras."""

    RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record):
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({k: v for k, v in record.__dict__.items() if k not in self.RESERVED})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def _user_id(request) -> int | None:
    """The member's id, or None; also None when the database could not say (an outage:
    the request already got the 503 page, its log line must still be written)."""
    user = getattr(request, "user", None)  # lazy: reading it may query the session
    try:
        return user.pk if user is not None and user.is_authenticated else None
    except DatabaseError:
        return None


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        request_logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": _user_id(request),
                # The client, resolved behind trusted proxies (TrustedProxyMiddleware).
                "ip": request.META.get("REMOTE_ADDR"),
            },
        )
        return response


_task_started: dict[str, float] = {}


@task_prerun.connect
def _task_started_at(task_id=None, **kwargs):
    _task_started[task_id] = time.perf_counter()


@task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs):
    started = _task_started.pop(task_id, None)
    task_logger.info(
        "task %s %s",
        getattr(task, "name", "?"),
        state,
        extra={
            "task": getattr(task, "name", "?"),
            "task_id": task_id,
            "state": state,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        },
    )
