"""Every e-mail the site sends serializes with its links whole (care2.mail).

Each kind of message is built with a URL of 120+ characters, serialized as a mail server
or the console backend would (``message().as_bytes()``), and parsed back with the
standard library: the URL must appear unbroken in the bytes (no quoted-printable soft
line break inside it, no base64), and the List-Unsubscribe headers must be plain ASCII
values, not RFC 2047 encoded-words.
"""

import email
import email.policy
import re

import pytest
from allauth.account.adapter import get_adapter
from django.contrib.sites.models import Site
from django.urls import reverse

from care2.mail import EmailMessage, EmailMultiAlternatives, site_message
from comments import services as comment_services
from petitions import services as petition_services
from petitions import tasks as petition_tasks
from tests.comments.factories import TrackingFactory
from tests.factories import UserFactory
from tests.petitions.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db

# A site address long enough that every link built on it passes 120 characters.
LONG_SITE_URL = "https://news.care2-community-network.example.org/a-deployment/under/a-long/prefix"
LONG_URL = "https://www.example.org/reports/2026/" + "a-long-report-title-" * 5 + "?ref=news&id=1"


@pytest.fixture(autouse=True)
def _long_site_url(settings):
    settings.SITE_URL = LONG_SITE_URL
    assert len(LONG_URL) >= 120


def serialized(message, policy=email.policy.default) -> bytes:
    return message.message(policy=policy).as_bytes()


def parsed(message):
    return email.message_from_bytes(serialized(message), policy=email.policy.default)


def assert_links_whole(message, *urls):
    """Each URL is in the serialized bytes as it is, whatever the serializing policy."""
    for policy in (email.policy.default, email.policy.SMTP):
        data = serialized(message, policy)
        for url in urls:
            assert len(url) >= 120, url
            assert url.encode() in data, (url, data)
    for part in parsed(message).walk():
        if part.get_content_maintype() == "text":
            assert part["Content-Transfer-Encoding"] in ("7bit", "8bit")


