import datetime
import re
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from django.contrib.admin.models import LogEntry
from django.core import mail, signing
from django.utils import timezone

from care2.users.models import Message
from petitions import selectors, services
from petitions.models import CountShard, Petition, PetitionUpdate, Signature
from tests.factories import StoryFactory, UserFactory
from tests.petitions.conftest import image_upload
from tests.petitions.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db


def count(petition) -> int:
    return services.petition_count(petition_id=petition.pk)


def confirmed_rows(petition) -> int:
    return Signature.objects.filter(petition=petition, status="confirmed").count()


def sign_reader(petition, email="reader@example.org", **kwargs):
    defaults = dict(
        petition=petition,
        first_name="Beth",
        last_name="smith",
        email=email,
        country="FR",
        comment="",
        show_name=True,
        allow_contact=False,
        ip="198.51.100.1",
    )
    defaults.update(kwargs)
    return services.signature_sign_reader(**defaults)


# --- Starting --------------------------------------------------------------------------


def test_start_petition_sanitizes_text_and_ties_story(member, category):
    story = StoryFactory(category=category)
    petition = services.petition_start(
        creator=member,
        title="  Plant   a tree for every child born in the town ",
        target="The Mayor of Greenham",
        why='Trees cool streets. <script>alert(1)</script> See <a href="https://trees.example.org" onclick="x()">the plan</a>\nand www.example.com',
        category=category,
        story=story,
    )
    assert petition.title == "Plant a tree for every child born in the town"
    assert petition.status == Petition.Status.OPEN
    assert petition.goal == 1000
    assert petition.story == story
    assert "<script>" not in petition.why_html and "&lt;script&gt;" in petition.why_html
    assert 'href="https://trees.example.org"' in petition.why_html
    assert 'rel="nofollow ugc noopener"' in petition.why_html
    assert "onclick" not in petition.why_html
    assert '<a href="http://www.example.com"' in petition.why_html
    assert count(petition) == 0


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("title", "Too short", "The title must be 10 to 150"),
        ("title", "x" * 151, "The title must be 10 to 150"),
        ("target", "   ", "The target must be 1 to 200"),
        ("target", "t" * 201, "The target must be 1 to 200"),
        ("why", "w" * 10_001, "Why it matters must be 1 to 10,000"),
    ],
)
def test_start_checks_lengths_for_every_caller(member, category, field, value, message):
    """The form refuses these too; the service refuses them for any other caller, with a
    message instead of a database error."""
    data = {"title": "A long enough title", "target": "Someone", "why": "Because."}
    with pytest.raises(services.PetitionError, match=message):
        services.petition_start(creator=member, category=category, **{**data, field: value})
    assert not Petition.objects.exists()


def test_start_requires_verified_email(category):
    unverified = UserFactory(verified=False)
    with pytest.raises(services.PetitionError, match="verify your e-mail"):
        services.petition_start(
            creator=unverified,
            title="A long enough title",
            target="Someone",
            why="Because.",
            category=category,
        )
    EmailAddress.objects.create(user=unverified, email=unverified.email, verified=False)
    with pytest.raises(services.PetitionError):
        services.petition_start(
            creator=unverified,
            title="A long enough title",
            target="Someone",
            why="Because.",
            category=category,
        )


def test_start_refuses_past_deadline(member, category):
    with pytest.raises(services.PetitionError, match="future"):
        services.petition_start(
            creator=member,
            title="A long enough title",
            target="Someone",
            why="Because.",
            category=category,
            deadline=timezone.now() - datetime.timedelta(hours=1),
        )


def test_start_with_image_stores_reencoded_display_and_thumbnail(
    member, category, django_capture_on_commit_callbacks
):
    # The re-encoding is a task enqueued on commit (run eagerly here).
    with django_capture_on_commit_callbacks(execute=True):
        petition = services.petition_start(
            creator=member,
            title="A long enough title",
            target="Someone",
            why="Because.",
            category=category,
            image=image_upload("PNG", size=(2400, 1600)),
        )
    petition.refresh_from_db()
    assert petition.image and petition.image_thumb
    assert (petition.image_width, petition.image_height) == (1200, 800)
    assert petition.image.name.endswith(".jpg")


