"""What a member's comment POST asks the database, statement by statement: one
transaction with the comment, its count and its outbox row in one statement, then its
credits (three statements when they pay, one past the daily cap); after the commit, the
outbox's sent mark alone, written without waiting for the disk (the notification task
de-duplicates a repeat)."""

import uuid

import pytest
from celery import current_app
from django.db import connection
from django.urls import reverse

from care2.models import OutboxMessage
from credits.models import CreditEntry
from credits.services import Action, credit_award
from stories.models import Story

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statements"),
]

ASYNC_CLAUSE = "set_config('synchronous_commit', 'off', true)"
# The whole POST with the broker up: the request's own reads (the member's row and
# facts when their cache was dropped), the transaction (BEGIN, four statements, COMMIT)
# and the sent mark. The credits alone took up to ten statements with two savepoints
# before, and the outbox row was read again after the commit; the comment, its outbox
# row and the count were three statements; the story was read before them.
POST_QUERIES = 10


@pytest.fixture
def broker(monkeypatch):
    """The broker takes the tasks (recorded here), as in production."""
    sent = []
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    monkeypatch.setattr(
        current_app, "send_task", lambda name, args, **options: sent.append((name, args))
    )
    yield sent
    current_app.conf.task_always_eager = eager


def post(client, story, body="Counted"):
    url = reverse("comments:add", args=[story.pk])
    response = client.post(url, {"body": body, "submission_key": str(uuid.uuid4())})
    assert response.status_code == 302
    return response


def transaction_of(queries) -> tuple[list[str], list[str]]:
    """The statements inside the POST's one transaction, and those after its commit."""
    sqls = [q["sql"] for q in queries.captured_queries]
    begin, commit = sqls.index("BEGIN"), sqls.index("COMMIT")
    assert sqls.count("BEGIN") == 1 and sqls.count("COMMIT") == 1, sqls
    return sqls[begin + 1 : commit], sqls[commit + 1 :]


def test_a_paying_post_is_four_statements_in_its_transaction_and_the_mark_after(
    client, member, story, broker, django_assert_max_num_queries
):
    client.force_login(member)
    post(client, story, "Warm")  # caches of the process: content types, the SQL
    with django_assert_max_num_queries(POST_QUERIES) as queries:
        post(client, story)
    inside, after = transaction_of(queries)
    sqls = [q["sql"] for q in queries.captured_queries]
    before = sqls[: sqls.index("BEGIN")]
    assert not any('"stories_story"' in sql for sql in before), before  # no story read
    assert [sql.split()[0:3] for sql in inside] == [
        ["WITH", "counted", "AS"],  # the count, the comment whole, its outbox row
        ["SELECT", "rule.found", ">"],  # the credits: the member's row locked
        ["INSERT", "INTO", '"credits_creditentry"'],  # the entry, capped and keyed
        ["UPDATE", '"users_user"', "SET"],  # the balance
    ]
    (post_statement,) = (sql for sql in inside if sql.startswith("WITH counted"))
    for part in ('UPDATE "stories_story"', 'INSERT INTO "comments_comment"'):
        assert part in post_statement
    assert 'INSERT INTO "care2_outboxmessage"' in post_statement
    assert not any("SAVEPOINT" in sql for sql in inside)
    (mark,) = after  # no read of the outbox row: the message just written is sent
    assert mark.startswith('UPDATE "care2_outboxmessage"') and ASYNC_CLAUSE in mark
    assert [name for name, _ in broker] == ["comments.tasks.comment_notify_task"] * 2
    assert CreditEntry.objects.filter(member=member).count() == 2
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 0
    assert Story.objects.get(pk=story.pk).comment_count == 2


def test_past_the_daily_cap_the_credits_are_one_statement(
    client, member, story, broker, django_assert_max_num_queries
):
    for i in range(20):
        credit_award(member=member, action=Action.COMMENT, target=story, key=f"earlier:{i}")
    client.force_login(member)
    post(client, story, "Warm")
    with django_assert_max_num_queries(POST_QUERIES - 2) as queries:
        post(client, story)
    inside, after = transaction_of(queries)
    assert [sql.split()[0:3] for sql in inside] == [
        ["WITH", "counted", "AS"],
        ["SELECT", "rule.found", ">"],  # under the cap? No: nothing locked, nothing paid
    ]
    assert len(after) == 1 and ASYNC_CLAUSE in after[0]
    assert CreditEntry.objects.filter(member=member).count() == 20
    assert Story.objects.get(pk=story.pk).comment_count == 2


def test_with_the_broker_down_the_outbox_keeps_the_work(client, member, story, broker, monkeypatch):
    """No mark: the send failed, and the row waits for the sweep."""

    def down(name, args, **options):
        raise OSError("Connection refused")

    monkeypatch.setattr(current_app, "send_task", down)
    client.force_login(member)
    post(client, story)
    message = OutboxMessage.objects.get()
    assert message.sent_at is None and message.attempts == 1
    assert "refused" in message.last_error
