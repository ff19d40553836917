"""Enqueue Celery tasks so that no work is lost when the broker is down.

``enqueue_on_commit(task, *args)`` records the task in the database inside the current
transaction, and hands it to the broker once the transaction commits. If the broker does
not answer, the row stays unsent and ``outbox_sweep_task`` (Celery beat) sends it later.
A rolled-back transaction leaves no row and sends nothing.

A task whose repeats have no effect (``idempotent=True``: it de-duplicates what it
delivers) has its sent mark written without waiting for the disk: on PostgreSQL the
mark's own transaction commits with ``synchronous_commit`` off. A crash can lose the
marks of its last fraction of a second; the sweep then sends those tasks again, at least
SWEEP_AFTER_SECONDS after their commit, and the task skips what the first delivery did
(it checks for it when it starts, so a repeat running at the same moment as a first
delivery held up that long is not caught). That spares the request a second wait for the
disk after its change's own commit. Any other task's mark stays durable: sent twice, it
would act twice.

An idempotent task also takes a list of ids (``task(*ids)``), so its messages can be sent
together: a process keeps the ones it committed, and a thread of its own sends each such
task once with the args of all of them, at most OUTBOX_SEND_WITHIN_SECONDS later, and
marks them in one statement (``_DeferredSends``). A post then pays for neither the
publish nor the mark, and a hot story's comments go out as one fan-out task. The kept
messages are lost only with the process, as the marks above, and sent by the sweep.
"""

import atexit
import datetime
import functools
import logging
import os
import threading
import time

from celery import current_app, shared_task
from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from care2 import rows
from care2.models import OutboxMessage

logger = logging.getLogger(__name__)


# The sweep takes only messages at least this old, so one just committed is the request's
# own to send.
SWEEP_AFTER_SECONDS = 30
# In the mark's WHERE (evaluated, so always true): ``synchronous_commit`` off for the
# statement's own transaction alone (``true``: local to it). The server reads it when it
# commits the statement and resets it right after.
_MARK_COMMITS_ASYNCHRONOUSLY = "AND set_config('synchronous_commit', 'off', true) IS NOT NULL"


def enqueue_on_commit(task, *args, idempotent: bool = False) -> OutboxMessage:
    """Record ``task(*args)`` in the current transaction and send it once that commits.
    ``idempotent``: the task has its effect once however often it runs, and takes any
    number of its messages' args at once, so it may be sent late, together with others,
    or again after a crash (see the module's docstring)."""
    message = _insert(OutboxMessage(task_name=task.name, args=list(args)))
    send_on_commit(message, idempotent=idempotent)
    return message


def send_on_commit(message: OutboxMessage, *, idempotent: bool = False) -> None:
    """Send ``message``, written in the current transaction, once that commits: what
    ``enqueue_on_commit`` does after its INSERT, for a row a caller's own statement
    inserted (``insert_from_sql``)."""
    transaction.on_commit(lambda: _send(message, idempotent=idempotent))


def send_soon(task, *args) -> None:
    """Send ``task(*args)`` through the process's sender (``_DeferredSends``), with no
    outbox row: for a task whose own periodic sweep does what a lost message left undone,
    and which takes any number of its messages' args at once. Call it once the change it
    is for has committed. Sent at once (``delay``) when OUTBOX_SEND_WITHIN_SECONDS is 0
    or tasks run eagerly; a broker that does not answer then is logged, not raised, and
    the task's sweep sends it."""
    if current_app.conf.task_always_eager or settings.OUTBOX_SEND_WITHIN_SECONDS <= 0:
        try:
            task.delay(*args)
        except Exception as error:
            if current_app.conf.task_always_eager and settings.OUTBOX_EAGER_RAISES:
                raise
            logger.warning("outbox: could not send %s%r: %s", task.name, args, error)
        return
    _SENDS.add(OutboxMessage(task_name=task.name, args=list(args)))


def insert_from_sql(task, source: str, args_sql: str) -> tuple[str, list, OutboxMessage]:
    """For a caller's one-statement write (PostgreSQL): an ``INSERT … SELECT`` of
    ``task``'s message for each row of ``source`` (a CTE of that statement), with
    ``args_sql`` (an SQL expression over ``source``'s columns, a JSON array) as its args,
    returning the message's id; the parameters it takes; and the message as it inserts
    it, whose ``pk`` and ``args`` the caller sets from what the statement returns, then
    hands it to ``send_on_commit``."""
    message = OutboxMessage(task_name=task.name)
    sql, columns = _insert_from_sql(connection.alias, source, args_sql)
    values = [f.get_db_prep_save(f.pre_save(message, add=True), connection) for f in columns]
    return sql, values, message