def test_start_with_bad_image_is_refused_by_service(member, category):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(services.PetitionError, match="not an image"):
        services.petition_start(
            creator=member,
            title="A long enough title",
            target="Someone",
            why="Because.",
            category=category,
            image=SimpleUploadedFile("x.jpg", b"not really a jpeg"),
        )
    assert Petition.objects.count() == 0


# --- Life cycle ------------------------------------------------------------------------


def test_creator_closes_and_only_creator(petition, other_member):
    with pytest.raises(services.PetitionError):
        services.petition_close(petition=petition, by=other_member)
    assert services.petition_close(petition=petition, by=petition.creator) is True
    assert petition.status == "closed" and petition.closed_at is not None
    assert services.petition_close(petition=petition, by=petition.creator) is False


def test_victory_needs_message_and_stops_signing(petition):
    with pytest.raises(services.PetitionError):
        services.petition_declare_victory(petition=petition, by=petition.creator, message="  ")
    assert services.petition_declare_victory(
        petition=petition, by=petition.creator, message="The council kept the path open!"
    )
    petition.refresh_from_db()
    assert petition.status == "victory" and petition.closed_at is not None
    with pytest.raises(services.PetitionError, match="closed"):
        sign_reader(petition)


def test_victory_after_close_keeps_closed_at(petition):
    services.petition_close(petition=petition, by=petition.creator)
    closed_at = petition.closed_at
    services.petition_declare_victory(petition=petition, by=petition.creator, message="Won.")
    assert petition.closed_at == closed_at and petition.status == "victory"


def test_close_past_deadline_is_idempotent(category):
    now = timezone.now()
    past = PetitionFactory(category=category, deadline=now - datetime.timedelta(minutes=1))
    future = PetitionFactory(category=category, deadline=now + datetime.timedelta(days=1))
    assert services.petitions_close_past_deadline(now=now) == 1
    assert services.petitions_close_past_deadline(now=now) == 0
    past.refresh_from_db()
    future.refresh_from_db()
    assert past.status == "closed" and future.status == "open"


def test_past_deadline_cannot_be_signed_even_before_the_task_runs(category):
    petition = PetitionFactory(
        category=category, deadline=timezone.now() - datetime.timedelta(seconds=1)
    )
    with pytest.raises(services.PetitionError, match="deadline"):
        sign_reader(petition)


def test_hidden_cannot_be_signed_and_unhide(petition, other_member):
    services.petitions_hide(petition_ids=[petition.pk], reason="Copied from elsewhere")
    petition.refresh_from_db()
    assert petition.is_hidden and petition.hidden_reason == "Copied from elsewhere"
    with pytest.raises(services.PetitionError, match="not available"):
        services.signature_sign_member(petition=petition, member=other_member)
    services.petitions_unhide(petition_ids=[petition.pk])
    petition.refresh_from_db()
    assert not petition.is_hidden
    services.signature_sign_member(petition=petition, member=other_member)
    assert count(petition) == 1


def test_closed_cannot_be_signed_by_member(petition, other_member):
    services.petitions_close(petition_ids=[petition.pk])
    petition.refresh_from_db()
    with pytest.raises(services.PetitionError, match="closed"):
        services.signature_sign_member(petition=petition, member=other_member)
    assert Signature.objects.count() == 0


# --- Signing ---------------------------------------------------------------------------


def test_member_signs_once_counted_at_once_and_paid(petition, other_member):
    with mock.patch("petitions.services.credit_award") as award:
        signature = services.signature_sign_member(
            petition=petition,
            member=other_member,
            comment=" Yes! ",
            show_name=False,
            hear_more=True,
        )
    award.assert_called_once()
    kwargs = award.call_args.kwargs
    assert kwargs["key"] == f"petition_sign:{petition.pk}:{other_member.pk}"
    assert kwargs["member"] == other_member and kwargs["target"] == signature
    assert signature.status == "confirmed" and signature.comment == "Yes!"
    assert signature.display_name == "A supporter"
    assert count(petition) == 1
    with pytest.raises(services.PetitionError, match="already signed"):
        services.signature_sign_member(petition=petition, member=other_member)
    assert count(petition) == 1 == confirmed_rows(petition)


