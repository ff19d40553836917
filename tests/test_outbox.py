import datetime
import os
import threading
import time

import pytest
from celery import current_app, shared_task
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError

from care2.models import OutboxMessage
from care2.outbox import SWEEP_AFTER_SECONDS, enqueue_on_commit, outbox_sweep_task

pytestmark = pytest.mark.django_db

RAN = []


@shared_task(name="tests.record_task")
def record_task(*values):
    RAN.extend(values)


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

    def broker_down(name, args, **options):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(current_app, "send_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(record_task, 3)
    message = OutboxMessage.objects.get()
    assert message.sent_at is None and message.attempts == 1 and "refused" in message.last_error

    monkeypatch.setattr(
        current_app, "send_task", lambda name, args, **options: sent.append((name, args))
    )
    assert outbox_sweep_task(older_than_seconds=0) == 1
    assert sent == [("tests.record_task", [3])]
    assert outbox_sweep_task(older_than_seconds=0) == 0  # sent once


# --- The sent mark ------------------------------------------------------------------------

ASYNC_CLAUSE = "set_config('synchronous_commit', 'off', true)"
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's"
)


class MarkSpy:
    """Records each UPDATE of the outbox with ``synchronous_commit`` as its own
    transaction had it, read inside the statement (a RETURNING added to it)."""

    def __init__(self):
        self.marks = []

    def __call__(self, execute, sql, params, many, context):
        if not sql.startswith('UPDATE "care2_outboxmessage"'):
            return execute(sql, params, many, context)
        result = execute(
            sql + " RETURNING current_setting('synchronous_commit')", params, many, context
        )
        row = context["cursor"].cursor.fetchone()
        self.marks.append((row[0] if row else None, sql))
        return result


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", ["eager", "broker"])
def test_an_idempotent_tasks_mark_commits_asynchronously_outside_a_transaction(
    monkeypatch, request, broker
):
    if broker == "broker":
        request.getfixturevalue("not_eager")
        monkeypatch.setattr(
            current_app, "send_task", lambda name, args, **options: RAN.append(args)
        )
    spy = MarkSpy()
    with connection.execute_wrapper(spy), transaction.atomic():
        enqueue_on_commit(record_task, 5, idempotent=True)
    ((setting, sql),) = spy.marks
    assert setting == "off" and ASYNC_CLAUSE in sql
    assert synchronous_commit() == "on"  # the setting never outlives the statement
    message = OutboxMessage.objects.get()
    assert message.sent_at is not None and message.attempts == 1
    assert RAN in ([5], [[5]])


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_any_other_tasks_mark_is_durable():
    spy = MarkSpy()
    with connection.execute_wrapper(spy), transaction.atomic():
        enqueue_on_commit(record_task, 6)
    ((setting, sql),) = spy.marks
    assert setting == "on" and ASYNC_CLAUSE not in sql
    assert OutboxMessage.objects.get().sent_at is not None


def test_inside_a_callers_transaction_the_mark_is_part_of_it(django_capture_on_commit_callbacks):
    """The callbacks run inside the test's transaction here: the mark commits with it."""
    spy = MarkSpy()
    with connection.execute_wrapper(spy), django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(record_task, 8, idempotent=True)
    ((setting, sql),) = spy.marks
    assert setting == "on" and ASYNC_CLAUSE not in sql
    assert RAN == [8] and OutboxMessage.objects.get().sent_at is not None


def test_the_send_after_the_commit_does_not_read_the_row_again(
    monkeypatch, not_eager, django_capture_on_commit_callbacks, django_assert_num_queries
):
    sent = []
    monkeypatch.setattr(
        current_app, "send_task", lambda name, args, **options: sent.append((name, args))
    )
    with django_capture_on_commit_callbacks() as callbacks:
        enqueue_on_commit(record_task, 9, idempotent=True)
    with django_assert_num_queries(1) as queries:  # the mark alone
        callbacks[0]()
    assert queries.captured_queries[0]["sql"].startswith("UPDATE")
    assert sent == [("tests.record_task", [9])]


