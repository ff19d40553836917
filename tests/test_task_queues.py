"""Each task goes to its queue: notification fan-out to ``notifications``, one-off e-mails
to ``email``, the rest to the default ``celery``; a worker started without -Q consumes
all three, so one worker still does everything on one box."""

import json

import pytest

from care2.celery import app as celery_app
from tests.subprocess_django import django_python

EXPECTED = {
    "comments.tasks.comment_notify_task": "notifications",
    "comments.tasks.comment_notify_batch_task": "notifications",
    "comments.tasks.comment_fanout_sweep_task": "celery",
    "petitions.tasks.notify_update_task": "notifications",
    "petitions.tasks.send_confirmation_task": "email",
    "petitions.tasks.send_confirmations_task": "email",
    "care2.users.tasks.send_account_exists_mail_task": "email",
    "care2.users.tasks.send_confirmation_mail_task": "email",
    "care2.outbox_sweep_task": "celery",
    "stories.tasks.expire_newly_submitted_task": "celery",
    "petitions.tasks.confirmations_resend_task": "celery",
    "petitions.tasks.close_past_deadline_task": "celery",
    "petitions.tasks.delete_unconfirmed_task": "celery",
    "petitions.tasks.erase_emails_task": "celery",
    "petitions.tasks.process_image_task": "celery",
}


def _queue(task_name: str) -> str:
    return celery_app.amqp.router.route({}, task_name)["queue"].name


@pytest.mark.parametrize(("task", "queue"), sorted(EXPECTED.items()))
def test_each_task_goes_to_its_queue(task, queue):
    assert _queue(task) == queue


def test_every_task_of_the_site_has_a_queue_named_here():
    """A new task is routed on purpose, not by accident."""
    celery_app.loader.import_default_modules()
    ours = {name for name in celery_app.tasks if not name.startswith(("celery.", "tests."))}
    assert ours == set(EXPECTED)


def test_a_worker_without_dash_q_consumes_every_queue():
    assert [queue.name for queue in celery_app.conf.task_queues] == [
        "celery",
        "notifications",
        "email",
    ]
    assert celery_app.conf.task_default_queue == "celery"


def test_queue_names_come_from_the_environment_and_the_former_name_still_works():
    code = (
        "import json; from care2.celery import app;"
        "r = lambda n: app.amqp.router.route({}, n)['queue'].name;"
        "print(json.dumps([r('comments.tasks.comment_notify_task'),"
        " r('petitions.tasks.send_confirmation_task'),"
        " [q.name for q in app.conf.task_queues]]))"
    )
    renamed = json.loads(
        django_python(
            code, NOTIFICATIONS_TASK_QUEUE="fanout", EMAIL_TASK_QUEUE="mail", COMMENTS_TASK_QUEUE=""
        )
    )
    assert renamed == ["fanout", "mail", ["celery", "fanout", "mail"]]
    former = json.loads(
        django_python(code, NOTIFICATIONS_TASK_QUEUE="", COMMENTS_TASK_QUEUE="comments-only")
    )
    assert former[0] == "comments-only"