def test_reader_signs_pending_gets_email_and_counts_after_confirm(
    petition, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signature = sign_reader(petition, email="  Reader@Example.ORG ")
    assert signature.email == "reader@example.org"
    assert signature.status == "pending"
    assert count(petition) == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["reader@example.org"]
    assert "We hate spam. We do not sell or share the email addresses you provide." in message.body
    confirm_path = re.search(r"https?://[^/]+(/petitions/confirm/[^/\s]+/)", message.body).group(1)
    withdraw_path = re.search(r"https?://[^/]+(/petitions/withdraw/[^/\s]+/)", message.body).group(
        1
    )
    assert confirm_path and withdraw_path
    token = confirm_path.split("/")[-2]
    found = services.signature_from_token(token=token, purpose="confirm")
    assert found.pk == signature.pk
    assert services.signature_confirm(signature=found) is True
    assert count(petition) == 1
    # Confirming again changes nothing.
    again = services.signature_from_token(token=token, purpose="confirm")
    assert services.signature_confirm(signature=again) is False
    assert count(petition) == 1 == confirmed_rows(petition)


def test_same_email_different_case_and_space_is_one_signature(petition):
    sign_reader(petition, email="same@example.org")
    with pytest.raises(services.PetitionError, match="already signed") as error:
        sign_reader(petition, email="  SAME@example.org")
    assert "confirm" in error.value.message  # pending: tells them to confirm
    assert Signature.objects.filter(petition=petition).count() == 1


def test_email_constraint_holds_at_database_level(petition):
    from django.db import IntegrityError, transaction

    SignatureFactory(petition=petition, email="dup@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        Signature.objects.create(
            petition=petition, first_name="X", email="DUP@example.org", status="pending"
        )


def test_member_email_already_used_by_reader(petition, other_member):
    SignatureFactory(petition=petition, email=other_member.email.upper())
    with pytest.raises(services.PetitionError, match="already signed"):
        services.signature_sign_member(petition=petition, member=other_member)


def test_same_email_may_sign_two_petitions(category):
    one, two = PetitionFactory(category=category), PetitionFactory(category=category)
    sign_reader(one)
    sign_reader(two)
    assert Signature.objects.count() == 2


def test_confirm_link_expires_after_seven_days(petition, settings):
    signature = sign_reader(petition)
    token = services.signature_token(signature=signature, purpose="confirm")
    later = timezone.now() + datetime.timedelta(days=settings.PETITION_CONFIRM_LINK_DAYS, minutes=1)
    with (
        mock.patch("django.core.signing.time.time", return_value=later.timestamp()),
        pytest.raises(services.PetitionError) as error,
    ):
        services.signature_from_token(token=token, purpose="confirm")
    assert error.value.code == "expired"


def test_tokens_are_purpose_bound_and_tamper_proof(petition):
    signature = sign_reader(petition)
    withdraw_token = services.signature_token(signature=signature, purpose="withdraw")
    with pytest.raises(services.PetitionError) as error:
        services.signature_from_token(token=withdraw_token, purpose="confirm")
    assert error.value.code == "invalid"
    forged = signing.dumps(signature.pk + 1, salt="something-else")
    with pytest.raises(services.PetitionError):
        services.signature_from_token(token=forged, purpose="confirm")


def test_confirm_after_close_is_refused(petition):
    signature = sign_reader(petition)
    services.petition_close(petition=petition)
    signature = Signature.objects.select_related("petition").get(pk=signature.pk)
    with pytest.raises(services.PetitionError, match="closed"):
        services.signature_confirm(signature=signature)
    assert count(petition) == 0


# --- Withdrawing and invalidating ------------------------------------------------------


def test_reader_withdraws_confirmed_count_drops_by_one(petition):
    SignatureFactory.create_batch(3, petition=petition)
    signature = sign_reader(petition)
    services.signature_confirm(
        signature=Signature.objects.select_related("petition").get(pk=signature.pk)
    )
    assert count(petition) == 4
    assert services.signature_withdraw(signature_id=signature.pk) is True
    assert count(petition) == 3 == confirmed_rows(petition)
    assert services.signature_withdraw(signature_id=signature.pk) is False
    assert count(petition) == 3


def test_withdrawing_pending_does_not_change_count(petition):
    SignatureFactory(petition=petition)
    signature = sign_reader(petition)
    services.signature_withdraw(signature_id=signature.pk)
    assert count(petition) == 1


def test_member_withdraw_reverses_credits(petition, other_member):
    signature = services.signature_sign_member(petition=petition, member=other_member)
    with mock.patch("petitions.services.credit_reverse") as reverse:
        services.signature_withdraw(signature_id=signature.pk)
    reverse.assert_called_once_with(
        key=f"petition_sign:{petition.pk}:{other_member.pk}", reason="signature withdrawn"
    )
    assert count(petition) == 0
    # They may sign again after withdrawing.
    services.signature_sign_member(petition=petition, member=other_member)
    assert count(petition) == 1


def test_invalidate_batch_count_follows_and_is_logged(petition, moderator):
    good = SignatureFactory.create_batch(2, petition=petition)
    bad = SignatureFactory.create_batch(3, petition=petition, ip="192.0.2.66")
    pending = SignatureFactory(petition=petition, status="pending", ip="192.0.2.66")
    assert count(petition) == 5
    ids = [s.pk for s in bad] + [pending.pk]
    assert (
        services.signatures_invalidate(signature_ids=ids, by=moderator, reason="one address") == 4
    )
    assert count(petition) == 2 == confirmed_rows(petition)
    # Invalidating again is a no-op.
    assert services.signatures_invalidate(signature_ids=ids, by=moderator) == 0
    assert count(petition) == 2
    entry = LogEntry.objects.get(user=moderator)
    assert "Invalidated 4 signature(s): one address" in entry.change_message
    assert {s.pk for s in good} <= set(
        Signature.objects.filter(status="confirmed").values_list("pk", flat=True)
    )
    # An invalidated e-mail cannot sign again.
    with pytest.raises(services.PetitionError):
        sign_reader(petition, email=bad[0].email)


# --- Goal ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count_", "goal", "expected"),
    [
        (10, 10, 25),
        (1000, 1000, 2500),
        (2600, 2500, 5000),
        (5000, 5000, 10000),
        (7, 5, 10),
        (0, 100, 250),
    ],
)
def test_next_goal(count_, goal, expected):
    assert services.next_goal(count=count_, goal=goal) == expected


