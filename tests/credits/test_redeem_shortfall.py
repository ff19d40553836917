"""A member who cannot afford a cause sees "Redeem" disabled with how many credits they
still need; a redemption posted anyway is refused with a message and spends nothing."""

import re

import pytest

from credits import services
from credits.models import CreditEntry
from tests.credits.factories import CauseFactory

pytestmark = pytest.mark.django_db


def give(member, amount):
    services.credit_adjust(member=member, amount=amount, note="test credits")
    member.refresh_from_db()


def redeem_button(html: str) -> str:
    return re.search(r"<button[^>]*>Redeem [^<]*</button>", html).group(0)


def confirm_box(html: str) -> str:
    return re.search(r'<input type="checkbox" name="confirm"[^>]*>', html).group(0)


def test_short_of_credits_the_form_is_disabled_and_says_how_many_more(
    client, member, django_assert_max_num_queries
):
    give(member, 3)
    cause = CauseFactory(title="Feed a cat", cost=10)
    client.force_login(member)
    with django_assert_max_num_queries(8):
        html = client.get(cause.get_absolute_url()).content.decode()
    assert "You need 7 more credits to redeem this cause." in html
    assert " disabled" in redeem_button(html)
    assert 'aria-describedby="redeem-shortfall"' in redeem_button(html)
    assert "disabled" in confirm_box(html)


def test_one_credit_short_is_singular(client, member):
    give(member, 9)
    cause = CauseFactory(cost=10)
    client.force_login(member)
    html = client.get(cause.get_absolute_url()).content.decode()
    assert "You need 1 more credit to redeem this cause." in html


def test_enough_credits_the_form_is_enabled(client, member):
    give(member, 10)
    cause = CauseFactory(cost=10)
    client.force_login(member)
    html = client.get(cause.get_absolute_url()).content.decode()
    assert "more credit" not in html
    assert "disabled" not in redeem_button(html)
    assert "disabled" not in confirm_box(html)


def test_posting_anyway_is_refused_with_a_message(client, member):
    give(member, 3)
    cause = CauseFactory(title="Feed a cat", cost=10)
    client.force_login(member)
    response = client.post(
        cause.get_absolute_url(),
        {"token": "6f1c2a8e-8f0e-4a4e-9d55-0b7c8e3f9a11", "confirm": "on"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "You have 3 credits; Feed a cat needs 10." in html
    assert "You need 7 more credits" in html
    assert not CreditEntry.objects.filter(kind="redemption").exists()
    member.refresh_from_db()
    assert member.credits_balance == 3
