"""Facebook log-in through allauth, up to the redirect and with the callback's HTTP faked:
these tests never reach Facebook."""

from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.contrib.sites.models import Site
from django.urls import reverse

from care2.users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def facebook_app():
    app = SocialApp.objects.create(
        provider="facebook", name="Facebook", client_id="app-123", secret="s3cret"
    )
    app.sites.add(Site.objects.get_current())
    return app


def test_no_facebook_button_without_an_app(client):
    assert "Facebook" not in client.get(reverse("account_login")).content.decode()


def test_button_shows_when_an_app_is_configured(client, facebook_app):
    html = client.get(reverse("account_login")).content.decode()
    assert "Or, log in with your Facebook account" in html
    assert 'action="/accounts/facebook/login/?process=login"' in html


def test_login_redirects_to_facebooks_dialog_with_a_current_graph_version(
    client, facebook_app, settings
):
    response = client.post("/accounts/facebook/login/?process=login")
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    version = settings.SOCIALACCOUNT_PROVIDERS["facebook"]["VERSION"]
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "www.facebook.com",
        f"/{version}/dialog/oauth",
    )
    assert int(version.strip("v").split(".")[0]) >= 20
    query = parse_qs(url.query)
    assert query["client_id"] == ["app-123"]
    assert query["state"][0]
    assert query["redirect_uri"][0].endswith("/accounts/facebook/login/callback/")


class FakeResponse:
    def __init__(self, data):
        self.data = data
        self.status_code = 200
        self.text = ""
        self.headers = {"content-type": "application/json"}

    def json(self):
        return self.data

    def raise_for_status(self):
        return None


class FakeSession:
    """Stands in for allauth's requests session: answers the token and profile calls."""

    def __init__(self):
        self.calls = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def request(self, method, url, **kwargs):
        self.calls.append(url)
        return FakeResponse(
            {"access_token": "token-abc", "token_type": "bearer", "expires_in": 3600}
        )

    def get(self, url, **kwargs):
        self.calls.append(url)
        return FakeResponse(
            {
                "id": "10001",
                "email": "fern@example.com",
                "first_name": "Fern",
                "last_name": "gully",
                "name": "Fern Gully",
            }
        )

    def post(self, url, **kwargs):
        return self.request("POST", url, **kwargs)


def test_callback_creates_the_member_with_names_from_facebook(client, facebook_app):
    response = client.post("/accounts/facebook/login/?process=login")
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    session = FakeSession()
    with mock.patch(
        "allauth.socialaccount.adapter.DefaultSocialAccountAdapter.get_requests_session",
        return_value=session,
    ):
        response = client.get(
            "/accounts/facebook/login/callback/", {"code": "code-xyz", "state": state}
        )
    assert response.status_code == 302
    assert all("facebook.com" in url for url in session.calls)
    account = SocialAccount.objects.get(provider="facebook", uid="10001")
    user = User.objects.get(pk=account.user_id)
    assert user.email == "fern@example.com"
    assert user.public_name == "Fern G"


def test_callback_with_a_forged_state_is_refused(client, facebook_app):
    client.post("/accounts/facebook/login/?process=login")
    with mock.patch(
        "allauth.socialaccount.adapter.DefaultSocialAccountAdapter.get_requests_session",
        return_value=FakeSession(),
    ):
        response = client.get(
            "/accounts/facebook/login/callback/", {"code": "x", "state": "forged"}
        )
    assert not SocialAccount.objects.exists()
    # allauth answers a callback whose state it did not issue with its authentication
    # error page, 401 Unauthorized: no account is made or signed in.
    assert response.status_code == 401
    assert "error" in response.content.decode().lower()


def test_the_facebook_app_can_come_from_the_environment():
    """FACEBOOK_APP_ID / FACEBOOK_APP_SECRET configure the app without the admin."""
    from tests.subprocess_django import django_python

    out = django_python(
        "from django.conf import settings;"
        "app = settings.SOCIALACCOUNT_PROVIDERS['facebook']['APPS'][0];"
        "print(app['client_id'], app['secret'])",
        FACEBOOK_APP_ID="env-app-1",
        FACEBOOK_APP_SECRET="env-secret",
    )
    assert out.split() == ["env-app-1", "env-secret"]


def test_an_app_from_settings_shows_the_button_and_redirects(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "facebook": {
            **settings.SOCIALACCOUNT_PROVIDERS["facebook"],
            "APPS": [{"client_id": "env-app-1", "secret": "env-secret", "key": ""}],
        }
    }
    assert (
        "Or, log in with your Facebook account"
        in client.get(reverse("account_login")).content.decode()
    )
    response = client.post("/accounts/facebook/login/?process=login")
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["client_id"] == ["env-app-1"]


@pytest.mark.parametrize("configured", ["social_app", "settings"])
def test_facebook_shows_on_sign_in_sign_up_and_the_story_page(
    client, settings, configured, published_story, request
):
    if configured == "social_app":
        request.getfixturevalue("facebook_app")
    else:
        settings.SOCIALACCOUNT_PROVIDERS = {
            "facebook": {
                **settings.SOCIALACCOUNT_PROVIDERS["facebook"],
                "APPS": [{"client_id": "env-app-1", "secret": "env-secret", "key": ""}],
            }
        }
    for url in (reverse("account_login"), reverse("account_signup")):
        html = client.get(url).content.decode()
        assert "Or, log in with your Facebook account" in html, url
        assert 'action="/accounts/facebook/login/?process=login' in html, url
    story_html = client.get(published_story.get_absolute_url()).content.decode()
    assert "Or, log in with your Facebook account" in story_html
    from urllib.parse import quote

    assert (
        f"/accounts/facebook/login/?process=login&amp;next={quote(published_story.get_absolute_url(), safe='')}"
        in story_html
        or f"/accounts/facebook/login/?process=login&amp;next={published_story.get_absolute_url()}"
        in story_html
    )


def test_no_facebook_on_the_story_page_without_an_app(client, published_story):
    assert "Facebook" not in client.get(published_story.get_absolute_url()).content.decode()
