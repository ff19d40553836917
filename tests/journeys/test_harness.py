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
from tests.journeys.conftest import NARROW, WIDE, layout_problems

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


def test_the_layout_check_finds_each_fault_it_reports(person):
    """The suite's layout check is quiet on the site's pages: here each fault is made on
    purpose (through the CSSOM, which the Content Security Policy leaves alone) and
    found."""
    page = person("checker")
    page.goto("/")
    expect(page.locator("header.site-header")).to_be_visible()
    for width in (WIDE, NARROW):
        page.set_viewport_size({"width": width, "height": 900})
        assert layout_problems(page, width) == [], width

    page.set_viewport_size({"width": NARROW, "height": 900})
    page.evaluate(
        """() => {
          const wide = document.createElement('div');
          wide.id = 'too-wide';
          wide.style.width = '600px';
          wide.style.height = '10px';
          document.querySelector('main').append(wide);
        }"""
    )
    problems = layout_problems(page, NARROW)
    assert any("horizontal overflow at 360px" in p and "div#too-wide" in p for p in problems)

    page.goto("/")
    page.evaluate(
        """() => {
          const main = document.querySelector('main');
          main.style.paddingTop = '0';
          const box = document.createElement('div');
          box.id = 'boxed';
          box.style.background = 'rgb(200, 0, 0)';
          box.style.height = '40px';
          main.prepend(box);
        }"""
    )
    assert any("div#boxed touches the header" in p for p in layout_problems(page, NARROW))

    # A crowded header at 1280 px: its rows do not wrap (nowrap from 80rem), so it
    # runs off the side; made to wrap, it is reported on two rows.
    page.set_viewport_size({"width": WIDE, "height": 900})
    page.goto("/")
    crowd = """(wrap) => {
      const item = document.createElement('li');
      item.style.display = 'inline-block';
      item.style.width = '900px';
      item.textContent = 'A very wide menu item';
      const list = document.querySelector('header .site-nav ul');
      list.append(item);
      if (wrap) {
        list.style.flexWrap = 'wrap';
        list.style.whiteSpace = 'normal';
        document.querySelector('header .menu-panel').style.flexWrap = 'wrap';
        document.querySelector('header .header-row').style.flexWrap = 'wrap';
      }
    }"""
    page.evaluate(crowd, False)
    assert any("horizontal overflow at 1280px" in p for p in layout_problems(page, WIDE))
    page.goto("/")
    page.evaluate(crowd, True)
    problems = layout_problems(page, WIDE)
    assert any("more than one row at 1280px" in p for p in problems), problems
