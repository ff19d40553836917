"""Names must show something: no name made only of invisible or direction characters."""

import pytest
from django.urls import reverse

from care2.users.models import User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

INVISIBLE = ["\u200b", "\u202e", " \u200b\u200d ", "\u2066\u2069", "\u3164"]


def signup(client, first_name, last_name=""):
    return client.post(
        reverse("account_signup"),
        {
            "first_name": first_name,
            "last_name": last_name,
            "email": "newcomer@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "time_zone": "Europe/Paris",
        },
    )


@pytest.mark.parametrize("name", INVISIBLE)
def test_signup_refuses_a_name_with_nothing_visible(client, name):
    response = signup(client, name)
    assert response.status_code == 200
    assert "Enter a name with at least one visible letter." in response.content.decode()
    assert not User.objects.filter(email="newcomer@example.com").exists()


def test_signup_refuses_an_invisible_last_name(client):
    response = signup(client, "Rosa", "\u202e")
    assert "Enter a name with at least one visible letter." in response.content.decode()
    assert not User.objects.filter(email="newcomer@example.com").exists()


def test_signup_keeps_a_name_with_a_direction_mark_but_isolates_it(client):
    signup(client, "Rosa\u202e", "Marsh")
    user = User.objects.get(email="newcomer@example.com")
    assert user.first_name == "Rosa\u202e"
    assert user.time_zone == "Europe/Paris"


@pytest.mark.parametrize("name", INVISIBLE)
def test_settings_refuse_a_name_with_nothing_visible(client, member, name):
    client.force_login(member)
    response = client.post(
        reverse("settings:index"),
        {"first_name": name, "last_name": "", "bio": "", "time_zone": "UTC"},
    )
    assert response.status_code == 200
    assert "Enter a name with at least one visible letter." in response.content.decode()
    member.refresh_from_db()
    assert member.first_name == "Beth"


def test_admin_refuses_a_name_with_nothing_visible(admin_client, member):
    url = reverse("admin:users_user_change", args=[member.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "first_name": "\u200b",
            "groups": [],
            "user_permissions": [],
            "date_joined_0": member.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": member.date_joined.strftime("%H:%M:%S"),
        }
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Enter a name with at least one visible letter." in response.content.decode()
    member.refresh_from_db()
    assert member.first_name == "Beth"


def test_header_and_profile_isolate_the_name(client, member):
    member.first_name = "Rosa\u202e"
    member.save()
    client.force_login(member)
    html = client.get(reverse("users:profile", args=[member.pk])).content.decode()
    assert "<bdi>Rosa\u202e S</bdi>" in html
    assert 'class="member-name"><bdi>Rosa\u202e S</bdi>' in html
