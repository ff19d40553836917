"""The award on PostgreSQL: two statements (three when it pays) and no savepoint; past
the daily cap it locks nothing; racing at the cap it still pays exactly up to it."""

import datetime
import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models.signals import post_save

from credits import services
from credits.models import CreditEntry, CreditRule
from credits.services import Action, credit_award
from tests import races
from tests.factories import StoryFactory, UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the award's own SQL"),
]


def totals(member):
    member.refresh_from_db(fields=["credits_balance", "credits_earned"])
    return member.credits_balance, member.credits_earned


def pay(member, n, *, target, prefix="p"):
    return [
        credit_award(member=member, action=Action.COMMENT, target=target, key=f"{prefix}:{i}")
        for i in range(n)
    ]


def test_an_award_that_pays_is_three_statements_without_a_savepoint(
    earner, target, django_assert_num_queries
):
    ContentType.objects.get_for_model(target)  # cached per process, as in a running site
    with django_assert_num_queries(3) as queries:
        entry = credit_award(member=earner, action=Action.COMMENT, target=target, key="c:1")
    sqls = [q["sql"] for q in queries.captured_queries]
    assert sqls[0].startswith("SELECT") and sqls[0].endswith("FOR UPDATE OF u")
    assert sqls[1].startswith('INSERT INTO "credits_creditentry"')
    assert sqls[2].startswith('UPDATE "users_user"')
    assert not any("SAVEPOINT" in sql for sql in sqls)
    stored = CreditEntry.objects.get()
    assert (entry.pk, entry.amount, entry.earned) == (stored.pk, 1, 1)
    assert (stored.kind, stored.action, stored.key, stored.target) == (
        "award",
        "comment",
        "c:1",
        target,
    )
    assert stored.member == earner and not entry._state.adding
    assert totals(earner) == (1, 1)


def test_a_repeated_key_pays_nothing_in_two_statements(earner, target, django_assert_num_queries):
    credit_award(member=earner, action=Action.COMMENT, target=target, key="c:1")
    with django_assert_num_queries(2):
        assert credit_award(member=earner, action=Action.COMMENT, target=target, key="c:1") is None
    assert CreditEntry.objects.count() == 1 and totals(earner) == (1, 1)


def test_past_the_cap_an_award_is_one_statement_and_locks_nothing(
    earner, target, django_assert_num_queries
):
    pay(earner, 20, target=target)
    with django_assert_num_queries(1) as queries:
        assert credit_award(member=earner, action=Action.COMMENT, target=target, key="x") is None
    assert "FOR UPDATE" in queries.captured_queries[0]["sql"]  # ... and found no row to lock
    assert totals(earner) == (20, 20)


def test_a_rule_paying_nothing_is_one_statement(earner, target, django_assert_num_queries):
    CreditRule.objects.filter(action=Action.COMMENT).update(amount=0)
    with django_assert_num_queries(1):
        assert credit_award(member=earner, action=Action.COMMENT, target=target, key="z") is None
    assert not CreditEntry.objects.exists()


def test_a_rule_with_no_cap_pays_on(earner, target):
    CreditRule.objects.filter(action=Action.COMMENT).update(daily_cap=None)
    assert all(pay(earner, 25, target=target))
    assert totals(earner) == (25, 25)


def test_a_missing_rule_pays_its_default_and_stays_uncapped_only_if_its_default_is(earner, target):
    CreditRule.objects.all().delete()
    sign = credit_award(member=earner, action=Action.PETITION_SIGN, target=target, key="s")
    assert sign.amount == 1
    rule = CreditRule.objects.get(action=Action.PETITION_SIGN)  # written from the defaults
    assert (rule.amount, rule.daily_cap) == (1, None)
    CreditRule.objects.all().delete()
    entries = pay(earner, 21, target=target)  # the comment's default cap: 20
    assert all(entries[:20]) and entries[20] is None


def test_the_entry_sends_no_save_signal_but_is_whole(earner, target):
    """The award's INSERT sends no save signal, and nothing listens for one; the entry
    returned is the row as stored."""
    assert not post_save.has_listeners(CreditEntry)
    when = datetime.datetime(2026, 5, 1, 12, tzinfo=datetime.UTC)
    entry = services._award(member=earner, action=Action.VET_NEW, target=target, key="v", at=when)
    stored = CreditEntry.objects.get(pk=entry.pk)
    assert stored.created_at == when and stored.note == "" and stored.reverses is None
    assert (stored.amount, stored.earned) == (3, 3)


@pytest.mark.django_db(transaction=True)
def test_past_the_cap_an_award_does_not_wait_for_the_members_row():
    """Another transaction holds the member's row; an award past the cap answers at once
    (one for a member under it would wait for the row)."""
    member, target = UserFactory(), StoryFactory()
    pay(member, 20, target=target)
    locked, release, outcome = threading.Event(), threading.Event(), []

    def hold_the_row():
        try:
            with transaction.atomic():
                list(services.User.objects.select_for_update().filter(pk=member.pk))
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert locked.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        try:
            outcome.append(
                credit_award(member=member, action=Action.COMMENT, target=target, key="late")
            )
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
    finally:
        release.set()
        holder.join()
    assert outcome == [None]


@pytest.mark.django_db(transaction=True)
def test_racing_one_below_the_cap_pays_exactly_once():
    member, target = UserFactory(), StoryFactory()
    pay(member, 19, target=target)
    outcomes = races.race(
        lambda i: credit_award(member=member, action=Action.COMMENT, target=target, key=f"r:{i}"),
        [(i,) for i in range(8)],
    )
    assert not [o for o in outcomes if o[0] == "error"], outcomes
    assert sum(1 for o in outcomes if o[1] is not None) == 1
    assert totals(member) == (20, 20)
    assert CreditEntry.objects.filter(member=member).count() == 20


@pytest.mark.django_db(transaction=True)
def test_racing_members_each_pay_up_to_their_own_cap():
    members, target = UserFactory.create_batch(3), StoryFactory()
    for member in members:
        pay(member, 17, target=target, prefix=f"m{member.pk}")
    outcomes = races.race(
        lambda member, i: credit_award(
            member=member, action=Action.COMMENT, target=target, key=f"r:{member.pk}:{i}"
        ),
        [(member, i) for member in members for i in range(5)],
    )
    assert not [o for o in outcomes if o[0] == "error"], outcomes
    assert sum(1 for o in outcomes if o[1] is not None) == 9
    assert [totals(member) for member in members] == [(20, 20)] * 3
