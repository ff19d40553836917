"""The petition page's signatures-per-day chart: calendar days in the reader's zone, a
sentence instead of an empty box, dates and a table as text."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from petitions import selectors
from tests.petitions.factories import SignatureFactory

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=NEW_YORK)


# Just after and before local midnight, the last days crossing a daylight-saving change
# (spring forward 2025-03-09, fall back 2025-11-02), and a plain day.
INSTANTS = [
    "2025-03-10T04:30:00+00:00",  # 00:30 EDT, the day after spring forward
    "2025-11-03T04:30:00+00:00",  # 23:30 EST on Nov 2, the day of fall back
    "2025-11-04T05:00:00+00:00",  # 00:00 EST exactly
    "2025-07-15T04:01:00+00:00",  # 00:01 EDT
]


@pytest.mark.parametrize("instant", INSTANTS)
def test_chart_counts_calendar_days_in_the_readers_zone(petition, instant):
    with time_machine.travel(instant, tick=False), timezone.override(NEW_YORK):
        today = timezone.localdate()
        first = today - datetime.timedelta(days=29)
        for at in (
            timezone.now(),
            local(today, 0),  # the first instant of today
            local(today - datetime.timedelta(days=2), 23, 59),
            local(first, 0),  # the first instant the chart covers
            local(first, 0) - datetime.timedelta(seconds=1),  # outside
        ):
            SignatureFactory(petition=petition, confirmed_at=at)
        chart = selectors.signatures_per_day(petition=petition)
    assert len(chart.bars) == 30
    assert (chart.first_day, chart.last_day) == (first, today)
    assert {bar.day: bar.count for bar in chart.bars if bar.count} == {
        today: 2,
        today - datetime.timedelta(days=2): 1,
        first: 1,
    }
    assert (chart.total, chart.peak) == (4, 2)


def test_the_same_signatures_fall_on_the_readers_own_days(petition):
    """Two readers in different zones see a late-evening signature on different days."""
    with time_machine.travel("2025-05-02T03:30:00+00:00", tick=False):
        SignatureFactory(petition=petition, confirmed_at=timezone.now())
        with timezone.override(NEW_YORK):
            new_york = selectors.signatures_per_day(petition=petition)
        with timezone.override(zoneinfo.ZoneInfo("Europe/Paris")):
            paris = selectors.signatures_per_day(petition=petition)
    assert [bar.day for bar in new_york.bars if bar.count] == [datetime.date(2025, 5, 1)]
    assert [bar.day for bar in paris.bars if bar.count] == [datetime.date(2025, 5, 2)]


def test_a_petition_without_signatures_says_so_instead_of_an_empty_box(client, petition):
    html = client.get(petition.get_absolute_url()).content.decode()
    assert 'data-testid="chart-empty">No signatures yet.</p>' in html
    assert 'data-testid="chart"' not in html


def test_only_old_signatures_say_none_lately(client, petition):
    SignatureFactory(petition=petition, confirmed_at=timezone.now() - datetime.timedelta(days=40))
    html = client.get(petition.get_absolute_url()).content.decode()
    assert "No signatures in the last 30 days." in html
    assert 'data-testid="chart"' not in html


def test_dates_peak_and_a_table_are_text_beside_the_bars(client, petition):
    with time_machine.travel("2025-06-30T16:00:00+00:00", tick=False):
        SignatureFactory.create_batch(3, petition=petition, confirmed_at=timezone.now())
        SignatureFactory(
            petition=petition, confirmed_at=timezone.now() - datetime.timedelta(days=10)
        )
        html = client.get(petition.get_absolute_url()).content.decode()
    chart = html[html.index('class="day-chart petition-chart"') :]
    chart = chart[: chart.index("</figure>")]
    assert 'data-testid="chart"' in chart and chart.count("<rect") == 2
    assert "<text" not in chart  # no SVG text: it would shrink with the bars
    assert (
        '<p class="day-chart-axis" aria-hidden="true">'
        "<span>Jun 1</span><span>Jun 15</span><span>Jun 30</span></p>"
    ) in chart
    assert '<span class="day-chart-peak" aria-hidden="true">3 max</span>' in chart
    assert "<tr><td>Fri Jun 20</td><td>1</td></tr><tr><td>Mon Jun 30</td><td>3</td></tr>" in chart


def test_the_first_signatures_show_in_the_chart_at_once(client, petition, other_member):
    from petitions import services

    assert "No signatures yet." in client.get(petition.get_absolute_url()).content.decode()
    services.signature_sign_member(petition=petition, member=other_member)
    html = client.get(petition.get_absolute_url()).content.decode()
    assert "No signatures in the last" not in html
    assert "1 in all" in html


def test_a_busy_petitions_bars_are_kept_for_a_minute(petition, monkeypatch):
    monkeypatch.setattr(selectors, "CHART_EXACT_BELOW", 1)
    SignatureFactory(petition=petition, confirmed_at=timezone.now())
    assert selectors.signatures_per_day(petition=petition, count=1).total == 1
    SignatureFactory(petition=petition, confirmed_at=timezone.now())
    assert selectors.signatures_per_day(petition=petition, count=2).total == 1  # kept
    monkeypatch.setattr(selectors, "CHART_EXACT_BELOW", 1000)
    assert selectors.signatures_per_day(petition=petition, count=2).total == 2
