import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.urls import reverse

from credits.models import Cause, CreditEntry, CreditRule
from credits.services import Action, cause_redeem, credit_adjust, credit_award
from tests.credits.factories import CauseFactory
from tests.factories import StoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(earner):
    return credit_award(member=earner, action=Action.VET_NEW, target=StoryFactory(), key="vet:adm")


def test_members_cannot_open_the_ledger(client, member):
    client.force_login(member)
    assert client.get(reverse("admin:credits_creditentry_changelist")).status_code == 302


def test_moderators_change_rule_amounts_and_caps(client, moderator):
    client.force_login(moderator)
    rule = CreditRule.objects.get(action=Action.COMMENT)
    url = reverse("admin:credits_creditrule_change", args=[rule.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"amount": "2", "daily_cap": "10"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.action, rule.amount, rule.daily_cap) == ("comment", 2, 10)


def test_rules_cannot_be_deleted(client, moderator):
    client.force_login(moderator)
    rule = CreditRule.objects.get(action=Action.COMMENT)
    assert (
        client.post(
            reverse("admin:credits_creditrule_delete", args=[rule.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert CreditRule.objects.filter(pk=rule.pk).exists()


def test_entries_are_read_only_in_the_admin(client, moderator, entry):
    client.force_login(moderator)
    changelist = client.get(reverse("admin:credits_creditentry_changelist"), {"q": "vet:adm"})
    assert "vet:adm" in changelist.content.decode()
    url = reverse("admin:credits_creditentry_change", args=[entry.pk])
    page = client.get(url).content.decode()
    assert 'name="amount"' not in page and "vet:adm" in page
    assert client.post(url, {"amount": "300"}).status_code == 403
    assert (
        client.post(
            reverse("admin:credits_creditentry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    entry.refresh_from_db()
    assert entry.amount == 3


def test_a_moderator_adjustment_is_a_new_logged_entry(client, moderator, earner):
    client.force_login(moderator)
    url = reverse("admin:credits_creditentry_add")
    assert 'name="member"' in client.get(url).content.decode()
    response = client.post(
        url, {"member": earner.pk, "amount": "15", "note": "Thanks for the tip-off"}
    )
    assert response.status_code == 302, response.content.decode()
    adjustment = CreditEntry.objects.get(kind="adjustment")
    assert (adjustment.member, adjustment.amount, adjustment.created_by) == (earner, 15, moderator)
    earner.refresh_from_db()
    assert (earner.credits_balance, earner.credits_earned) == (15, 15)
    assert LogEntry.objects.filter(action_flag=ADDITION, object_id=str(adjustment.pk)).exists()


def test_an_adjustment_below_zero_is_a_form_error(client, moderator, earner):
    client.force_login(moderator)
    response = client.post(
        reverse("admin:credits_creditentry_add"), {"member": earner.pk, "amount": "-4", "note": "x"}
    )
    assert response.status_code == 200
    assert "only 0 credits to take away" in response.content.decode()
    assert not CreditEntry.objects.exists()


def test_moderators_define_causes(client, moderator):
    client.force_login(moderator)
    response = client.post(
        reverse("admin:credits_cause_add"),
        {
            "title": "Plant a tree",
            "slug": "plant-a-tree",
            "description": "One native tree, planted by volunteers.",
            "image_alt": "",
            "cost": "500",
            "stock": "",
            "is_active": "on",
            "order": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()
    cause = Cause.objects.get()
    assert str(cause) == "Plant a tree — 500 credits" and cause.stock is None


def test_a_causes_stock_cannot_drop_below_what_was_redeemed(client, moderator, earner):
    cause = CauseFactory(cost=5, stock=3)
    credit_adjust(member=earner, amount=10, note="x")
    cause_redeem(member=earner, cause=cause, token="a")
    cause_redeem(member=earner, cause=cause, token="b")
    client.force_login(moderator)
    data = {
        "title": cause.title,
        "slug": cause.slug,
        "description": cause.description,
        "image_alt": "",
        "cost": "0",
        "stock": "1",
        "is_active": "on",
        "order": "0",
    }
    response = client.post(reverse("admin:credits_cause_change", args=[cause.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Already redeemed 2 times" in html and "at least 1 credit" in html


def test_a_rule_change_shows_at_once_on_cached_story_pages(
    client, moderator, settings, django_capture_on_commit_callbacks
):
    settings.READER_PAGE_CACHE_SECONDS = 60
    story = StoryFactory(published=True)
    reader = client.__class__()
    assert reader.get(story.get_absolute_url())["X-Reader-Cache"] == "miss"
    assert reader.get(story.get_absolute_url())["X-Reader-Cache"] == "hit"
    client.force_login(moderator)
    rule = CreditRule.objects.get(action=Action.COMMENT)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:credits_creditrule_change", args=[rule.pk]),
            {"amount": "7", "daily_cap": "10"},
        )
    assert reader.get(story.get_absolute_url())["X-Reader-Cache"] == "miss"
