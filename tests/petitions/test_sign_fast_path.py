"""The anonymous sign POST's fast path: one statement to the database, committed without
waiting for the disk; one round trip to Redis for the rate limit; a durable confirmation;
and an e-mail task that is a quiet no-op when the pending row is not there."""

import logging

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from petitions import services, tasks
from petitions.models import Signature
from tests.petitions.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's"
)
ASYNC_CLAUSE = "set_config('synchronous_commit', 'off', true)"


def reader_data(**overrides):
    data = {
        "first_name": "Beth",
        "last_name": "Summers",
        "email": "beth.reader@example.org",
        "country": "FR",
        "show_name": "on",
    }
    data.update(overrides)
    return data


def sign(petition, email="fast@example.org"):
    return services.signature_sign_reader(
        petition_id=petition.pk, first_name="Ada", last_name="L", email=email, country="GB"
    )


# --- The rate limit (its count itself: tests/test_ratelimit.py) ---------------------------


def test_each_sign_post_takes_one_query_and_one_redis_round_trip(
    petition, settings, still_clock, redis_cache, redis_sends, django_assert_num_queries
):
    settings.PETITION_SIGN_RATE = "5/m"
    client = Client()
    url = reverse("petitions:sign", args=[petition.pk])
    for i in range(3):  # the first of a window and the ones after it alike
        redis_sends.clear()
        with django_assert_num_queries(1):
            response = client.post(url, reader_data(email=f"r{i}@example.org"))
        assert response.status_code == 302
        assert len(redis_sends) == 1
    assert Signature.objects.filter(petition=petition).count() == 3


def test_the_sixth_sign_in_a_minute_is_refused_with_a_message(
    petition, settings, still_clock, redis_cache
):
    settings.PETITION_SIGN_RATE = "5/m"
    client = Client()
    url = reverse("petitions:sign", args=[petition.pk])
    for i in range(5):
        assert client.post(url, reader_data(email=f"r{i}@example.org")).status_code == 302
    response = client.post(url, reader_data(email="sixth@example.org"))
    assert response.status_code == 429
    assert "Too many signatures" in response.content.decode()
    assert Signature.objects.filter(petition=petition).count() == 5


# --- The pending INSERT and its commit ----------------------------------------------------


