"""Day-bar charts: a value per calendar day, laid out for a server-rendered SVG.

One implementation for every chart on the site (credits earned per day, signatures per
day); each caller supplies its query and its words (``templates/includes/_day_chart.html``
draws it). The SVG stretches to any width (``preserveAspectRatio="none"``, its height set
in CSS), so only the proportions of the ``viewBox`` matter; the dates, the peak and a
table of the busy days are HTML beside it, legible on a 360 px phone.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Aggregate, QuerySet
from django.db.models.functions import TruncDate

WIDTH = 900
HEIGHT = 160
TOP = 10  # room above the tallest bar, where the peak is written
BAR_SHARE = 0.8  # of each day's slot; the rest is the gap between bars
MIN_HEIGHT = 2  # a day with any value stays visible beside a much taller peak


@dataclass(frozen=True)
class DayBar:
    day: datetime.date
    count: int
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class DayChart:
    name: str  # what is counted, e.g. "credits": names the chart's element ids
    bars: list[DayBar]
    total: int
    peak: int
    width: int
    height: int
    bar_width: float

    @property
    def first_day(self) -> datetime.date:
        return self.bars[0].day

    @property
    def last_day(self) -> datetime.date:
        return self.bars[-1].day

    @property
    def axis(self) -> list[datetime.date]:
        """First, middle and last day, written under the bars: three labels fit 360 px."""
        first, last = self.first_day, self.last_day
        return [first, first + (last - first) / 2, last]

    @property
    def busy_bars(self) -> list[DayBar]:
        """The days with a value: the rows of the chart's table."""
        return [bar for bar in self.bars if bar.count]


def chart_days(
    *, days: int, tz: datetime.tzinfo, today: datetime.date
) -> tuple[datetime.date, datetime.datetime]:
    """The first of the ``days`` calendar days ending ``today`` in ``tz``, and the instant it
    starts. Days are calendar days, not spans of 24 hours: the first starts at local
    midnight, so a daylight-saving change inside the range moves nothing."""
    first_day = today - datetime.timedelta(days=days - 1)
    return first_day, datetime.datetime.combine(first_day, datetime.time.min, tzinfo=tz)


def totals_per_day(
    queryset: QuerySet, *, field: str, value: Aggregate, tz: datetime.tzinfo
) -> dict[datetime.date, int]:
    """``value`` aggregated per calendar day of ``field`` in ``tz``: one query."""
    rows = (
        queryset.annotate(chart_day=TruncDate(field, tzinfo=tz))
        .order_by()
        .values("chart_day")
        .annotate(chart_value=value)
    )
    return {row["chart_day"]: row["chart_value"] for row in rows}


def day_chart(
    per_day: dict[datetime.date, int],
    *,
    name: str,
    first_day: datetime.date,
    days: int,
    bar_type: type[DayBar] = DayBar,
    chart_type: type[DayChart] = DayChart,
) -> DayChart:
    """One bar for each of ``days`` days from ``first_day`` (a day missing from
    ``per_day`` has none), scaled so the busiest day is the tallest."""
    slot = WIDTH / days
    peak = max(per_day.values(), default=0)
    bars = []
    for index in range(days):
        day = first_day + datetime.timedelta(days=index)
        count = per_day.get(day, 0)
        height = (HEIGHT - TOP) * count / peak if peak else 0
        if count and height < MIN_HEIGHT:
            height = MIN_HEIGHT
        height = round(height, 2)
        bars.append(
            bar_type(
                day=day,
                count=count,
                x=round(index * slot + slot * (1 - BAR_SHARE) / 2, 2),
                y=round(HEIGHT - height, 2),
                height=height,
            )
        )
    return chart_type(
        name=name,
        bars=bars,
        total=sum(per_day.values()),
        peak=peak,
        width=WIDTH,
        height=HEIGHT,
        bar_width=round(slot * BAR_SHARE, 2),
    )
