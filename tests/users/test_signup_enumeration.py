"""Signing up with a registered address does the same work as with a new one: the
password is hashed once either way, and no mail goes out in the request."""

from unittest import mock

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.urls import reverse

from care2.users.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def post_signup(client, email):
    return client.post(
        reverse("account_signup"),
        {
            "first_name": "Rosa",
            "last_name": "Marsh",
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "time_zone": "UTC",
        },
    )


@pytest.mark.parametrize("registered", [False, True], ids=["new", "registered"])
def test_both_paths_hash_once_and_mail_from_the_task_queue(
    client, registered, django_capture_on_commit_callbacks
):
    if registered:
        UserFactory(email="rosa@example.com")
    users_before = User.objects.count()
    # The tests hash with MD5 (tests/conftest.py): count what the hasher is asked to do.
    real_encode = MD5PasswordHasher.encode
    with (
        mock.patch.object(
            MD5PasswordHasher, "encode", autospec=True, side_effect=real_encode
        ) as hashed,
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        response = post_signup(client, "rosa@example.com")
    assert response.status_code == 302
    assert hashed.call_count == 1
    assert mail.outbox == []  # nothing sent in the request
    assert User.objects.count() == users_before + (0 if registered else 1)
    # The mail goes out from the task, once the request's transaction committed.
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rosa@example.com"]
    body = mail.outbox[0].body
    if registered:
        assert "/accounts/password/reset/" in body
    else:
        assert "/accounts/confirm-email/" in body


def test_both_paths_answer_alike(client):
    UserFactory(email="known@example.com")
    known = post_signup(client, "known@example.com")
    client.cookies.clear()
    new = post_signup(client, "new@example.com")
    assert known.status_code == new.status_code == 302
    assert known["Location"] == new["Location"]
