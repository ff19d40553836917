"""The notification kernel (care2.users.notifications): the one place that skips members
who already have a notice, bulk-inserts inbox messages and sends e-mail in chunks of
EMAIL_CHUNK_SIZE, and the three deliveries that go through it (comment tracking,
petition updates, a reader's signature confirmation)."""

import email.policy

import pytest
from django.core.mail.backends import locmem

from care2.mail import EmailMessage
from care2.users import notifications
from care2.users.models import Message, User
from comments import services as comment_services
from petitions import services as petition_services
from petitions import tasks as petition_tasks
from tests.comments.factories import TrackingFactory
from tests.factories import UserFactory
from tests.petitions.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db

HERE = "tests.users.test_notifications"


class RoundsBackend(locmem.EmailBackend):
    """The test mailer (mail.outbox), remembering how many messages each round had."""

    rounds: list[int] = []

    def send_messages(self, messages):
        RoundsBackend.rounds.append(len(messages))
        return super().send_messages(messages)


class FailingBackend(locmem.EmailBackend):
    """A mail server that is down."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server unreachable")


@pytest.fixture
def rounds(settings):
    settings.MAILERS = {"default": {"BACKEND": f"{HERE}.RoundsBackend"}}
    RoundsBackend.rounds = []
    return RoundsBackend.rounds


def members(n, **kwargs):
    return [UserFactory(email=f"member{i}@example.org", **kwargs) for i in range(n)]


def mail_to(member):
    return notifications.Email(to=member.email, subject="Hello", body="Body text")


def test_notify_inserts_one_message_each_and_emails_those_given_one(mailoutbox):
    wants_mail, inbox_only = members(2)
    created = notifications.notify(
        key="test:1",
        recipients=[wants_mail, inbox_only],
        subject="A subject",
        body=lambda m: f"Hello {m.pk}",
        url="/somewhere/",
        email=lambda m: mail_to(m) if m == wants_mail else None,
    )
    assert created == 2
    rows = {m.recipient_id: m for m in Message.objects.filter(key="test:1")}
    assert set(rows) == {wants_mail.pk, inbox_only.pk}
    assert rows[inbox_only.pk].body == f"Hello {inbox_only.pk}"
    assert rows[inbox_only.pk].subject == "A subject" and rows[inbox_only.pk].url == "/somewhere/"
    assert [m.to for m in mailoutbox] == [[wants_mail.email]]
    assert isinstance(mailoutbox[0], EmailMessage)  # built through care2.mail


def test_members_who_have_the_message_are_skipped_e_mail_included(mailoutbox):
    had_it, new = members(2)
    Message.objects.create(recipient=had_it, subject="earlier", key="test:2")
    created = notifications.notify(
        key="test:2", recipients=[had_it, new], subject="s", body="b", url="", email=mail_to
    )
    assert created == 1
    assert Message.objects.get(recipient=had_it, key="test:2").subject == "earlier"
    assert [m.to for m in mailoutbox] == [[new.email]]
    # Delivered again: nothing more, in the inbox or by e-mail.
    again = notifications.notify(
        key="test:2", recipients=[had_it, new], subject="s", body="b", url="", email=mail_to
    )
    assert again == 0 and len(mailoutbox) == 1
    assert Message.objects.filter(key="test:2").count() == 2


def test_a_queryset_of_recipients_is_read_in_one_query_each(django_assert_num_queries):
    members(3)
    # The recipients, their delivery locks, those who have it already, the bulk insert
    # (plus the savepoint pair of the kernel's transaction inside the test's).
    with django_assert_num_queries(6):
        created = notifications.notify(
            key="test:3",
            recipients=User.objects.filter(email__startswith="member"),
            subject="s",
            body="b",
            url="",
        )
    assert created == 3


def test_a_failed_send_rolls_the_messages_back_and_the_retry_delivers_both(settings, mailoutbox):
    member = UserFactory()
    settings.MAILERS = {"default": {"BACKEND": f"{HERE}.FailingBackend"}}
    with pytest.raises(OSError):
        notifications.notify(
            key="test:4", recipients=[member], subject="s", body="b", url="", email=mail_to
        )
    assert not Message.objects.filter(key="test:4").exists()
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    assert (
        notifications.notify(
            key="test:4", recipients=[member], subject="s", body="b", url="", email=mail_to
        )
        == 1
    )
    assert Message.objects.filter(key="test:4").count() == 1 and len(mailoutbox) == 1


def test_send_emails_goes_in_rounds_of_email_chunk_size(settings, rounds, mailoutbox):
    settings.EMAIL_CHUNK_SIZE = 2
    emails = [notifications.Email(to=f"r{i}@example.org", subject="s", body="b") for i in range(5)]
    assert notifications.send_emails(emails) == 5
    assert rounds == [2, 2, 1]
    assert [m.to for m in mailoutbox] == [[e.to] for e in emails]
    assert notifications.send_emails([]) == 0 and rounds == [2, 2, 1]


def test_email_headers_stay_plain_ascii():
    url = "https://news.example.org/comments/stop-tracking/" + "x" * 120 + "/"
    message = notifications.Email(
        to="a@example.org", subject="s", body="b", headers={"List-Unsubscribe": f"<{url}>"}
    ).message()
    data = message.message().as_bytes(policy=email.policy.SMTP)
    assert f"List-Unsubscribe: <{url}>\r\n".encode() in data


# --- the deliveries that use it --------------------------------------------------------


def test_comment_e_mails_follow_email_chunk_size(
    settings, rounds, member, published_story, mailoutbox
):
    settings.EMAIL_CHUNK_SIZE = 2
    trackers = members(3, email_on_tracked_comments=True)
    for tracker in trackers:
        TrackingFactory(member=tracker, story=published_story)
    comment = comment_services.comment_create(author=member, story=published_story, body="Hi")
    mailoutbox.clear()
    rounds.clear()
    created = comment_services.comment_notify_batch(
        comment_id=comment.pk, recipient_ids=[t.pk for t in trackers]
    )
    assert created == 3
    assert rounds == [2, 1]
    assert sorted(m.to[0] for m in mailoutbox) == sorted(t.email for t in trackers)


def test_petition_update_e_mails_follow_email_chunk_size(
    settings, rounds, category, mailoutbox, django_capture_on_commit_callbacks
):
    settings.EMAIL_CHUNK_SIZE = 2
    petition = PetitionFactory(category=category)
    signers = members(3, email_on_petition_updates=True)
    for signer in signers:
        petition_services.signature_sign_member(petition=petition, member=signer, hear_more=True)
    mailoutbox.clear()
    rounds.clear()
    with django_capture_on_commit_callbacks(execute=True):
        update = petition_services.petition_update_post(
            petition=petition, by=petition.creator, title="News", body="The council meets."
        )
    assert rounds == [2, 1]
    assert Message.objects.filter(key=f"petition_update:{update.pk}").count() == 3


def test_petition_update_reaches_inactive_signers_inbox_but_not_their_mail(
    category, mailoutbox, django_capture_on_commit_callbacks
):
    """As before the kernel: every signer who asked gets the inbox message; e-mail only
    goes to active members whose settings say so."""
    petition = PetitionFactory(category=category)
    active, gone = members(2, email_on_petition_updates=True)
    for signer in (active, gone):
        petition_services.signature_sign_member(petition=petition, member=signer, hear_more=True)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        update = petition_services.petition_update_post(
            petition=petition, by=petition.creator, title="News", body="Text."
        )
    assert set(
        Message.objects.filter(key=f"petition_update:{update.pk}").values_list(
            "recipient_id", flat=True
        )
    ) == {active.pk, gone.pk}
    assert [m.to for m in mailoutbox] == [[active.email]]


def test_signature_confirmation_is_sent_through_the_kernel(category, rounds, mailoutbox):
    pending = SignatureFactory(petition=PetitionFactory(category=category), status="pending")
    assert petition_tasks.send_confirmation_task(pending.pk) is True
    assert rounds == [1]
    (message,) = mailoutbox
    assert isinstance(message, EmailMessage) and message.to == [pending.email]
    assert "Please confirm your signature" in message.subject
    assert not Message.objects.exists()  # readers have no inbox


def test_a_notices_e_mail_has_the_same_message_id_every_time_it_is_sent(mailoutbox):
    """A worker that dies after handing the e-mails to the mailer, before its commit, has
    them sent again by the retry: each repeat carries the first one's Message-ID, one per
    notice and member, by which mail systems recognise it."""
    first, second = members(2)

    def deliver(key):
        notifications.notify(
            key=key, recipients=[first, second], subject="S", body="B", url="/", email=mail_to
        )

    deliver("test:message-id")
    ids = {m.to[0]: m.message()["Message-ID"] for m in mailoutbox}
    Message.objects.filter(key="test:message-id").delete()  # as the rolled-back delivery
    mailoutbox.clear()
    deliver("test:message-id")
    assert {m.to[0]: m.message()["Message-ID"] for m in mailoutbox} == ids
    assert len(set(ids.values())) == 2
    assert ids[first.email] == notifications.notice_message_id(
        key="test:message-id", recipient_id=first.pk
    )
    mailoutbox.clear()
    deliver("test:another-notice")
    assert not {m.message()["Message-ID"] for m in mailoutbox} & set(ids.values())
