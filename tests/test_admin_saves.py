"""The admin's change forms write through the services (story and petition edits,
credit rules, credit adjustments), not straight to the models: one audit entry and one
admin history entry per save, in the transaction of the write."""

from unittest import mock

import pytest
from django.contrib.admin.models import LogEntry
from django.db.models import F
from django.urls import reverse

from care2.users.models import AuditEntry
from credits import services as credit_services
from credits.models import Cause, CreditEntry, CreditRule
from petitions import services as petition_services
from stories import services as story_services
from stories.models import Story
from tests.credits.factories import CauseFactory
from tests.factories import StoryFactory, UserFactory
from tests.petitions.factories import PetitionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    client.staff = staff
    return client


def change_form_data(client, page, **changes):
    """What the change form at ``page`` posts unchanged (its fields and its inlines'
    management forms), with ``changes`` applied."""
    response = client.get(page)
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            value = ""
        elif name == "tags":
            value = ", ".join(str(tag) for tag in value)
        elif hasattr(field, "prepare_value"):
            value = field.prepare_value(value)
        data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_story_edit_goes_through_the_service(admin_client):
    story = StoryFactory(tags=["garden"])
    url = reverse("admin:stories_story_change", args=[story.pk])
    data = change_form_data(
        admin_client,
        url,
        title="A rooftop garden feeds the whole street",
        url="https://WWW.Other.example.org/roof/",
        tags="garden, rooftops",
    )
    with mock.patch.object(
        story_services, "story_edit", wraps=story_services.story_edit
    ) as story_edit:
        response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    story_edit.assert_called_once()
    assert story_edit.call_args.kwargs["by"] == admin_client.staff
    story.refresh_from_db()
    assert story.title == "A rooftop garden feeds the whole street"
    assert sorted(story.tags.names()) == ["garden", "rooftops"]
    entry = AuditEntry.objects.get(target_type="stories.story", target_id=str(story.pk))
    assert (entry.actor, entry.action) == (admin_client.staff, "edit story")
    assert entry.reason == "changed tags, title, url"
    # One history entry: the admin's own (the service writes none of its own here).
    assert LogEntry.objects.filter(object_id=str(story.pk)).count() == 1


def test_a_story_link_changed_in_the_admin_is_still_caught_as_a_duplicate(admin_client):
    """The model's save kept the old link's key, so the new link could be submitted
    again at once; the service keys the story by its new link."""
    story = StoryFactory()
    url = reverse("admin:stories_story_change", args=[story.pk])
    data = change_form_data(admin_client, url, url="https://WWW.Other.example.org/roof/")
    assert admin_client.post(url, data).status_code == 302
    story.refresh_from_db()
    assert story.url_key == "other.example.org/roof"
    assert story_services.story_find_recent_duplicate(url="https://other.example.org/roof") == story


def test_an_unchanged_story_form_writes_no_audit_entry(admin_client):
    story = StoryFactory()
    url = reverse("admin:stories_story_change", args=[story.pk])
    assert admin_client.post(url, change_form_data(admin_client, url)).status_code == 302
    assert not AuditEntry.objects.exists()
    assert Story.objects.get(pk=story.pk).title == story.title


def test_a_petition_edit_goes_through_the_service(admin_client):
    petition = PetitionFactory()
    url = reverse("admin:petitions_petition_change", args=[petition.pk])
    data = change_form_data(admin_client, url, why="Lamps <i>now</i>", target="The mayor")
    with mock.patch.object(
        petition_services, "petition_edit", wraps=petition_services.petition_edit
    ) as petition_edit:
        response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    petition_edit.assert_called_once()
    petition.refresh_from_db()
    assert (petition.target, petition.why_html) == ("The mayor", "Lamps &lt;i&gt;now&lt;/i&gt;")
    entry = AuditEntry.objects.get(target_type="petitions.petition")
    assert (entry.actor, entry.action, entry.reason) == (
        admin_client.staff,
        "edit petition",
        "changed target, why",
    )
    assert LogEntry.objects.filter(object_id=str(petition.pk)).count() == 1


