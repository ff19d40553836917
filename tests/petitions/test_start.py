"""Starting a petition: the new-member rule shown before the form, a refused form that
keeps what was typed (the image too), bounded deadlines, images processed off the request."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from petitions import services
from petitions.models import Petition

pytestmark = pytest.mark.django_db


def start_data(category, **extra):
    return {
        "title": "Light the underpass on Mill Road",
        "target": "Mill Road Highways Office",
        "why": "It is dark and people feel unsafe walking home.",
        "category": category.pk,
        "goal": 500,
        **extra,
    }


# --- Deadlines --------------------------------------------------------------------------


class TestDeadline:
    @pytest.mark.parametrize("day", ["9999-12-31", "2999-01-01"])
    def test_far_future_deadline_is_a_form_error_not_a_500(self, client, member, category, day):
        client.force_login(member)
        response = client.post(reverse("petitions:start"), start_data(category, deadline=day))
        html = response.content.decode()
        assert response.status_code == 200
        assert "Choose a day at most 5 years ahead" in html
        assert 'value="Light the underpass on Mill Road"' in html  # what was typed is kept
        assert Petition.objects.count() == 0

    def test_five_years_ahead_is_the_latest_day(self, client, member, category):
        client.force_login(member)
        today = timezone.localdate()
        latest = today.replace(year=today.year + 5)
        too_far = latest + datetime.timedelta(days=1)
        response = client.post(
            reverse("petitions:start"), start_data(category, deadline=too_far.isoformat())
        )
        assert "Choose a day at most 5 years ahead" in response.content.decode()
        response = client.post(
            reverse("petitions:start"), start_data(category, deadline=latest.isoformat())
        )
        petition = Petition.objects.get()
        assert response.status_code == 302
        assert timezone.localtime(petition.deadline).date() == latest

    def test_the_service_refuses_a_far_deadline_for_every_caller(self, member, category):
        far = datetime.datetime(9999, 12, 31, tzinfo=datetime.UTC)
        with pytest.raises(services.PetitionError, match="at most 5 years ahead"):
            services.petition_start(
                creator=member,
                title="A long enough title",
                target="Someone",
                why="Because.",
                category=category,
                deadline=far,
            )
        assert Petition.objects.count() == 0
