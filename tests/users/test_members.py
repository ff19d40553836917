import datetime
import re
import zoneinfo

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from care2.templatetags.care2_tags import age, longdate
from care2.users.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "first,last,expected",
    [
        ("Beth", "smith", "Beth S"),
        ("ALLEN", "Green", "ALLEN G"),
        (".", "", "."),
        ("  Ana ", " de la Cruz", "Ana D"),
    ],
)
def test_public_name_is_first_name_and_last_initial(first, last, expected):
    assert User(first_name=first, last_name=last).public_name == expected


def test_new_members_default_to_new_york_time():
    assert UserFactory().time_zone == "America/New_York"


def test_email_is_the_login_and_unique():
    UserFactory(email="same@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(email="same@example.com")
    assert User.USERNAME_FIELD == "email"


def test_create_superuser():
    admin = User.objects.create_superuser(email="root@example.com", password="x", first_name="Root")
    assert admin.is_staff and admin.is_superuser


class TestDates:
    def test_relative_age(self):
        now = timezone.now()
        assert age(now, now) == "just now"
        assert age(now - datetime.timedelta(minutes=1), now) == "1 minute ago"
        assert age(now - datetime.timedelta(hours=3, minutes=5), now) == "3 hours ago"
        assert age(now - datetime.timedelta(days=1581, hours=2), now) == "1581 days ago"

    def test_long_date_in_the_active_time_zone(self):
        moment = datetime.datetime(2015, 1, 22, 13, 30, tzinfo=datetime.UTC)
        with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
            assert longdate(moment) == "Thursday January 22, 2015, 8:30 am"
        with timezone.override(zoneinfo.ZoneInfo("Europe/Paris")):
            assert longdate(moment) == "Thursday January 22, 2015, 2:30 pm"

    def test_pages_follow_the_members_time_zone(self, client, published_story):
        from stories.models import Story

        moment = datetime.datetime(2015, 1, 22, 13, 30, tzinfo=datetime.UTC)
        Story.objects.filter(pk=published_story.pk).update(published_at=moment)
        assert "8:30 am" in client.get(published_story.get_absolute_url()).content.decode()
        client.force_login(UserFactory(time_zone="Asia/Tokyo"))
        assert (
            "Thursday January 22, 2015, 10:30 pm"
            in client.get(published_story.get_absolute_url()).content.decode()
        )


class TestAccounts:
    def test_sign_up_requires_verification_before_log_in(
        self, client, django_capture_on_commit_callbacks
    ):
        # The verification mail goes out from the task queue once the sign-up commits.
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("account_signup"),
                {
                    "first_name": "Beth",
                    "last_name": "Summers",
                    "email": "beth@example.com",
                    "password1": PASSWORD,
                    "password2": PASSWORD,
                },
            )
        assert response.status_code == 302
        user = User.objects.get(email="beth@example.com")
        assert user.public_name == "Beth S"
        assert not EmailAddress.objects.get(user=user).verified
        # Mandatory verification: not logged in yet.
        assert "_auth_user_id" not in client.session
        assert len(mail.outbox) == 1
        link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
        path = (
            link.split("testserver", 1)[-1] if "testserver" in link else "/" + link.split("/", 3)[3]
        )
        client.post(path)
        assert EmailAddress.objects.get(user=user).verified
        assert client.login(email="beth@example.com", password=PASSWORD)

    def test_sign_up_form_has_labels_and_names(self, client):
        html = client.get(reverse("account_signup")).content.decode()
        for field in ("first_name", "last_name", "email", "password1"):
            assert f'<label for="id_{field}"' in html
        assert "site-header" in html  # our own look

    def test_login_page_is_ours_with_labels(self, client):
        html = client.get(reverse("account_login")).content.decode()
        assert '<label for="id_login"' in html and '<label for="id_password"' in html
        assert "site-header" in html

    def test_log_in_and_out(self, client):
        user = UserFactory(email="in@example.com")
        response = client.post(
            reverse("account_login"), {"login": "in@example.com", "password": PASSWORD}
        )
        assert response.status_code == 302
        assert int(client.session["_auth_user_id"]) == user.pk
        client.post(reverse("account_logout"))
        assert "_auth_user_id" not in client.session

    def test_password_reset_sends_mail(self, client):
        UserFactory(email="forgot@example.com")
        client.post(reverse("account_reset_password"), {"email": "forgot@example.com"})
        assert len(mail.outbox) == 1
        assert "password" in mail.outbox[0].subject.lower()

    def test_header_shows_member_menu(self, client, member):
        client.force_login(member)
        html = client.get("/").content.decode()
        assert "Beth S" in html and "Inbox" in html and "Sign out" in html


def test_moderators_group_exists_with_permissions(db):
    from django.contrib.auth.models import Group

    perms = set(Group.objects.get(name="Moderators").permissions.values_list("codename", flat=True))
    assert {"change_story", "view_story", "view_report", "change_category"} <= perms


def test_profile_page(client, member, published_story):
    published_story.submitter = member
    published_story.save(update_fields=["submitter"])
    html = client.get(member.get_absolute_url()).content.decode()
    assert "Beth S" in html and published_story.title in html
