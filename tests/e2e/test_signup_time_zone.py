"""Sign-up preselects the browser's time zone in the grouped menu (static/js/timezone.js)."""

import pytest

from care2.users.models import User
from tests.e2e.conftest import in_thread
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("browser_zone", "expected"),
    [("Asia/Tokyo", "Asia/Tokyo"), ("Asia/Calcutta", "Asia/Kolkata")],
)
def test_signup_preselects_the_browsers_zone(open_browser, artifacts_dir, browser_zone, expected):
    page = open_browser(timezone_id=browser_zone)
    page.goto("/accounts/signup/")
    menu = page.locator("select[name=time_zone]")
    assert menu.input_value() == expected
    assert menu.locator("optgroup[label=Europe] option[value='Europe/Paris']").count() == 1
    page.screenshot(
        path=str(artifacts_dir / f"signup-time-zone-{expected.replace('/', '-')}.png"),
        full_page=True,
    )
    page.fill("input[name=first_name]", "Kenji")
    page.fill("input[name=email]", "kenji@example.com")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("form.stacked-form button[type=submit]").first.click()
    page.wait_for_url("**/confirm-email/**")
    assert in_thread(lambda: User.objects.get(email="kenji@example.com").time_zone) == expected