@functools.cache
def _insert_from_sql(alias: str, source: str, args_sql: str) -> tuple[str, list]:
    quote = connection.ops.quote_name
    meta = OutboxMessage._meta
    columns = [f for f in meta.concrete_fields if not f.primary_key and f.attname != "args"]
    names = ", ".join(quote(f.column) for f in [*columns, meta.get_field("args")])
    casts = rows.cast_placeholders(alias, tuple(columns))
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({names}) "
        f"SELECT {casts}, {args_sql} FROM {source} RETURNING {quote(meta.pk.column)}"
    )
    return sql, columns


def _insert(message: OutboxMessage) -> OutboxMessage:
    """``message.save()`` as one prepared ``INSERT … RETURNING id``: every comment and
    signature writes a row, and building the ORM's INSERT each time costs more than the
    statement does (``care2.rows``)."""
    if not connection.features.can_return_columns_from_insert:
        message.save(force_insert=True)
        return message
    sql, columns = _insert_sql(connection.alias)
    return rows.insert(message, sql, columns)


@functools.cache
def _insert_sql(alias: str) -> tuple[str, list]:
    quote = connection.ops.quote_name
    meta = OutboxMessage._meta
    columns = [f for f in meta.concrete_fields if not f.primary_key]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING {quote(meta.pk.column)}"
    )
    return sql, columns


def _send(message: OutboxMessage | int, *, idempotent: bool = False) -> bool:
    """Send ``message`` (or the message of that id, read again) unless it was sent. An
    idempotent task's message just committed is handed to the process's sender
    (``_DeferredSends``) when OUTBOX_SEND_WITHIN_SECONDS is set; returns True then."""
    if isinstance(message, OutboxMessage) and not _sweep_may_have_it(message):
        # Just committed by this request: the row is as it was written (not sent, no
        # attempts), so it is not read again.
        message_id = message.pk
    else:
        message_id = message if isinstance(message, int) else message.pk
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
        _mark_sent({message_id: 1}, asynchronously=idempotent)
        return True
    if idempotent and settings.OUTBOX_SEND_WITHIN_SECONDS > 0:
        _SENDS.add(message)
        return True
    return _publish(message.task_name, [message], idempotent=idempotent)


def _publish(task_name: str, messages: list[OutboxMessage], *, idempotent: bool) -> bool:
    """Send ``task_name`` once with the args of every message in ``messages`` (one
    message, or an idempotent task's messages kept together), and mark them sent: an
    idempotent task's mark without waiting for the disk, any other's durably. If the
    broker does not answer, their attempts are counted and the sweep sends them later."""
    args = [arg for message in messages for arg in message.args]
    rows = [message for message in messages if message.pk is not None]  # not send_soon's
    try:
        # The args' repr for the worker's logs, made here: Celery's own (saferepr, for any
        # object) costs more than the rest of the message for a list of ids.
        current_app.send_task(task_name, args=args, argsrepr=repr(args)[:1024])
    except Exception as error:  # the broker is down: the sweep retries
        logger.warning("outbox: could not send %s: %s", messages[0], error)
        for message in rows:
            OutboxMessage.objects.filter(pk=message.pk).update(
                attempts=message.attempts + 1, last_error=str(error)[:300]
            )
        return False
    if rows:
        _mark_sent(
            {message.pk: message.attempts + 1 for message in rows}, asynchronously=idempotent
        )
    return True


def _sweep_may_have_it(message: OutboxMessage) -> bool:
    """Whether the sweep could have taken ``message`` already: only once it is old
    enough (a transaction that ran for that long before it committed)."""
    age = timezone.now() - message.created_at
    return age >= datetime.timedelta(seconds=SWEEP_AFTER_SECONDS / 2)


