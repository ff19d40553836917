import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from petitions import tasks
from petitions.models import Petition, Signature
from tests.petitions.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db


def test_beat_schedule_has_the_periodic_tasks():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "petitions.tasks.close_past_deadline_task",
        "petitions.tasks.delete_unconfirmed_task",
        "petitions.tasks.erase_emails_task",
    } <= scheduled
    assert settings.PETITION_ERASE_EMAILS_AFTER_DAYS == 180


def test_periodic_tasks_run(category):
    now = timezone.now()
    past = PetitionFactory(category=category, deadline=now - datetime.timedelta(hours=1))
    SignatureFactory(petition=past, status="pending", created_at=now - datetime.timedelta(days=40))
    assert tasks.close_past_deadline_task.delay().get() == 1
    assert Petition.objects.get(pk=past.pk).status == "closed"
    assert tasks.delete_unconfirmed_task.delay().get() == 1
    assert tasks.erase_emails_task.delay().get() == 0


def test_confirmation_task_is_a_noop_once_confirmed(petition):
    pending = SignatureFactory(petition=petition, status="pending")
    confirmed = SignatureFactory(petition=petition)
    assert tasks.send_confirmation_task(pending.pk) is True
    assert tasks.send_confirmation_task(confirmed.pk) is False
    assert tasks.send_confirmation_task(999_999) is False
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [pending.email]
    assert "/petitions/confirm/" in mail.outbox[0].body


def test_no_email_is_sent_inside_the_request_transaction(
    petition, django_capture_on_commit_callbacks
):
    from petitions import services

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.signature_sign_reader(
            petition=petition, first_name="A", last_name="B", email="x@example.org", country="FR"
        )
    assert len(mail.outbox) == 0 and len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1
    assert Signature.objects.get().status == "pending"


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_confirmation_at_once_send_one_email(category, monkeypatch):
    """The resend sweep can enqueue a signature whose first task is still queued: two
    copies then run together, and the reader must still get one e-mail."""
    import threading

    from care2.users import notifications
    from tests.races import race_calls

    petition = PetitionFactory(category=category)
    pending = SignatureFactory(petition=petition, status="pending", confirmation_sent_at=None)
    sent = []
    real_send = notifications.send_emails

    def slow_send(emails):
        sent.extend(emails)
        threading.Event().wait(0.5)  # still sending when the other copy looks
        return real_send(emails)

    monkeypatch.setattr(notifications, "send_emails", slow_send)
    outcomes = race_calls([lambda: tasks.send_confirmation_task(pending.pk)] * 2)
    assert sorted(outcomes) == [("ok", False), ("ok", True)], outcomes
    assert len(sent) == 1 and len(mail.outbox) == 1


def test_a_failed_send_leaves_the_confirmation_for_the_retry(petition, monkeypatch):
    from care2.users import notifications

    pending = SignatureFactory(petition=petition, status="pending", confirmation_sent_at=None)

    def broken(emails):
        raise ConnectionError("SMTP down")

    monkeypatch.setattr(notifications, "send_emails", broken)
    with pytest.raises(ConnectionError):
        tasks.send_confirmation_task(pending.pk)
    assert Signature.objects.get(pk=pending.pk).confirmation_sent_at is None
    monkeypatch.undo()
    assert tasks.send_confirmation_task(pending.pk) is True and len(mail.outbox) == 1


def test_the_confirmations_a_process_sent_together_go_out_each(petition, monkeypatch):
    """One task for the signatures of a moment (care2.outbox.send_soon): each gets its
    e-mail; one that fails does not keep the others from theirs, and is raised after."""
    first, failing, last = SignatureFactory.create_batch(3, petition=petition, status="pending")
    real = tasks.send_confirmation_task

    def send(signature_id):
        if signature_id == failing.pk:
            raise OSError("SMTP refused")
        return real(signature_id)

    monkeypatch.setattr(tasks, "send_confirmation_task", send)
    with pytest.raises(OSError, match="SMTP refused"):
        tasks.send_confirmations_task(first.pk, failing.pk, last.pk)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([first.email, last.email])
    monkeypatch.undo()
    assert tasks.send_confirmations_task(first.pk, last.pk) == 0  # each once
