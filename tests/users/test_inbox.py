import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from care2.users.models import Message
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def make_message(recipient, n, **kwargs):
    defaults = {
        "subject": f"Message number {n}",
        "body": f"Body {n}",
        "url": f"/stories/1/x/#comment-{n}",
        "key": f"test:{n}",
        "created_at": timezone.now() - datetime.timedelta(minutes=1000 - n),
    }
    return Message.objects.create(recipient=recipient, **{**defaults, **kwargs})


@pytest.fixture
def as_member(client, member):
    client.force_login(member)
    return client


def test_inbox_needs_sign_in(client):
    response = client.get(reverse("users:inbox"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_lists_newest_first_with_unread_marked(as_member, member, other_member):
    old = make_message(member, 1, read_at=timezone.now())
    new = make_message(member, 2)
    make_message(other_member, 3, subject="Someone else's message")
    html = as_member.get(reverse("users:inbox")).content.decode()
    assert html.index(new.subject) < html.index(old.subject)
    assert "Someone else's message" not in html
    assert f'class="inbox-message unread" id="message-{new.pk}"' in html
    assert f'class="inbox-message" id="message-{old.pk}"' in html
    assert html.count(">New</span>") == 1
    assert 'data-testid="unread-count" aria-label="1 unread">1<' in html  # the header


def test_body_links_are_links_and_text_is_escaped(as_member, member):
    make_message(
        member,
        1,
        body="<script>x</script>\n\nStop tracking this story: http://example.com/comments/stop-tracking/abc/",
    )
    html = as_member.get(reverse("users:inbox")).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert 'href="http://example.com/comments/stop-tracking/abc/"' in html


def test_opening_a_message_marks_it_read_and_follows_its_link(as_member, member):
    message = make_message(member, 7)
    response = as_member.get(reverse("users:message_open", args=[message.pk]))
    assert response.status_code == 302 and response["Location"] == message.url
    message.refresh_from_db()
    assert message.read_at is not None


def test_open_never_redirects_off_site(as_member, member):
    message = make_message(member, 8, url="https://evil.example/phish")
    response = as_member.get(reverse("users:message_open", args=[message.pk]))
    assert response["Location"] == reverse("users:inbox")


def test_cannot_open_or_mark_someone_elses(as_member, other_member):
    message = make_message(other_member, 9)
    assert as_member.get(reverse("users:message_open", args=[message.pk])).status_code == 404
    as_member.post(reverse("users:message_read", args=[message.pk]))
    message.refresh_from_db()
    assert message.read_at is None


def test_mark_one_read(as_member, member):
    first, second = make_message(member, 1), make_message(member, 2)
    response = as_member.post(
        reverse("users:message_read", args=[first.pk]), {"next": "/members/inbox/?page=1"}
    )
    assert response["Location"] == "/members/inbox/?page=1"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at and second.read_at is None


def test_mark_read_ignores_foreign_next(as_member, member):
    message = make_message(member, 1)
    response = as_member.post(
        reverse("users:message_read", args=[message.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("users:inbox")


def test_mark_all_read(as_member, member, other_member):
    for n in range(3):
        make_message(member, n)
    theirs = make_message(other_member, 10)
    response = as_member.post(reverse("users:inbox_read_all"), follow=True)
    assert "3 messages marked read." in response.content.decode()
    assert not Message.objects.filter(recipient=member, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "No unread messages." in response.content.decode()


def test_mark_read_needs_post(as_member, member):
    message = make_message(member, 1)
    assert as_member.get(reverse("users:message_read", args=[message.pk])).status_code == 405
    assert as_member.get(reverse("users:inbox_read_all")).status_code == 405


def test_inbox_with_500_messages_in_constant_queries(client, django_assert_max_num_queries):
    member = UserFactory()
    now = timezone.now()
    Message.objects.bulk_create(
        Message(
            recipient=member,
            subject=f"Subject {n}",
            body=f"Body {n} https://example.org/{n}",
            url=f"/x/#c{n}",
            key=f"k{n}",
            created_at=now - datetime.timedelta(seconds=n),
            read_at=now if n % 2 else None,
        )
        for n in range(500)
    )
    client.force_login(member)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("users:inbox"))
    html = response.content.decode()
    assert html.count('data-testid="inbox-message"') == 50
    assert "Subject 0<" in html and "Subject 50<" not in html
    assert 'data-testid="inbox-unread">250</strong> unread messages.' in html
    with django_assert_max_num_queries(8):
        html = client.get(reverse("users:inbox") + "?page=10").content.decode()
    assert "Subject 499<" in html


def test_empty_inbox(as_member):
    assert "No messages yet." in as_member.get(reverse("users:inbox")).content.decode()
