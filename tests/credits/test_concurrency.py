"""Racing requests pay once, cap exactly, and never overspend (real PostgreSQL, threads
with their own connections)."""

import pytest
from django.test import Client
from django.urls import reverse

from credits import services
from credits.models import Cause, CreditEntry
from credits.services import Action, CreditError, credit_award
from tests import races
from tests.credits.factories import CauseFactory
from tests.factories import StoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def race(fn, arguments):
    return races.race(fn, arguments, refused=CreditError)


def totals(member):
    member.refresh_from_db(fields=["credits_balance", "credits_earned"])
    return member.credits_balance, member.credits_earned


def test_racing_one_key_pays_once_even_with_no_rule_rows_yet():
    # A transactional test starts with the seeded rules flushed: the racers also race
    # to create the rule row.
    member, target = UserFactory(), StoryFactory()
    outcomes = race(
        lambda: credit_award(member=member, action=Action.COMMENT, target=target, key="comment:1"),
        [()] * 8,
    )
    assert not [o for o in outcomes if o[0] == "error"], outcomes
    assert sum(1 for o in outcomes if o[1] is not None) == 1
    assert CreditEntry.objects.count() == 1
    assert totals(member) == (1, 1)


def test_racing_at_the_cap_pays_exactly_up_to_the_cap():
    member, target = UserFactory(), StoryFactory()
    for i in range(17):
        credit_award(member=member, action=Action.COMMENT, target=target, key=f"before:{i}")
    outcomes = race(
        lambda i: credit_award(
            member=member, action=Action.COMMENT, target=target, key=f"race:{i}"
        ),
        [(i,) for i in range(8)],
    )
    assert sum(1 for o in outcomes if o == ("ok", None)) == 5
    assert totals(member) == (20, 20)


def test_racing_reversals_reverse_once():
    member, target = UserFactory(), StoryFactory()
    credit_award(member=member, action=Action.VET_NEW, target=target, key="vet:r")
    outcomes = race(lambda: services.credit_reverse(key="vet:r", reason="spam"), [()] * 5)
    assert sum(1 for o in outcomes if o[0] == "ok" and o[1] is not None) == 1
    assert totals(member) == (0, 0)


def test_two_redemptions_racing_never_take_the_balance_below_zero():
    member = UserFactory()
    services.credit_adjust(member=member, amount=15, note="starting balance")
    cause = CauseFactory(cost=10)
    outcomes = race(
        lambda token: services.cause_redeem(member=member, cause=cause, token=token),
        [("one",), ("two",), ("three",)],
    )
    assert sorted(o[0] for o in outcomes) == ["ok", "refused", "refused"]
    assert totals(member) == (5, 15)
    assert Cause.objects.get().redeemed_count == 1


def test_racing_for_the_last_of_the_stock_redeems_it_once():
    members = UserFactory.create_batch(4)
    for m in members:
        services.credit_adjust(member=m, amount=50, note="starting balance")
    cause = CauseFactory(cost=10, stock=1)
    outcomes = race(
        lambda m: services.cause_redeem(member=m, cause=cause, token="t"), [(m,) for m in members]
    )
    assert sorted(o[0] for o in outcomes) == ["ok", "refused", "refused", "refused"]
    assert Cause.objects.get().redeemed_count == 1
    assert sorted(totals(m)[0] for m in members) == [40, 50, 50, 50]


def _client_for(member):
    client = Client()
    client.force_login(member)
    return client


def test_double_submitted_vet_requests_pay_once():
    member, story = UserFactory(), StoryFactory()
    clients = [_client_for(member) for _ in range(4)]
    url = reverse("stories:vet", args=[story.pk])
    outcomes = race(lambda c: c.post(url).status_code, [(c,) for c in clients])
    assert [o[0] for o in outcomes] == ["ok"] * 4
    assert CreditEntry.objects.filter(member=member).count() == 1
    assert totals(member) == (3, 3)


def test_double_submitted_redeem_form_redeems_once():
    member = UserFactory()
    services.credit_adjust(member=member, amount=30, note="starting balance")
    cause = CauseFactory(cost=10)
    clients = [_client_for(member) for _ in range(3)]
    data = {"token": "6f1c2a8e-8f0e-4a4e-9d55-0b7c8e3f9a11", "confirm": "on"}
    outcomes = race(
        lambda c: c.post(cause.get_absolute_url(), data).status_code, [(c,) for c in clients]
    )
    assert [o[1] for o in outcomes] == [302] * 3
    assert totals(member) == (20, 30)
    assert Cause.objects.get().redeemed_count == 1
