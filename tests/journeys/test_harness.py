"""The journey suite's own machinery: the ORM stays refused in the test's thread while a
browser is open (no DJANGO_ALLOW_ASYNC_UNSAFE), the browser is gone by the time the
test's body has ended, and every journey finds the Moderators group the migrations made,
even right after another transactional test's flush emptied the tables."""

import os

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import SynchronousOnlyOperation
from playwright.sync_api import expect

from care2.users.models import User
from care2.users.moderators import MODERATORS_GROUP
from tests.e2e.conftest import in_thread
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_orm_is_refused_here_while_a_browser_is_open_and_works_in_a_thread(person, browser):
    UserFactory(email="orla@example.com", first_name="Orla", last_name="Quinn")
    page = person("orla")
    page.goto("/")
    expect(page.locator("header.site-header")).to_be_visible()
    assert browser.running
    assert not os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    with pytest.raises(SynchronousOnlyOperation):
        User.objects.count()
    assert in_thread(User.objects.filter(email="orla@example.com").count) == 1

    browser.stop()
    assert not browser.running
    assert User.objects.filter(email="orla@example.com").count() == 1


@pytest.mark.parametrize("run", ["first", "after-a-flush"])
def test_the_moderators_group_is_as_the_migrations_made_it(run):
    # The second run comes after the first one's flush, which empties auth_group.
    group = Group.objects.get(name=MODERATORS_GROUP)
    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert {
        ("users", "change_user"),
        ("users", "view_user"),
        ("stories", "change_story"),
        ("comments", "view_commentreport"),
        ("credits", "change_creditrule"),
        ("users", "view_auditentry"),
    } <= codenames