def test_goal_raised_when_reached_and_creator_told_once(
    member, category, other_member, django_capture_on_commit_callbacks
):
    petition = PetitionFactory(creator=member, category=category, goal=3)
    SignatureFactory.create_batch(2, petition=petition)
    with django_capture_on_commit_callbacks(execute=True):
        services.signature_sign_member(petition=petition, member=other_member)
    petition.refresh_from_db()
    assert petition.goal == 10
    message = Message.objects.get(recipient=member)
    assert "reached 3 signatures" in message.subject
    assert message.url == petition.get_absolute_url()
    # The next signer does not raise it again or send another message.
    signature = sign_reader(petition)
    with django_capture_on_commit_callbacks(execute=True):
        services.signature_confirm(
            signature=Signature.objects.select_related("petition").get(pk=signature.pk)
        )
    petition.refresh_from_db()
    assert petition.goal == 10
    assert Message.objects.filter(recipient=member).count() == 1


def test_goal_raise_from_reader_confirmation(category, django_capture_on_commit_callbacks):
    petition = PetitionFactory(category=category, goal=1)
    signature = sign_reader(petition)
    with django_capture_on_commit_callbacks(execute=True):
        services.signature_confirm(
            signature=Signature.objects.select_related("petition").get(pk=signature.pk)
        )
    petition.refresh_from_db()
    assert petition.goal == 10


