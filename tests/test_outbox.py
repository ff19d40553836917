import pytest
from celery import current_app, shared_task
from django.db import transaction
from kombu.exceptions import OperationalError

from care2.models import OutboxMessage
from care2.outbox import enqueue_on_commit, outbox_sweep_task

pytestmark = pytest.mark.django_db

RAN = []


@shared_task(name="tests.record_task")
def record_task(value):
    RAN.append(value)


@pytest.fixture(autouse=True)
def _reset():
    RAN.clear()


def test_eager_runs_after_commit_and_marks_sent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(record_task, 7)
        assert RAN == []  # not before the commit
    assert RAN == [7]
    assert OutboxMessage.objects.get().sent_at is not None


@shared_task(name="tests.failing_task")
def failing_task():
    raise RuntimeError("database is locked")


def test_a_failing_eager_task_leaves_the_saved_change_and_the_work_for_the_sweep(
    django_capture_on_commit_callbacks, settings, caplog
):
    """`make run`: the comment is saved; its notification failing must not answer 503."""
    settings.OUTBOX_EAGER_RAISES = False
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(failing_task)  # no exception reaches the request
    message = OutboxMessage.objects.get()
    assert message.sent_at is None and message.attempts == 1
    assert "database is locked" in message.last_error
    assert "failed after its change was saved" in caplog.text


def test_rolled_back_change_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                enqueue_on_commit(record_task, 1)
                raise RuntimeError("the change fails")
        except RuntimeError:
            pass
    assert RAN == [] and not OutboxMessage.objects.exists()


@pytest.fixture
def not_eager():
    current_app.conf.task_always_eager = False
    yield
    current_app.conf.task_always_eager = True


def test_broker_down_keeps_the_work_and_the_sweep_sends_it(
    monkeypatch, not_eager, django_capture_on_commit_callbacks
):
    sent = []

    def broker_down(name, args):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(current_app, "send_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(record_task, 3)
    message = OutboxMessage.objects.get()
    assert message.sent_at is None and message.attempts == 1 and "refused" in message.last_error

    monkeypatch.setattr(current_app, "send_task", lambda name, args: sent.append((name, args)))
    assert outbox_sweep_task(older_than_seconds=0) == 1
    assert sent == [("tests.record_task", [3])]
    assert outbox_sweep_task(older_than_seconds=0) == 0  # sent once