def urls_in(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


def test_a_long_line_is_sent_unencoded_and_a_huge_one_still_encoded():
    plain = EmailMessage(subject="s", body=f"Read “this”: {LONG_URL}\n", to=["a@example.org"])
    assert_links_whole(plain, LONG_URL)
    assert parsed(plain)["Content-Transfer-Encoding"] == "8bit"
    ascii_only = EmailMessage(subject="s", body=f"Read: {LONG_URL}\n", to=["a@example.org"])
    assert parsed(ascii_only)["Content-Transfer-Encoding"] == "7bit"
    # Past RFC 5322's 998 characters a line must be encoded: the library's choice stays.
    huge = EmailMessage(subject="s", body="x" * 1200, to=["a@example.org"])
    assert parsed(huge)["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
    assert parsed(huge).get_content().rstrip("\n") == "x" * 1200


def test_alternatives_keep_their_links_and_attachments_stay_encoded():
    message = EmailMultiAlternatives(subject="s", body=f"Go: {LONG_URL}", to=["a@example.org"])
    message.attach_alternative(f'<p><a href="{LONG_URL}">Go</a></p>', "text/html")
    message.attach("notes.txt", "y" * 2000, "text/plain")
    assert f'href="{LONG_URL}"'.encode() in serialized(message)
    parts = {part.get_content_type(): part for part in parsed(message).walk()}
    assert parts["text/html"]["Content-Transfer-Encoding"] == "7bit"
    attachment = next(p for p in parsed(message).walk() if p.is_attachment())
    assert attachment.get_content().rstrip("\n") == "y" * 2000


def test_comment_notification(member, other_member, published_story, mailoutbox):
    tracker = UserFactory(email_on_tracked_comments=True)
    TrackingFactory(member=tracker, story=published_story)
    comment = comment_services.comment_create(
        author=other_member, story=published_story, body=f"Have you read {LONG_URL} yet?"
    )
    comment_services.comment_notify_batch(comment_id=comment.pk, recipient_ids=[tracker.pk])
    (message,) = mailoutbox
    stop_url = next(u for u in urls_in(message.body) if "/stop-tracking/" in u)
    assert_links_whole(message, LONG_URL, stop_url)

    # RFC 8058 one-click unsubscribe: both headers as plain ASCII values.
    data = serialized(message, email.policy.SMTP)
    assert f"List-Unsubscribe: <{stop_url}>\r\n".encode() in data
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in data
    assert b"=?utf-8?" not in data.split(b"\r\n\r\n", 1)[0].split(b"List-Unsubscribe", 1)[1]
    headers = parsed(message)
    assert headers["List-Unsubscribe"] == f"<{stop_url}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert stop_url.startswith(LONG_SITE_URL + "/comments/stop-tracking/")


def test_petition_signature_confirmation_with_its_withdraw_link(mailoutbox, category):
    petition = PetitionFactory(category=category)
    pending = SignatureFactory(petition=petition, status="pending")
    assert petition_tasks.send_confirmation_task(pending.pk) is True
    (message,) = mailoutbox
    links = [u for u in urls_in(message.body) if u.startswith(LONG_SITE_URL)]
    assert any("/confirm/" in u for u in links) and any("withdraw" in u for u in links)
    assert_links_whole(message, *links)


def test_petition_update(member, mailoutbox, django_capture_on_commit_callbacks, category):
    petition = PetitionFactory(creator=member, category=category)
    signer = UserFactory(email_on_petition_updates=True)
    petition_services.signature_sign_member(petition=petition, member=signer, hear_more=True)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        petition_services.petition_update_post(
            petition=petition, by=member, title="We won a hearing", body=f"Read: {LONG_URL}"
        )
    (message,) = mailoutbox
    settings_url = f"{LONG_SITE_URL}{reverse('settings:index')}"
    assert_links_whole(message, LONG_URL)
    assert parsed(message)["List-Unsubscribe"] == f"<{settings_url}>"


@pytest.mark.parametrize(
    "template",
    [
        "account/email/email_confirmation_signup",
        "account/email/email_confirmation",
        "account/email/password_reset_key",
    ],
)
def test_allauth_mails_go_through_care2_mail(rf, member, template):
    context = {
        "user": member,
        "current_site": Site.objects.get_current(),
        "activate_url": LONG_URL,
        "password_reset_url": LONG_URL,
        "key": "k",
        "request": rf.get("/"),
    }
    message = get_adapter().render_mail(template, member.email, context)
    assert isinstance(message, EmailMessage | EmailMultiAlternatives)
    assert_links_whole(message, LONG_URL)


def test_a_password_reset_sent_through_allauth_keeps_its_link(client, member, settings, mailoutbox):
    host = "news.care2-community-network-with-a-long-host-name.example.org"
    settings.ALLOWED_HOSTS = [host]
    response = client.post(
        reverse("account_reset_password"), {"email": member.email}, HTTP_HOST=host
    )
    assert response.status_code == 302
    (message,) = mailoutbox
    assert isinstance(message, EmailMessage | EmailMultiAlternatives)
    (link,) = [u for u in urls_in(message.body) if "/password/reset/key/" in u]
    assert_links_whole(message, link)


def test_site_message_keeps_what_another_library_built():
    from django.core import mail

    built = mail.EmailMultiAlternatives(
        subject="s", body=f"Go: {LONG_URL}", to=["a@example.org"], headers={"X-A": "1"}
    )
    built.attach_alternative("<p>Go</p>", "text/html")
    copy = site_message(built)
    assert isinstance(copy, EmailMultiAlternatives)
    assert (copy.subject, copy.to, copy.extra_headers, copy.alternatives) == (
        built.subject,
        built.to,
        built.extra_headers,
        built.alternatives,
    )
    assert_links_whole(copy, LONG_URL)
    assert site_message(copy) is copy