def test_sign_path_never_updates_the_petition_row(
    petition, other_member, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        services.signature_sign_member(petition=petition, member=other_member)
    table = Petition._meta.db_table
    assert not [q for q in ctx.captured_queries if q["sql"].startswith(f'UPDATE "{table}"')]


# --- Updates ---------------------------------------------------------------------------


def test_update_goes_to_member_signers_who_asked(petition, django_capture_on_commit_callbacks):
    wants, silent, creator = UserFactory(), UserFactory(), petition.creator
    services.signature_sign_member(petition=petition, member=wants, hear_more=True)
    services.signature_sign_member(petition=petition, member=silent, hear_more=False)
    services.signature_sign_member(petition=petition, member=creator, hear_more=True)
    SignatureFactory(petition=petition)  # a reader: no inbox
    with pytest.raises(services.PetitionError):
        services.petition_update_post(petition=petition, by=wants, title="x", body="y")
    with django_capture_on_commit_callbacks(execute=True):
        update = services.petition_update_post(
            petition=petition, by=creator, title="Meeting set", body="The council meets Tuesday."
        )
    assert list(
        Message.objects.filter(key=f"petition_update:{update.pk}").values_list(
            "recipient", flat=True
        )
    ) == [wants.pk]
    # A repeated delivery is a no-op.
    services.petition_update_notify(update_id=update.pk)
    assert Message.objects.filter(key=f"petition_update:{update.pk}").count() == 1
    assert PetitionUpdate.objects.get().title == "Meeting set"


def test_update_e_mails_follow_each_members_setting(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    """Signers who asked to hear more get the update in their inbox; those whose settings
    say "e-mail me updates" (the default) get it by e-mail too, once."""
    by_mail = UserFactory(email="mail@example.org")
    inbox_only = UserFactory(email="quiet@example.org", email_on_petition_updates=False)
    for member in (by_mail, inbox_only):
        services.signature_sign_member(petition=petition, member=member, hear_more=True)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        update = services.petition_update_post(
            petition=petition, by=petition.creator, title="We won a hearing", body="On May 3."
        )
    assert Message.objects.filter(key=f"petition_update:{update.pk}").count() == 2
    assert [m.to for m in mailoutbox] == [["mail@example.org"]]
    assert "We won a hearing" in mailoutbox[0].subject and "On May 3." in mailoutbox[0].body
    assert "/settings/" in mailoutbox[0].extra_headers["List-Unsubscribe"]
    services.petition_update_notify(update_id=update.pk)  # a retried task
    assert len(mailoutbox) == 1


# --- Personal data -------------------------------------------------------------------------


def test_delete_unconfirmed_after_30_days(petition, settings):
    now = timezone.now()
    old = SignatureFactory(
        petition=petition, status="pending", created_at=now - datetime.timedelta(days=31)
    )
    recent = SignatureFactory(
        petition=petition, status="pending", created_at=now - datetime.timedelta(days=29)
    )
    confirmed_old = SignatureFactory(
        petition=petition, created_at=now - datetime.timedelta(days=90)
    )
    assert services.signatures_delete_unconfirmed(now=now) == 1
    assert not Signature.objects.filter(pk=old.pk).exists()
    assert Signature.objects.filter(pk__in=[recent.pk, confirmed_old.pk]).count() == 2
    assert count(petition) == 1


def test_erase_emails_after_close_keeps_count_country_and_shown_name(petition, settings):
    settings.PETITION_ERASE_EMAILS_AFTER_DAYS = 180
    SignatureFactory(
        petition=petition, first_name="Beth", last_name="Smith", country="FR", allow_contact=True
    )
    SignatureFactory(petition=petition, status="pending")
    services.petition_close(petition=petition)
    now = timezone.now()
    assert services.signatures_erase_emails(now=now + datetime.timedelta(days=179)) == 0
    assert services.signatures_erase_emails(now=now + datetime.timedelta(days=181)) == 1
    signature = Signature.objects.get(petition=petition)
    assert signature.email is None and signature.allow_contact is False
    assert signature.display_name == "Beth S" and signature.country == "FR"
    assert count(petition) == 1
    petition.refresh_from_db()
    assert petition.emails_erased_at is not None
    # Idempotent.
    assert services.signatures_erase_emails(now=now + datetime.timedelta(days=400)) == 0


def test_open_petition_emails_are_not_erased(petition):
    SignatureFactory(petition=petition)
    assert services.signatures_erase_emails(now=timezone.now() + datetime.timedelta(days=1000)) == 0


# --- Counting and CSV --------------------------------------------------------------------


def test_reconcile_finds_and_fixes_mismatch(petition):
    SignatureFactory.create_batch(4, petition=petition)
    assert services.petitions_reconcile() == []
    CountShard.objects.create(petition=petition, shard=999, count=7)
    [mismatch] = services.petitions_reconcile(fix=True)
    assert (mismatch.shards, mismatch.rows) == (11, 4)
    assert count(petition) == 4
    assert services.petitions_reconcile() == []


def test_reconcile_command_exit_code(petition):
    from django.core.management import call_command

    SignatureFactory(petition=petition)
    call_command("petitions_reconcile")
    CountShard.objects.create(petition=petition, shard=999, count=1)
    with pytest.raises(SystemExit):
        call_command("petitions_reconcile")
    call_command("petitions_reconcile", "--fix")
    call_command("petitions_reconcile")


def test_csv_names_country_comment_and_email_only_with_consent(petition):
    SignatureFactory(
        petition=petition,
        first_name="Beth",
        last_name="smith",
        country="FR",
        comment="For my kids",
        email="beth@example.org",
        allow_contact=True,
    )
    SignatureFactory(
        petition=petition,
        first_name="Hidden",
        last_name="Person",
        show_name=False,
        email="hidden@example.org",
        allow_contact=False,
        comment="=HYPERLINK(1)",
    )
    SignatureFactory(
        petition=petition,
        first_name="Pending",
        email="pending@example.org",
        status="pending",
        allow_contact=True,
    )
    lines = list(selectors.signatures_csv(petition=petition))
    text = "".join(lines)
    assert lines[0].strip() == "Name,Country,Signed,Comment,E-mail"
    assert "Beth S,France," in text and "beth@example.org" in text
    assert "A supporter" in text and "Hidden" not in text and "hidden@example.org" not in text
    assert "'=HYPERLINK(1)" in text
    assert "Pending" not in text and "pending@example.org" not in text
    assert len(lines) == 3


def test_csv_is_a_generator(petition):
    import types

    assert isinstance(selectors.signatures_csv(petition=petition), types.GeneratorType)


def test_busiest_ips(petition):
    SignatureFactory.create_batch(3, petition=petition, ip="192.0.2.1")
    SignatureFactory(petition=petition, ip="192.0.2.2")
    rows = selectors.busiest_ips(petition=petition)
    assert [(r["ip"], r["n"]) for r in rows] == [("192.0.2.1", 3), ("192.0.2.2", 1)]


def test_chart_counts_per_day(petition):
    now = timezone.now()
    # Two calendar days back at noon (48 hours back can be another day across a DST change).
    two_days_ago = datetime.datetime.combine(
        timezone.localdate() - datetime.timedelta(days=2),
        datetime.time(12),
        tzinfo=timezone.get_current_timezone(),
    )
    SignatureFactory.create_batch(2, petition=petition, confirmed_at=now)
    SignatureFactory(petition=petition, confirmed_at=two_days_ago)
    chart = selectors.signatures_per_day(petition=petition)
    assert len(chart.bars) == 30 and chart.total == 3 and chart.peak == 2
    assert chart.bars[-1].count == 2 and chart.bars[-3].count == 1