class SettingSpy:
    """Records ``synchronous_commit`` as each statement ran: for the reader's INSERT from
    inside the statement itself (its RETURNING, where its own transaction is), for every
    other statement by asking just before it, in the same transaction."""

    def __init__(self):
        self.seen = []

    def __call__(self, execute, sql, params, many, context):
        raw = context["cursor"].cursor
        kind = " ".join(sql.split()[:3])
        if sql.startswith('INSERT INTO "petitions_signature"') and sql.endswith("RETURNING id"):
            result = execute(sql + ", current_setting('synchronous_commit')", params, many, context)
            row = raw.fetchone()
            raw.scroll(0, mode="absolute")  # the service reads the row as if untouched
            self.seen.append(("pending insert", row[1] if row else None, sql))
            return result
        raw.execute("SHOW synchronous_commit")
        setting = raw.fetchone()[0]
        self.seen.append((kind, setting, sql))
        return execute(sql, params, many, context)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_pending_insert_commits_asynchronously_and_everything_else_durably(
    category, monkeypatch
):
    petition = PetitionFactory(category=category)
    spy = SettingSpy()
    with connection.execute_wrapper(spy):
        signature = sign(petition)  # autocommit: the e-mail task runs (eagerly) after it
    (insert,) = [s for s in spy.seen if s[0] == "pending insert"]
    assert insert[1] == "off" and ASYNC_CLAUSE in insert[2]
    after_insert = spy.seen[spy.seen.index(insert) + 1 :]
    assert after_insert and all(setting == "on" for _, setting, _ in after_insert)
    assert len(mail.outbox) == 1
    # The row is made durable before the e-mail's claim, in a statement of its own.
    sqls = [sql for _, _, sql in after_insert]
    barrier = next(i for i, sql in enumerate(sqls) if sql.endswith("FOR KEY SHARE"))
    claim = next(i for i, sql in enumerate(sqls) if "SKIP LOCKED" in sql)
    assert barrier < claim
    with connection.cursor() as cursor:  # the setting never outlives the statement
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"

    spy.seen.clear()
    with connection.execute_wrapper(spy):
        assert services.signature_confirm(
            signature=Signature.objects.select_related("petition").get(pk=signature.pk)
        )
    assert spy.seen and all(setting == "on" for _, setting, _ in spy.seen)
    assert not any(ASYNC_CLAUSE in sql for _, _, sql in spy.seen)
    assert services.petition_count(petition_id=petition.pk) == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_sign_post_is_one_statement_and_publishes_once_the_row_is_there(
    category, monkeypatch, django_assert_num_queries
):
    petition = PetitionFactory(category=category)
    published = []

    def delay(signature_id):  # what ran before it: the INSERT, committed (autocommit)
        published.append((signature_id, connection.queries_log[-1]["sql"].split()[0]))

    monkeypatch.setattr(tasks.send_confirmations_task, "delay", delay)
    with django_assert_num_queries(1) as queries:
        response = Client().post(reverse("petitions:sign", args=[petition.pk]), reader_data())
    assert response.status_code == 302
    assert ASYNC_CLAUSE in queries.captured_queries[0]["sql"]
    signature = Signature.objects.get(petition=petition)
    assert published == [(signature.pk, "INSERT")]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_the_insert_is_part_of_it(category, monkeypatch):
    petition = PetitionFactory(category=category)
    published = []
    monkeypatch.setattr(tasks.send_confirmations_task, "delay", published.append)
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        signature = sign(petition)
        assert published == []  # after the caller's commit, not before
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
    assert published == [signature.pk]
    assert not any(ASYNC_CLAUSE in q["sql"] for q in queries.captured_queries)

    with pytest.raises(RuntimeError), transaction.atomic():  # rolled back with the caller
        sign(petition, email="rolled.back@example.org")
        raise RuntimeError
    assert not Signature.objects.filter(email="rolled.back@example.org").exists()
    assert published == [signature.pk]


def test_in_a_test_transaction_the_insert_is_plain(petition, django_capture_on_commit_callbacks):
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks():
        sign(petition)
    assert len(queries.captured_queries) == 1
    assert ASYNC_CLAUSE not in queries.captured_queries[0]["sql"]


def test_refusals_are_unchanged_on_the_fast_path(petition, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign(petition, email="once@example.org")
    with pytest.raises(services.PetitionError) as again:
        sign(petition, email="ONCE@example.org")
    assert again.value.code == "already_signed" and "confirm" in again.value.message
    services.petition_close(petition=petition, by=petition.creator)
    with pytest.raises(services.PetitionError) as closed:
        sign(petition, email="late@example.org")
    assert closed.value.code == "closed"
    with pytest.raises(services.PetitionError) as missing:
        services.signature_sign_reader(
            petition_id=petition.pk + 1000, first_name="A", last_name="B", email="a@b.org",
            country="FR",
        )  # fmt: skip
    assert missing.value.code == "missing"


# --- The e-mail task when the row is gone ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_email_task_for_a_lost_pending_row_does_nothing_quietly(category, caplog):
    """A crash can lose a pending row whose task is already queued: no e-mail, no error."""
    petition = PetitionFactory(category=category)
    with transaction.atomic():  # its task runs after this block
        signature = sign(petition)
        lost = signature.pk
        Signature.objects.filter(pk=lost).delete()
    with caplog.at_level(logging.WARNING):
        assert tasks.send_confirmation_task(lost) is False
        assert tasks.send_confirmation_task.delay(lost).get() is False
    assert mail.outbox == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    # The signer was told to check their e-mail; they can sign again, and are mailed.
    again = sign(petition)
    assert again.pk != lost and len(mail.outbox) == 1


def test_the_email_task_inside_a_transaction_skips_the_barrier(petition):
    signature = SignatureFactory(petition=petition, status="pending", confirmation_sent_at=None)
    with CaptureQueriesContext(connection) as queries:
        assert tasks.send_confirmation_task(signature.pk) is True
    assert not any(q["sql"].endswith("FOR KEY SHARE") for q in queries.captured_queries)
    assert len(mail.outbox) == 1
