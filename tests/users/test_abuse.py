"""Abuse limits at every door: rate limits, no account enumeration, safe redirects, staff-only admin."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

HOSTILE_NEXT = [
    "//evil.example",
    "https:///evil.example",
    "javascript:alert(1)",
    "https://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
]


def test_failed_logins_are_rate_limited_at_limit_plus_one(client):
    UserFactory(email="target@example.com")
    for _ in range(5):
        response = client.post(
            reverse("account_login"), {"login": "target@example.com", "password": "wrong"}
        )
        assert "Too many wrong passwords" not in response.content.decode()
    # The sixth try is refused even with the right password.
    response = client.post(
        reverse("account_login"), {"login": "target@example.com", "password": PASSWORD}
    )
    assert "Too many wrong passwords" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_reset_is_rate_limited(client, still_clock):
    for _ in range(5):
        assert (
            client.post(reverse("account_reset_password"), {"email": "a@example.com"}).status_code
            == 302
        )
    assert (
        client.post(reverse("account_reset_password"), {"email": "a@example.com"}).status_code
        == 429
    )


def test_sign_up_is_rate_limited(client, settings, still_clock):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "3/m/ip"}
    for n in range(3):
        client.post(
            reverse("account_signup"),
            {
                "first_name": "A",
                "email": f"s{n}@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
    response = client.post(
        reverse("account_signup"),
        {
            "first_name": "A",
            "email": "s9@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 429


def test_login_does_not_tell_known_from_unknown_emails(client):
    UserFactory(email="known@example.com")
    known = client.post(
        reverse("account_login"), {"login": "known@example.com", "password": "wrong"}
    ).content.decode()
    unknown = client.post(
        reverse("account_login"), {"login": "nobody@example.com", "password": "wrong"}
    ).content.decode()
    assert "not correct" in known and "not correct" in unknown


def test_password_reset_does_not_tell_known_from_unknown_emails(client):
    UserFactory(email="known@example.com")
    known = client.post(
        reverse("account_reset_password"), {"email": "known@example.com"}, follow=True
    )
    unknown = client.post(
        reverse("account_reset_password"), {"email": "nobody@example.com"}, follow=True
    )
    assert known.redirect_chain == unknown.redirect_chain
    assert known.status_code == unknown.status_code == 200


def test_sign_up_with_a_taken_email_looks_like_success(client):
    UserFactory(email="taken@example.com")
    response = client.post(
        reverse("account_signup"),
        {
            "first_name": "A",
            "email": "taken@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    fresh = client.post(
        reverse("account_signup"),
        {
            "first_name": "B",
            "email": "fresh@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == fresh.status_code == 302
    assert response["Location"] == fresh["Location"]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_next_goes_only_to_this_site(client, target):
    UserFactory(email="m@example.com")
    response = client.post(
        reverse("account_login") + f"?next={target}",
        {"login": "m@example.com", "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_vet_next_goes_only_to_this_site(client, member, story, target):
    client.force_login(member)
    response = client.post(reverse("stories:vet", args=[story.pk]), {"next": target})
    assert response["Location"] == story.get_absolute_url()


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_admin_login_next_goes_only_to_this_site(client, target):
    response = client.get("/admin/login/", {"next": target})
    assert response.status_code == 302
    assert "evil" not in response["Location"] and "javascript" not in response["Location"]


def _admin_urls():
    urls = []
    for model in admin.site._registry:
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    return ["/admin/", *urls]


def test_every_admin_url_is_staff_only(client, member):
    urls = _admin_urls()
    assert len(urls) > 10
    for url in urls:
        anonymous = client.get(url)
        assert anonymous.status_code == 302, url
    client.force_login(member)
    for url in urls:
        response = client.get(url, follow=True)
        html = response.content.decode()
        assert "not authorized to access this page" in html, url
        assert "Select " not in html  # no changelist data


# Not URLs at all: ``django.shortcuts.redirect()`` would try to reverse them as view
# names (a 500 for ``next=0``); they go to the default place instead.
NOT_A_PATH = ["0", "-1", "ñ", "99999999999999999999", "users:inbox", "javascript:alert(1)"]


@pytest.mark.parametrize("target", HOSTILE_NEXT + NOT_A_PATH)
def test_every_next_field_goes_only_to_a_path_on_this_site(client, member, story, target):
    from care2.users.models import Message

    client.force_login(member)
    message = Message.objects.create(recipient=member, subject="Hello", url=target)
    posts = {
        reverse("stories:vet", args=[story.pk]): story.get_absolute_url(),
        reverse("comments:track", args=[story.pk]): story.get_absolute_url(),
        reverse("users:message_read", args=[message.pk]): reverse("users:inbox"),
    }
    for url, fallback in posts.items():
        response = client.post(url, {"next": target})
        assert response.status_code == 302, url
        assert response["Location"].split("#")[0] == fallback, url
    response = client.get(reverse("users:message_open", args=[message.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("users:inbox")


def test_a_next_path_on_this_site_is_followed(client, member, story):
    client.force_login(member)
    response = client.post(
        reverse("comments:track", args=[story.pk]), {"next": "/settings/?tab=tracked"}
    )
    assert response["Location"] == "/settings/?tab=tracked"


def test_log_in_is_rate_limited_per_address(client, settings, still_clock):
    """allauth's "login" limit (any attempt, right or wrong) holds at limit + 1."""
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    UserFactory(email="m@example.com")
    for _ in range(3):
        response = client.post(
            reverse("account_login"), {"login": "m@example.com", "password": PASSWORD}
        )
        assert response.status_code == 302
        client.logout()
    response = client.post(
        reverse("account_login"), {"login": "m@example.com", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_credentials_posted_to_the_admin_log_in_go_through_allauths_limits(client):
    """The admin's own log-in form never checks a password: a POST is sent to allauth's
    log-in (with its failed-attempt limit), so the admin is no side door for guessing."""
    staff = UserFactory(email="staff@example.com", is_staff=True)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": staff.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    for _ in range(5):
        client.post(reverse("account_login"), {"login": staff.email, "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    assert "Too many wrong passwords" in response.content.decode()


@pytest.mark.parametrize(
    "data,message",
    [
        ({"first_name": "", "email": "a@example.com"}, "This field is required"),
        ({"first_name": "Ann", "email": "not-an-email"}, "Enter a valid email address"),
        (
            {"first_name": "Ann", "email": "a@example.com", "password2": "other-pass-123"},
            "same password",
        ),
        (
            {"first_name": "Ann", "email": "a@example.com", "password1": "123", "password2": "123"},
            "too short",
        ),
    ],
)
def test_bad_sign_up_shows_the_form_again_with_messages(client, data, message):
    from care2.users.models import User

    form = {"last_name": "Lee", "password1": PASSWORD, "password2": PASSWORD, **data}
    response = client.post(reverse("account_signup"), form)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'value="Lee"' in html  # what was typed is kept
    assert not User.objects.exists()
