"""The audit trail in the admin: moderators read it, filter and search it; nobody adds,
changes or deletes an entry. Credit rule changes and adjustments are audited too."""

import pytest
from django.urls import reverse

from care2.users.models import AuditEntry
from care2.users.services import audit_record
from comments import services as comment_services
from credits.models import CreditEntry, CreditRule
from tests.comments.factories import CommentFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:users_auditentry_changelist")


@pytest.fixture
def entry(moderator, published_story):
    comment = CommentFactory(story=published_story, body="Cheap pills here")
    comment_services.comment_remove(
        comment=comment, moderator=moderator, reason="spam", note="pharma links"
    )
    return AuditEntry.objects.get()


def test_moderators_read_filter_and_search(client, moderator, entry):
    client.force_login(moderator)
    html = client.get(CHANGELIST).content.decode()
    assert "remove comment" in html and "Spam: pharma links" in html
    assert moderator.public_name in html
    # the target links to its own admin page
    assert reverse("admin:comments_comment_change", args=[entry.target_id]) in html
    assert (
        "Spam: pharma links"
        in client.get(CHANGELIST, {"action": "remove comment"}).content.decode()
    )
    assert (
        "Spam: pharma links"
        not in client.get(CHANGELIST, {"action": "hide story"}).content.decode()
    )
    assert "Spam: pharma links" in client.get(CHANGELIST, {"q": "pharma"}).content.decode()
    assert (
        "Spam: pharma links"
        in client.get(CHANGELIST, {"created_at__year": entry.created_at.year}).content.decode()
    )
    detail = client.get(reverse("admin:users_auditentry_change", args=[entry.pk]))
    assert detail.status_code == 200 and "pharma links" in detail.content.decode()


@pytest.mark.parametrize("who", ["moderator", "superuser"])
def test_nobody_adds_changes_or_deletes(client, moderator, entry, who):
    user = moderator if who == "moderator" else UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    assert client.get(reverse("admin:users_auditentry_add")).status_code == 403
    client.post(
        reverse("admin:users_auditentry_change", args=[entry.pk]),
        {"action": "nothing happened", "reason": "rewritten"},
    )
    assert (
        client.post(
            reverse("admin:users_auditentry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )
    entry.refresh_from_db()
    assert (entry.action, entry.reason) == ("remove comment", "Spam: pharma links")
    html = client.get(reverse("admin:users_auditentry_change", args=[entry.pk])).content.decode()
    assert 'name="_save"' not in html


def test_members_get_the_log_in_page(client, member, entry):
    client.force_login(member)
    response = client.get(CHANGELIST)
    assert response.status_code == 302 and "login" in response["Location"]


def test_entries_survive_their_actor(moderator, published_story):
    audit_record(actor=moderator, action="hide story", target=published_story, reason="x")
    moderator.delete()
    assert AuditEntry.objects.get().actor is None


class TestCreditsAdmin:
    def test_rule_change_is_audited_with_before_and_after(self, client, moderator):
        rule = CreditRule.objects.order_by("pk").first()
        if rule is None:
            rule = CreditRule.objects.create(action="comment", amount=2, daily_cap=10)
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        old_amount = rule.amount
        response = client.post(
            reverse("admin:credits_creditrule_change", args=[rule.pk]),
            {"amount": old_amount + 5, "daily_cap": rule.daily_cap or ""},
        )
        assert response.status_code == 302
        entry = AuditEntry.objects.get(action="change credit rule")
        assert entry.target_type == "credits.creditrule" and entry.target_id == str(rule.pk)
        assert f"amount {old_amount} → {old_amount + 5}" in entry.reason
        assert "daily cap" not in entry.reason

    def test_unchanged_rule_writes_nothing(self, client):
        rule = CreditRule.objects.order_by("pk").first() or CreditRule.objects.create(
            action="comment", amount=2, daily_cap=10
        )
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        client.post(
            reverse("admin:credits_creditrule_change", args=[rule.pk]),
            {"amount": rule.amount, "daily_cap": rule.daily_cap or ""},
        )
        assert not AuditEntry.objects.exists()

    def test_adjustment_is_audited(self, client, member):
        admin = UserFactory(is_staff=True, is_superuser=True)
        client.force_login(admin)
        response = client.post(
            reverse("admin:credits_creditentry_add"),
            {"member": member.pk, "amount": 40, "note": "prize for the photo contest"},
        )
        assert response.status_code == 302
        credit = CreditEntry.objects.get(member=member)
        entry = AuditEntry.objects.get(action="adjust credits")
        assert entry.actor == admin and entry.target_id == str(credit.pk)
        assert entry.reason == f"+40 for member {member.pk}: prize for the photo contest"

    def test_refused_adjustment_writes_nothing(self, client, member):
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        client.post(
            reverse("admin:credits_creditentry_add"),
            {"member": member.pk, "amount": -40, "note": "take back"},
        )
        assert not AuditEntry.objects.exists()