def test_a_credit_rule_change_goes_through_the_service(admin_client):
    rule = credit_services.credit_rule_get(action="comment")
    url = reverse("admin:credits_creditrule_change", args=[rule.pk])
    with mock.patch.object(
        credit_services, "credit_rule_update", wraps=credit_services.credit_rule_update
    ) as update:
        response = admin_client.post(url, {"amount": rule.amount + 1, "daily_cap": "9"})
    assert response.status_code == 302
    update.assert_called_once()
    rule.refresh_from_db()
    assert (rule.amount, rule.daily_cap) == (update.call_args.kwargs["rule"].amount, 9)
    assert AuditEntry.objects.get(action="change credit rule").actor == admin_client.staff
    assert LogEntry.objects.filter(object_id=str(rule.pk)).count() == 1


def test_the_service_audits_a_rule_against_the_stored_values():
    """The values "before" are read by the service under a lock, not from the object
    the caller holds (which may be stale)."""
    rule = credit_services.credit_rule_get(action="comment")
    stale = CreditRule.objects.get(pk=rule.pk)
    CreditRule.objects.filter(pk=rule.pk).update(amount=40)
    stale.amount = 41
    moderator = UserFactory(is_staff=True)
    changes = credit_services.credit_rule_update(rule=stale, by=moderator)
    assert changes == ["amount 40 → 41"]
    assert AuditEntry.objects.get().reason == "amount 40 → 41"
    assert LogEntry.objects.filter(user=moderator).count() == 1  # admin_log by default


def test_an_adjustment_goes_through_the_service(admin_client, member):
    with mock.patch.object(
        credit_services, "credit_adjust", wraps=credit_services.credit_adjust
    ) as adjust:
        response = admin_client.post(
            reverse("admin:credits_creditentry_add"),
            {"member": member.pk, "amount": "12", "note": "quiz winner"},
        )
    assert response.status_code == 302
    adjust.assert_called_once()
    entry = CreditEntry.objects.get(member=member)
    audit = AuditEntry.objects.get(action="adjust credits")
    assert (audit.actor, audit.target_id) == (admin_client.staff, str(entry.pk))
    assert LogEntry.objects.filter(object_id=str(entry.pk)).count() == 1


def test_an_adjustment_and_its_audit_entry_are_one_transaction(member):
    """A moderator's adjustment is audited by the service itself: when the audit entry
    cannot be written, no credits move either."""
    moderator = UserFactory(is_staff=True)
    with (
        mock.patch.object(credit_services, "audit_record", side_effect=RuntimeError("audit")),
        pytest.raises(RuntimeError),
    ):
        credit_services.credit_adjust(member=member, amount=5, note="gift", moderator=moderator)
    assert not CreditEntry.objects.exists()
    member.refresh_from_db()
    assert member.credits_balance == 0
    credit_services.credit_adjust(member=member, amount=5, note="gift", moderator=moderator)
    assert AuditEntry.objects.get().reason == f"+5 for member {member.pk}: gift"


@pytest.mark.parametrize(
    "day,message",
    [("2090-01-01", "at most 5 years ahead"), ("2020-01-01", "must be in the future")],
)
def test_a_petition_deadline_set_in_the_admin_follows_the_site_rule(admin_client, day, message):
    """The model's save took any deadline; the service's rule (the start form's) now
    holds in the admin too, said on the field, and nothing is written."""
    petition = PetitionFactory()
    url = reverse("admin:petitions_petition_change", args=[petition.pk])
    data = change_form_data(admin_client, url, deadline_0=day, deadline_1="10:00:00")
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors["deadline"])
    petition.refresh_from_db()
    assert petition.deadline is None
    assert not AuditEntry.objects.exists()


def test_the_petition_service_refuses_a_far_deadline():
    import datetime

    from django.utils import timezone

    petition = PetitionFactory()
    petition.deadline = timezone.now() + datetime.timedelta(days=365 * 30)
    with pytest.raises(petition_services.PetitionError, match="5 years"):
        petition_services.petition_edit(petition=petition, by=None, fields=["deadline"])
    petition.refresh_from_db()
    assert petition.deadline is None