def _mark_sent(marks: dict[int, int], *, asynchronously: bool) -> None:
    """Mark the messages of ``marks`` (id: attempts) sent. ``asynchronously`` (idempotent
    tasks'): on PostgreSQL, in autocommit and outside any transaction of a caller, in one
    statement that commits without waiting for its WAL to reach the disk; inside a
    transaction the marks are written in that one and commit as it does."""
    now = timezone.now()
    if not (
        asynchronously
        and connection.vendor == "postgresql"
        and connection.get_autocommit()
        and not connection.in_atomic_block
    ):
        for message_id, attempts in marks.items():
            OutboxMessage.objects.filter(pk=message_id).update(sent_at=now, attempts=attempts)
        return
    _write_marks(marks, now)


def _write_marks(marks: dict[int, int], now: datetime.datetime) -> None:
    """Mark the messages of ``marks`` (id: attempts) sent at ``now``, in one statement
    that commits without waiting for the disk (PostgreSQL, autocommit)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(OutboxMessage._meta.db_table)} AS outbox "
            f"SET {quote('sent_at')} = %s, {quote('attempts')} = marks.attempts "
            "FROM unnest(%s::bigint[], %s::integer[]) AS marks(id, attempts) "
            f"WHERE outbox.{quote('id')} = marks.id {_MARK_COMMITS_ASYNCHRONOUSLY}",
            [now, list(marks), list(marks.values())],
        )


# The sender keeps its database connection while messages keep coming, and lets it go
# once none came for this long (an idle process holds none for it).
SENDER_IDLE_SECONDS = 2


class _DeferredSends:
    """The idempotent tasks' messages this process committed and has yet to send (and
    ``send_soon``'s, which have no row to mark). The first one wakes the process's sender
    thread, which waits OUTBOX_SEND_WITHIN_SECONDS, then sends each task once with the
    args of all its messages kept by then (a hot story's comments in one fan-out task,
    not one each) and marks them all sent in one statement. Its connection is closed
    once it is idle (SENDER_IDLE_SECONDS). The request that committed the change pays
    for neither the publish nor the mark.

    A message kept here is lost only with the process: its row stays unsent, and the
    sweep sends it SWEEP_AFTER_SECONDS after its commit (the task skips what was done
    already, which is what ``idempotent`` promises); a ``send_soon`` message is found by
    its task's own sweep. What is kept at exit is sent then.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._kept: list[OutboxMessage] = []
        self._wanted = threading.Event()
        self._sender: threading.Thread | None = None

    def add(self, message: OutboxMessage) -> None:
        with self._lock:
            self._kept.append(message)
            self._wanted.set()
            if self._sender is None or not self._sender.is_alive():
                self._sender = threading.Thread(
                    target=self._send_forever, name="outbox-sender", daemon=True
                )
                self._sender.start()

    def send(self) -> int:
        """Send the messages kept so far, now, on this thread's connections; returns how
        many were sent."""
        with self._lock:
            kept, self._kept = self._kept, []
            self._wanted.clear()
        by_task: dict[str, list[OutboxMessage]] = {}
        for message in kept:
            by_task.setdefault(message.task_name, []).append(message)
        sent = 0
        for task_name, messages in by_task.items():
            try:
                if _publish(task_name, messages, idempotent=True):
                    sent += len(messages)
            except DatabaseError as error:
                # The broker has them; the marks (or the attempts) are not written, so
                # the sweep sends them again, and the task skips what it did.
                logger.warning(
                    "outbox: %d sent marks not written, to be sent again: %s",
                    len(messages),
                    error,
                )
        return sent

    def _send_forever(self) -> None:
        while True:
            if not self._wanted.wait(SENDER_IDLE_SECONDS):
                connections.close_all()  # idle: this thread's connections go
                self._wanted.wait()
            self._pause(settings.OUTBOX_SEND_WITHIN_SECONDS)
            try:
                self.send()
            except Exception:
                logger.exception("outbox: the sender failed; the sweep sends what it kept")
                connections.close_all()

    _pause = staticmethod(time.sleep)

    def forget(self) -> None:
        """In a child process just forked: the parent's messages and sender are not its
        own."""
        self.__init__()


_SENDS = _DeferredSends()
os.register_at_fork(after_in_child=_SENDS.forget)
atexit.register(_SENDS.send)


@shared_task(name="care2.outbox_sweep_task")
def outbox_sweep_task(older_than_seconds: int = SWEEP_AFTER_SECONDS, limit: int = 1000) -> int:
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