def test_a_message_old_enough_for_the_sweep_is_read_again_first(
    monkeypatch, not_eager, django_capture_on_commit_callbacks
):
    """A transaction that ran for long: by its commit the sweep may have sent its message
    already, so the send after the commit checks the row, and sends nothing if it was."""
    sent = []
    monkeypatch.setattr(
        current_app, "send_task", lambda name, args, **options: sent.append((name, args))
    )
    long_ago = timezone.now() - datetime.timedelta(seconds=SWEEP_AFTER_SECONDS)
    with django_capture_on_commit_callbacks() as callbacks:
        message = enqueue_on_commit(record_task, 10, idempotent=True)
        message.created_at = long_ago
        OutboxMessage.objects.filter(pk=message.pk).update(created_at=long_ago)
    assert outbox_sweep_task() == 1  # the sweep got there first
    callbacks[0]()
    assert sent == [("tests.record_task", [10])]
    assert OutboxMessage.objects.get().attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_comments_lost_mark_delivers_once(mailoutbox):
    """A crash lost the sent mark of a comment's notification (written without waiting
    for the disk): the sweep sends the task again, and the tracker still has one message
    and one e-mail."""
    from care2.users.models import Message
    from comments.models import Tracking
    from comments.services import comment_create
    from tests.factories import StoryFactory, UserFactory

    story = StoryFactory(published=True)
    Tracking.objects.filter(story=story).delete()
    tracker = UserFactory(email_on_tracked_comments=True)
    Tracking.objects.create(member=tracker, story=story)
    comment_create(author=UserFactory(), story=story, body="Heard at the meeting")
    assert Message.objects.filter(recipient=tracker).count() == 1 and len(mailoutbox) == 1
    message = OutboxMessage.objects.get(task_name="comments.tasks.comment_notify_task")
    assert message.sent_at is not None
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=None)  # the lost mark
    assert outbox_sweep_task(older_than_seconds=0) == 1
    assert OutboxMessage.objects.get(pk=message.pk).sent_at is not None
    assert Message.objects.filter(recipient=tracker).count() == 1
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_resend_running_at_the_same_time_as_the_first_delivery_emails_once(
    mailoutbox, monkeypatch
):
    """What a re-send by the sweep meets if the first delivery is still running: both
    reach the members still to notify at the same moment. The second waits for the
    first's locks, then finds everyone notified: one message and one e-mail each."""
    from care2.users import notifications
    from care2.users.models import Message
    from comments.models import Tracking
    from comments.services import comment_create, comment_notify_batch
    from tests.factories import StoryFactory, UserFactory
    from tests.races import meeting_point, race

    story = StoryFactory(published=True)
    Tracking.objects.filter(story=story).delete()
    trackers = UserFactory.create_batch(5, email_on_tracked_comments=True)
    Tracking.objects.bulk_create(Tracking(member=t, story=story) for t in trackers)
    comment = comment_create(author=UserFactory(), story=story, body="Twice at once")
    Message.objects.all().delete()
    mailoutbox.clear()
    ids = [t.pk for t in trackers]
    both_here = meeting_point(2)
    real_lock = notifications._lock_deliveries

    def lock_deliveries(**kwargs):
        both_here.wait()  # both deliveries are past their reads of the recipients
        real_lock(**kwargs)

    monkeypatch.setattr(notifications, "_lock_deliveries", lock_deliveries)
    race(lambda: comment_notify_batch(comment_id=comment.pk, recipient_ids=ids), [()] * 2)
    assert Message.objects.count() == 5
    assert len(mailoutbox) == 5


def test_the_message_carries_the_args_repr_made_once(
    monkeypatch, not_eager, django_capture_on_commit_callbacks
):
    """The worker's log shows the task's args: their repr goes with the message, made by
    the outbox (Celery's own saferepr would cost more than the rest of the message)."""
    published = []

    def publish(producer, name, message, **options):
        published.append(message.headers)

    monkeypatch.setattr(current_app.amqp, "send_task_message", publish)
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(record_task, 41)
    assert [(h["task"], h["argsrepr"]) for h in published] == [("tests.record_task", "[41]")]


# --- Sent together, off the request ------------------------------------------------------


@pytest.fixture
def sends_together(settings, monkeypatch, not_eager):
    """Idempotent tasks' messages kept by the process; the sender thread waits for the
    test's word instead of OUTBOX_SEND_WITHIN_SECONDS."""
    from care2 import outbox

    settings.OUTBOX_SEND_WITHIN_SECONDS = 1
    go = threading.Event()
    monkeypatch.setattr(outbox._SENDS, "_pause", lambda seconds: go.wait(30))
    published = []
    monkeypatch.setattr(
        current_app, "send_task", lambda name, args, **options: published.append((name, args))
    )
    yield go, published
    go.set()
    outbox._SENDS.send()


def wait_until(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_processs_messages_are_sent_as_one_task_and_marked_together(sends_together):
    go, published = sends_together
    for value in (1, 2, 3):
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            enqueue_on_commit(record_task, value, idempotent=True)
        # The request wrote the row; no mark, and (below) no publish.
        assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    enqueue_on_commit(failing_task)  # another task's message is sent at once, by itself
    assert published == [("tests.failing_task", [])]  # the request sent nothing else
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 3  # kept for now
    go.set()
    wait_until(lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists())
    assert published[1:] == [("tests.record_task", [1, 2, 3])]  # one task for the three
    rows = OutboxMessage.objects.filter(task_name="tests.record_task")
    marks = rows.values_list("sent_at", "attempts")
    assert len({sent_at for sent_at, _ in marks}) == 1  # one statement
    assert {attempts for _, attempts in marks} == {1}
    # The sender let its connection go: an idle process holds none for it.
    wait_until(lambda: sender_connections() == 0)


def sender_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(IDLE_SENDERS)
        return cursor.fetchone()[0]


IDLE_SENDERS = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND query LIKE 'UPDATE \"care2_outboxmessage\" AS outbox%%'"
)


