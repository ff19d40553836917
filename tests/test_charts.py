"""The one day-bar chart (care2.charts) that the credits page and the petition page draw."""

import datetime
import re
import zoneinfo

import pytest
from django.template.loader import get_template
from django.urls import reverse

from care2 import charts
from credits import selectors as credit_selectors
from credits.services import Action, credit_award
from petitions import selectors as petition_selectors
from tests.factories import StoryFactory
from tests.petitions.factories import PetitionFactory, SignatureFactory

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def test_the_busiest_day_is_the_tallest_and_a_small_day_stays_visible():
    first = datetime.date(2025, 6, 1)
    chart = charts.day_chart(
        {first: 1, first + datetime.timedelta(days=29): 500},
        name="things",
        first_day=first,
        days=30,
    )
    assert len(chart.bars) == 30 and (chart.total, chart.peak) == (501, 500)
    small, *_, tall = chart.bars
    assert tall.height == chart.height - charts.TOP and tall.y == charts.TOP
    assert small.height == charts.MIN_HEIGHT  # 1/500 of the plot would vanish
    assert all(bar.height == 0 for bar in chart.bars[1:-1])
    assert chart.busy_bars == [small, tall]
    assert chart.axis == [first, datetime.date(2025, 6, 15), datetime.date(2025, 6, 30)]
    # Every bar lies inside the viewBox, the last one too.
    assert all(bar.x >= 0 and bar.x + chart.bar_width <= chart.width for bar in chart.bars)


def test_an_empty_chart_has_flat_bars():
    chart = charts.day_chart({}, name="things", first_day=datetime.date(2025, 1, 1), days=7)
    assert (chart.total, chart.peak) == (0, 0) and chart.busy_bars == []
    assert all(bar.height == 0 and bar.y == chart.height for bar in chart.bars)


def test_chart_days_start_at_local_midnight_across_a_daylight_saving_change():
    # 30 days ending on 2025-03-20 begin on Feb 19, before spring forward (Mar 9).
    first, since = charts.chart_days(days=30, tz=NEW_YORK, today=datetime.date(2025, 3, 20))
    assert first == datetime.date(2025, 2, 19)
    assert since == datetime.datetime(2025, 2, 19, tzinfo=NEW_YORK)
    assert since.utcoffset() == datetime.timedelta(hours=-5)


@pytest.mark.django_db
def test_both_pages_draw_the_one_chart(client, member):
    """One implementation, two callers: the same layout and the same template."""
    credit_award(member=member, action=Action.VET_NEW, target=StoryFactory(), key="k")
    petition = PetitionFactory()
    SignatureFactory(petition=petition)
    credits_chart = credit_selectors.earned_per_day(member=member)
    signatures_chart = petition_selectors.signatures_per_day(petition=petition)
    for chart in (credits_chart, signatures_chart):
        assert isinstance(chart, charts.DayChart)
        assert (chart.width, chart.height) == (charts.WIDTH, charts.HEIGHT)
    for name in ("credits/_chart.html", "petitions/_chart.html"):
        source = get_template(name).template.source
        assert source.startswith('{% extends "includes/_day_chart.html" %}')

    client.force_login(member)
    pages = {
        "credits": client.get(reverse("credits:mine")).content.decode(),
        "signatures": client.get(petition.get_absolute_url()).content.decode(),
    }
    for name, html in pages.items():
        figure = html[html.index('<figure class="day-chart') :]
        figure = figure[: figure.index("</figure>")]
        assert f'aria-labelledby="{name}-chart-title"' in figure
        assert f'<title id="{name}-chart-title">' in figure
        assert len(re.findall(r"<rect ", figure)) == 1
        assert "<tr><td>" in figure and '<p class="day-chart-axis"' in figure
