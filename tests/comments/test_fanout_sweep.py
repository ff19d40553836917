"""A fan-out batch lost with its worker (kombu's Redis transport loses a message a worker
took off the queue and was killed before it recorded) is delivered by the periodic
sweep, to the members it missed and no one else."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from care2.users.models import Message
from comments import services, tasks
from tests.comments.factories import CommentFactory, TrackingFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lost_batch(published_story):
    """A comment made 20 minutes ago whose fan-out reached one tracker of two."""
    at = timezone.now() - datetime.timedelta(minutes=20)
    author, reached, missed = UserFactory(), UserFactory(), UserFactory()
    for member in (author, reached, missed):
        TrackingFactory(member=member, story=published_story, created_at=at)
    TrackingFactory(member=UserFactory(is_active=False), story=published_story, created_at=at)
    comment = CommentFactory(story=published_story, author=author, created_at=at)
    TrackingFactory(member=UserFactory(), story=published_story)  # tracking since
    services.comment_notify_batch(comment_id=comment.pk, recipient_ids=[reached.pk])
    return comment, reached, missed


def test_the_sweep_finds_the_members_a_lost_batch_missed(lost_batch):
    comment, _, missed = lost_batch
    assert services.undelivered_notices() == {comment.pk: [missed.pk]}


def test_the_sweep_delivers_to_them_once(lost_batch, mailoutbox):
    comment, reached, missed = lost_batch
    assert tasks.comment_fanout_sweep_task() == 1
    key = f"comment:{comment.pk}"
    assert sorted(Message.objects.filter(key=key).values_list("recipient_id", flat=True)) == (
        sorted([reached.pk, missed.pk])
    )
    assert tasks.comment_fanout_sweep_task() == 0


def test_a_fan_out_still_in_progress_or_long_past_is_left_alone(published_story):
    now = timezone.now()
    for minutes in (1, 5 * 60):  # within the grace; past the window
        at = now - datetime.timedelta(minutes=minutes)
        TrackingFactory(story=published_story, created_at=at - datetime.timedelta(minutes=1))
        CommentFactory(story=published_story, created_at=at)
    assert services.undelivered_notices() == {}


def test_a_removed_comment_notifies_nobody(lost_batch):
    comment, _, _ = lost_batch
    comment.status = "removed"
    comment.removal_reason = "spam"
    comment.save()
    assert services.undelivered_notices() == {}


def test_beat_runs_the_sweep():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "comments.tasks.comment_fanout_sweep_task" in scheduled
