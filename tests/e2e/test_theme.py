"""The dark theme: it follows the system setting by itself; the header toggle switches
it, and the choice is remembered in this browser (localStorage) across reloads."""

import pytest

from tests.factories import StoryFactory

pytestmark = pytest.mark.django_db(transaction=True)

LIGHT_BG = "rgb(255, 255, 255)"
DARK_BG = "rgb(21, 24, 28)"


def background(page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def toggle(page):
    return page.locator("#theme-toggle")


def test_system_dark_setting_applies_without_the_toggle(open_browser, artifacts_dir):
    StoryFactory(published=True, title="Night owls return to the city park")
    page = open_browser(color_scheme="dark")
    page.goto("/")
    assert background(page) == DARK_BG
    assert page.evaluate("document.documentElement.dataset.theme") is None
    assert toggle(page).inner_text() == "Light theme"
    page.screenshot(path=str(artifacts_dir / "theme-system-dark.png"), full_page=True)

    light = open_browser(color_scheme="light")
    light.goto("/")
    assert background(light) == LIGHT_BG
    assert toggle(light).inner_text() == "Dark theme"


def test_toggle_switches_and_is_remembered_after_reload(open_browser, artifacts_dir):
    StoryFactory(published=True, title="Night owls return to the city park")
    page = open_browser(color_scheme="light")
    page.goto("/")
    assert background(page) == LIGHT_BG

    toggle(page).click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert background(page) == DARK_BG
    assert toggle(page).inner_text() == "Light theme"
    assert page.evaluate("localStorage.getItem('theme')") == "dark"

    page.reload()
    assert background(page) == DARK_BG
    assert toggle(page).inner_text() == "Light theme"
    page.goto("/petitions/")  # and on every page of the site
    assert background(page) == DARK_BG
    page.screenshot(path=str(artifacts_dir / "theme-toggled-dark.png"), full_page=True)

    toggle(page).click()
    page.reload()
    assert background(page) == LIGHT_BG
    assert page.evaluate("localStorage.getItem('theme')") == "light"


def test_chosen_light_theme_wins_over_a_dark_system(open_browser):
    StoryFactory(published=True, title="Night owls return to the city park")
    page = open_browser(color_scheme="dark")
    page.goto("/")
    toggle(page).click()
    assert background(page) == LIGHT_BG
    page.reload()
    assert background(page) == LIGHT_BG
    assert toggle(page).inner_text() == "Dark theme"


def test_without_javascript_the_system_setting_still_applies(open_browser):
    """The toggle needs script, so it is not shown without it; the theme is CSS alone."""
    StoryFactory(published=True, title="Night owls return to the city park")
    page = open_browser(color_scheme="dark", java_script_enabled=False)
    page.goto("/")
    assert background(page) == DARK_BG
    assert not toggle(page).is_visible()