def test_a_story_added_in_the_admin_is_keyed_by_its_link(admin_client, category):
    submitter = UserFactory()
    response = admin_client.post(
        reverse("admin:stories_story_add"),
        {
            "title": "Volunteers clean the riverbank",
            "slug": "volunteers-clean-the-riverbank",
            "url": "https://www.River.example.org/clean/",
            "summary": "Sixty people and a barge.",
            "category": category.pk,
            "tags": "rivers",
            "submitter": submitter.pk,
            "vets-TOTAL_FORMS": "0",
            "vets-INITIAL_FORMS": "0",
            "reports-TOTAL_FORMS": "0",
            "reports-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    story = Story.objects.get()
    assert (story.url_key, list(story.tags.names())) == ("river.example.org/clean", ["rivers"])
    assert AuditEntry.objects.get().action == "add story"


def test_the_story_change_form_save_stays_cheap(admin_client, django_assert_max_num_queries):
    story = StoryFactory(tags=["garden"])
    url = reverse("admin:stories_story_change", args=[story.pk])
    data = change_form_data(admin_client, url, title="A rooftop garden", tags="garden, roofs")
    with django_assert_max_num_queries(32):  # measured: 32
        assert admin_client.post(url, data).status_code == 302
    assert Story.objects.get(pk=story.pk).title == "A rooftop garden"


def test_a_story_edit_writes_only_the_changed_columns():
    """A vet counted while the moderator's copy was loaded is not undone by the edit."""
    story = StoryFactory()
    Story.objects.filter(pk=story.pk).update(vet_count=F("vet_count") + 1)
    story.title = "A rooftop garden"
    story_services.story_edit(story=story, by=None, fields=["title"])
    fresh = Story.objects.get(pk=story.pk)
    assert (fresh.title, fresh.vet_count) == ("A rooftop garden", 1)


def cause_form(cause, **changes):
    data = {
        "title": cause.title,
        "slug": cause.slug,
        "description": cause.description,
        "image_alt": cause.image_alt,
        "cost": str(cause.cost),
        "stock": "" if cause.stock is None else str(cause.stock),
        "is_active": "on" if cause.is_active else "",
        "order": str(cause.order),
    }
    data.update(changes)
    return data


def test_a_cause_edit_goes_through_the_service(admin_client):
    cause = CauseFactory(stock=10)
    url = reverse("admin:credits_cause_change", args=[cause.pk])
    with mock.patch.object(
        credit_services, "cause_edit", wraps=credit_services.cause_edit
    ) as cause_edit:
        response = admin_client.post(url, cause_form(cause, cost="7", stock="20"))
    assert response.status_code == 302, response.content.decode()
    cause_edit.assert_called_once()
    cause.refresh_from_db()
    assert (cause.cost, cause.stock) == (7, 20)
    entry = AuditEntry.objects.get(target_type="credits.cause")
    assert (entry.actor, entry.action, entry.reason) == (
        admin_client.staff,
        "edit cause",
        "changed cost, stock",
    )
    assert LogEntry.objects.filter(object_id=str(cause.pk)).count() == 1


def test_a_redemption_counted_during_a_cause_edit_is_not_undone():
    """The model's save wrote back the redeemed count the moderator's copy had."""
    cause = CauseFactory(stock=5)
    Cause.objects.filter(pk=cause.pk).update(redeemed_count=F("redeemed_count") + 1)
    cause.title = "Plant two trees"
    credit_services.cause_edit(cause=cause, by=None, fields=["title"])
    fresh = Cause.objects.get(pk=cause.pk)
    assert (fresh.title, fresh.redeemed_count) == ("Plant two trees", 1)


def test_a_stock_below_what_was_redeemed_meanwhile_is_refused():
    cause = CauseFactory(stock=5)
    Cause.objects.filter(pk=cause.pk).update(redeemed_count=3)
    cause.stock = 2  # checked by the form against its own, older count
    with pytest.raises(credit_services.CreditError, match="Already redeemed 3 times"):
        credit_services.cause_edit(cause=cause, by=None, fields=["stock"])
    assert Cause.objects.get(pk=cause.pk).stock == 5
    assert not AuditEntry.objects.exists()


def test_a_cause_edit_refused_by_the_service_says_so(admin_client):
    """When redemptions get in between the form's check and the save, the moderator
    reads why on the form again, nothing is written and nothing logged."""
    cause = CauseFactory(stock=5)
    url = reverse("admin:credits_cause_change", args=[cause.pk])
    refused = credit_services.CreditError("Already redeemed 6 times: the stock cannot be lower.")
    with mock.patch.object(credit_services, "cause_edit", side_effect=refused):
        response = admin_client.post(url, cause_form(cause, stock="6"), follow=True)
    assert response.redirect_chain[-1][0] == url
    assert "Already redeemed 6 times" in response.content.decode()
    assert not LogEntry.objects.filter(object_id=str(cause.pk)).exists()
