import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from petitions import services
from petitions.models import Petition, Signature
from tests.factories import UserFactory
from tests.petitions.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = UserFactory(is_staff=True, is_superuser=True, first_name="Mona")
    client.force_login(staff)
    client.staff = staff
    return client


def test_changelist_filters_search_and_counts(
    staff_client, category, django_assert_max_num_queries
):
    names = ["apple", "pear", "plum", "cherry", "quince", "medlar", "fig", "peach", "lemon", "lime"]
    petitions = [
        PetitionFactory(category=category, title=f"Save the {name} orchard") for name in names
    ]
    for p in petitions:
        SignatureFactory.create_batch(2, petition=p)
    url = reverse("admin:petitions_petition_changelist")
    with django_assert_max_num_queries(12):
        response = staff_client.get(url)
    assert response.status_code == 200
    assert staff_client.get(url, {"q": "quince"}).context["cl"].result_count == 1
    assert staff_client.get(url, {"status__exact": "open", "hidden": "no"}).status_code == 200


def test_change_page_shows_busiest_addresses(staff_client, petition):
    SignatureFactory.create_batch(4, petition=petition, ip="192.0.2.99")
    response = staff_client.get(reverse("admin:petitions_petition_change", args=[petition.pk]))
    html = response.content.decode()
    assert "192.0.2.99" in html and "<td>4</td>" in html
    link = (
        reverse("admin:petitions_signature_changelist")
        + f"?petition__id__exact={petition.pk}&ip=192.0.2.99"
    )
    assert staff_client.get(link).context["cl"].result_count == 4


def test_hide_action_needs_reason_and_logs(staff_client, petition):
    url = reverse("admin:petitions_petition_changelist")
    staff_client.post(url, {"action": "hide", "_selected_action": [petition.pk], "reason": ""})
    petition.refresh_from_db()
    assert not petition.is_hidden
    staff_client.post(
        url, {"action": "hide", "_selected_action": [petition.pk], "reason": "Duplicate"}
    )
    petition.refresh_from_db()
    assert petition.is_hidden and petition.hidden_reason == "Duplicate"
    assert LogEntry.objects.filter(change_message__contains="Duplicate").exists()
    staff_client.post(url, {"action": "unhide", "_selected_action": [petition.pk]})
    petition.refresh_from_db()
    assert not petition.is_hidden


def test_close_action(staff_client, petition):
    staff_client.post(
        reverse("admin:petitions_petition_changelist"),
        {"action": "close", "_selected_action": [petition.pk]},
    )
    assert Petition.objects.get(pk=petition.pk).status == "closed"


def test_invalidate_batch_action_count_follows(staff_client, petition):
    keep = SignatureFactory(petition=petition, ip="198.51.100.5")
    bad = SignatureFactory.create_batch(3, petition=petition, ip="192.0.2.50")
    staff_client.post(
        reverse("admin:petitions_signature_changelist"),
        {"action": "invalidate", "_selected_action": [s.pk for s in bad], "reason": "bot burst"},
    )
    assert services.petition_count(petition_id=petition.pk) == 1
    assert Signature.objects.get(pk=keep.pk).status == "confirmed"
    assert Signature.objects.filter(status="invalidated").count() == 3
    entry = LogEntry.objects.get(user=staff_client.staff)
    assert "bot burst" in entry.change_message


def test_signatures_searchable_by_email(staff_client, petition):
    SignatureFactory(petition=petition, email="takedown@example.org")
    SignatureFactory(petition=petition, email="other@example.org")
    response = staff_client.get(
        reverse("admin:petitions_signature_changelist"), {"q": "takedown@example.org"}
    )
    assert response.context["cl"].result_count == 1


def test_non_staff_cannot_reach_admin(client, member):
    client.force_login(member)
    response = client.get(reverse("admin:petitions_petition_changelist"))
    assert response.status_code == 302


def test_edit_page_cannot_change_status_and_re_sanitizes_the_text(staff_client, petition):
    """Status, hiding and pictures change through the actions (services) only: posting
    them on the edit page changes nothing, and an edited text reaches the page safely."""
    url = reverse("admin:petitions_petition_change", args=[petition.pk])
    form = staff_client.get(url).context["adminform"].form
    assert not {"status", "hidden_reason", "image", "image_thumb"} & set(form.fields)
    data = {
        name: form.initial.get(name) if form.initial.get(name) is not None else ""
        for name in form.fields
    }
    data.update(
        {
            "why": "Lamps <b>now</b>\nplease",
            "status": "closed",
            "creator": petition.creator_id,
            "category": petition.category_id,
            "updates-TOTAL_FORMS": "0",
            "updates-INITIAL_FORMS": "0",
        }
    )
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    petition.refresh_from_db()
    assert petition.status == Petition.Status.OPEN
    assert petition.why_html == "Lamps &lt;b&gt;now&lt;/b&gt;\nplease"
    html = staff_client.get(petition.get_absolute_url()).content.decode()
    assert "Lamps &lt;b&gt;now&lt;/b&gt;" in html


def test_every_petition_moderation_is_in_the_audit_trail(staff_client, petition):
    """Who, what, when and why, for hide, show again, close and invalidated signatures."""
    from care2.users.models import AuditEntry

    url = reverse("admin:petitions_petition_changelist")
    for action, reason in [("hide", "Duplicate"), ("unhide", "Not a duplicate"), ("close", "")]:
        staff_client.post(
            url, {"action": action, "_selected_action": [petition.pk], "reason": reason}
        )
    bad = SignatureFactory.create_batch(2, petition=petition)
    staff_client.post(
        reverse("admin:petitions_signature_changelist"),
        {"action": "invalidate", "_selected_action": [s.pk for s in bad], "reason": "bots"},
    )
    entries = list(
        AuditEntry.objects.filter(target_type="petitions.petition", target_id=str(petition.pk))
        .order_by("pk")
        .values_list("actor_id", "action", "reason")
    )
    staff = staff_client.staff.pk
    assert entries == [
        (staff, "hide petition", "Duplicate"),
        (staff, "show petition again", "Not a duplicate"),
        (staff, "close petition", ""),
        (staff, "invalidate signatures", "2 signature(s): bots"),
    ]
    # Doing it again changes nothing and records nothing.
    staff_client.post(url, {"action": "close", "_selected_action": [petition.pk]})
    assert AuditEntry.objects.filter(action="close petition").count() == 1