def test_a_batch_of_comments_fans_each_out(settings):
    """One fan-out task for the comments a process kept together: each comment's
    trackers get its notice."""
    from care2.users.models import Message
    from comments.models import Tracking
    from comments.tasks import comment_notify_task
    from tests.comments.factories import CommentFactory
    from tests.factories import StoryFactory, UserFactory

    stories = StoryFactory.create_batch(2, published=True)
    trackers = UserFactory.create_batch(2)
    for story, tracker in zip(stories, trackers, strict=True):
        Tracking.objects.create(member=tracker, story=story)
    comments = [CommentFactory(story=story) for story in stories]
    assert comment_notify_task(*[comment.pk for comment in comments]) == 2
    for comment, tracker in zip(comments, trackers, strict=True):
        assert Message.objects.filter(recipient=tracker, key=f"comment:{comment.pk}").exists()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_broker_down_at_the_send_leaves_the_kept_messages_to_the_sweep(
    sends_together, monkeypatch
):
    from care2 import outbox

    go, published = sends_together
    for value in (5, 6):
        with transaction.atomic():
            enqueue_on_commit(record_task, value, idempotent=True)

    def broker_down(name, args, **options):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(current_app, "send_task", broker_down)
    assert outbox._SENDS.send() == 0
    rows = OutboxMessage.objects.all()
    assert {(row.sent_at, row.attempts) for row in rows} == {(None, 1)}
    assert all("refused" in row.last_error for row in rows)
    monkeypatch.setattr(
        current_app, "send_task", lambda name, args, **options: published.append((name, args))
    )
    assert outbox_sweep_task(older_than_seconds=0) == 2
    assert published == [("tests.record_task", [5]), ("tests.record_task", [6])]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_marks_that_cannot_be_written_are_sent_again_by_the_sweep(
    sends_together, monkeypatch, caplog
):
    from care2 import outbox

    with transaction.atomic():
        enqueue_on_commit(record_task, 7, idempotent=True)

    def database_down(marks, now):
        raise outbox.DatabaseError("the database went away")

    monkeypatch.setattr(outbox, "_write_marks", database_down)
    assert outbox._SENDS.send() == 0
    assert "1 sent marks not written" in caplog.text
    monkeypatch.undo()
    assert OutboxMessage.objects.get().sent_at is None


@pytest.mark.django_db(transaction=True)
# The child leaves at once, touching no lock another thread may hold.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_starts_with_nothing_kept(sends_together):
    """A gunicorn worker forked from a process that kept messages does not send them:
    they are the parent's to send."""
    from care2 import outbox

    with transaction.atomic():
        enqueue_on_commit(record_task, 8, idempotent=True)
    assert len(outbox._SENDS._kept) == 1
    pid = os.fork()
    if pid == 0:  # the child: report, and leave without running anything of pytest's
        os._exit(0 if not outbox._SENDS._kept and outbox._SENDS._sender is None else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert len(outbox._SENDS._kept) == 1  # the parent still has it


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_sign_posts_confirmations_go_out_together_with_no_outbox_row(sends_together):
    """send_soon: the request publishes nothing; the sender sends the moment's
    signatures in one task; no row (the resend sweep covers a lost one)."""
    from django.test import Client
    from django.urls import reverse

    from petitions.models import Signature
    from tests.petitions.factories import PetitionFactory

    go, published = sends_together
    petition = PetitionFactory()
    for n in range(3):
        data = {"first_name": "Ana", "last_name": "Reader", "email": f"r{n}@example.org"}
        data.update(country="GB", show_name="on")
        response = Client().post(reverse("petitions:sign", args=[petition.pk]), data)
        assert response.status_code == 302
    assert published == [] and not OutboxMessage.objects.exists()
    go.set()
    wait_until(lambda: published)
    ids = sorted(Signature.objects.values_list("pk", flat=True))
    assert [(name, sorted(args)) for name, args in published] == [
        ("petitions.tasks.send_confirmations_task", ids)
    ]


def test_send_soon_at_once_logs_a_broker_that_does_not_answer(monkeypatch, not_eager, caplog):
    from care2.outbox import send_soon

    def down(*args):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(record_task, "delay", down)
    send_soon(record_task, 1)  # the change is saved: no exception reaches the request
    assert "could not send tests.record_task" in caplog.text
