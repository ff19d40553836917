"""The time zone menu: common canonical zones grouped by region, UTC first."""

import re
import zoneinfo

import pytest
from django.urls import reverse

from care2.users.timezones import REGIONS, grouped_choices, offered_zones

pytestmark = pytest.mark.django_db


def option_groups(html: str) -> dict[str, list[str]]:
    select = re.search(r'<select name="time_zone".*?</select>', html, re.S).group(0)
    groups = {}
    for label, body in re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S):
        groups[label] = re.findall(r'value="([^"]+)"', body)
    return groups


def test_the_menu_offers_common_canonical_zones_by_region():
    zones = offered_zones()
    assert "UTC" in zones
    assert {"W-SU", "Zulu", "localtime", "US/Eastern", "GMT", "Asia/Calcutta"}.isdisjoint(zones)
    assert 60 < len(zones) < 200
    available = zoneinfo.available_timezones()
    assert all(zone in available for zone in zones)
    # Canonical names only: each one the zone it names, not a link to another.
    assert all(zone == "UTC" or zone.split("/")[0] in REGIONS for zone in zones)
    labels = [label for label, value in grouped_choices() if isinstance(value, list)]
    assert labels[:4] == ["Africa", "America", "Asia", "Atlantic"]
    assert {"Australia", "Europe", "Pacific"} <= set(labels)


def test_settings_menu_is_grouped_and_keeps_an_unlisted_stored_zone(client, member):
    member.time_zone = "America/Indiana/Knox"  # valid, not one of the common zones
    member.save()
    client.force_login(member)
    html = client.get(reverse("settings:index")).content.decode()
    groups = option_groups(html)
    assert "Europe/Paris" in groups["Europe"]
    assert groups["Other"] == ["America/Indiana/Knox"]
    assert '<option value="America/Indiana/Knox" selected>' in html
    assert "W-SU" not in html and "localtime" not in html
    # Saving without touching the menu keeps the zone.
    response = client.post(
        reverse("settings:index"),
        {
            "first_name": "Beth",
            "last_name": "smith",
            "bio": "",
            "time_zone": "America/Indiana/Knox",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.time_zone == "America/Indiana/Knox"


def test_settings_refuse_a_zone_that_does_not_exist(client, member):
    client.force_login(member)
    response = client.post(
        reverse("settings:index"),
        {"first_name": "Beth", "last_name": "", "bio": "", "time_zone": "Mars/Olympus"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_signup_form_has_the_grouped_menu_and_the_script(client):
    html = client.get(reverse("account_signup")).content.decode()
    assert "Europe" in option_groups(html)
    assert "data-browser-time-zone" in html
    script = re.search(r'<script src="[^"]*timezone[^"]*\.js"[^>]*>', html).group(0)
    assert 'nonce="' in script
