"""Site-wide behaviour: our own error pages, health check, security headers."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_cache(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}


def test_csrf_failure_is_our_own_page(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(reverse("stories:submit"), {"title": "x"})
    assert response.status_code == 403
    assert "Please try again" in response.content.decode()


@pytest.mark.parametrize(
    "view,status,text",
    [
        ("care2.views.bad_request", 400, "Bad request"),
        ("care2.views.permission_denied", 403, "Not allowed"),
        ("care2.views.page_not_found", 404, "Page not found"),
        ("care2.views.server_error", 500, "Something went wrong"),
    ],
)
def test_error_pages_are_ours(rf, view, status, text):
    from django.contrib.auth.models import AnonymousUser
    from django.utils.module_loading import import_string

    request = rf.get("/")
    request.user = AnonymousUser()
    response = import_string(view)(request) if status == 500 else import_string(view)(request, None)
    assert response.status_code == status
    assert text in response.content.decode()


def test_content_security_policy_and_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.content.decode()


def test_every_page_has_lang_skip_link_and_landmarks(client):
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert 'href="#main"' in html and '<main id="main"' in html
    assert "<header" in html and "<footer" in html and 'aria-label="Main"' in html


def test_one_json_line_per_request(client, caplog):
    import json
    import logging

    from care2.logs import JsonFormatter

    with caplog.at_level(logging.INFO, logger="care2.request"):
        client.get("/")
    records = [r for r in caplog.records if r.name == "care2.request"]
    assert len(records) == 1
    line = JsonFormatter().format(records[0])
    data = json.loads(line)
    assert "\n" not in line
    assert data["path"] == "/" and data["status"] == 200 and data["method"] == "GET"
    assert data["duration_ms"] >= 0


def test_one_json_line_per_task(caplog):
    import json
    import logging

    from care2.logs import JsonFormatter
    from stories.tasks import expire_newly_submitted_task

    with caplog.at_level(logging.INFO, logger="care2.task"):
        expire_newly_submitted_task.delay()
    records = [r for r in caplog.records if r.name == "care2.task"]
    data = json.loads(JsonFormatter().format(records[-1]))
    assert (
        data["task"] == "stories.tasks.expire_newly_submitted_task" and data["state"] == "SUCCESS"
    )


def test_healthz_is_not_redirected_to_https_behind_the_ssl_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    assert client.get("/").status_code == 301
