"""Reads of the ledger that pages share: history, the 90-day chart, the leaderboard."""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from care2.users.models import User
from credits.models import Cause, CreditEntry

CHART_DAYS = 90
LEADERBOARD_SIZE = 20


def member_history(*, member):
    """The member's entries, newest first (paginate it)."""
    return CreditEntry.objects.filter(member=member).for_history()


@dataclass(frozen=True)
class ChartBar:
    day: datetime.date
    credits: int
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class Chart:
    """A bar chart of credits earned per day, sized for an SVG ``viewBox``."""

    bars: list[ChartBar]
    total: int
    peak: int
    width: int
    height: int
    bar_width: float
    first_day: datetime.date
    last_day: datetime.date

    @property
    def has_credits(self) -> bool:
        return self.total > 0

    @property
    def axis(self) -> list[datetime.date]:
        """The dates written under the bars (as HTML, so they stay legible at any width)."""
        return axis_days(self.first_day, self.last_day)

    @property
    def busy_bars(self) -> list[ChartBar]:
        """The days with credits: the rows of the chart's table."""
        return [bar for bar in self.bars if bar.credits]


def axis_days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """First, middle and last day of a chart: three labels fit a 360 px screen."""
    middle = first + (last - first) / 2
    return [first, middle, last]


def member_zone(member) -> datetime.tzinfo:
    """The member's own time zone (the active one if theirs is unset or unknown)."""
    try:
        return zoneinfo.ZoneInfo(member.time_zone) if member.time_zone else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


def earned_per_day(*, member, days: int = CHART_DAYS, today: datetime.date | None = None) -> Chart:
    """Credits the member earned (awards and moderator bonuses) on each of the last
    ``days`` calendar days in the member's time zone, ready to draw. One query.

    Days are calendar days, not spans of 24 hours: the first day starts at local
    midnight, so a daylight-saving change inside the range moves nothing."""
    tz = member_zone(member) or timezone.get_current_timezone()
    today = today or timezone.localdate(timezone=tz)
    first_day = today - datetime.timedelta(days=days - 1)
    since = datetime.datetime.combine(first_day, datetime.time.min, tzinfo=tz)
    rows = (
        CreditEntry.objects.filter(member=member, created_at__gte=since, earned__gt=0)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .order_by()
        .values("day")
        .annotate(credits=Sum("earned"))
    )
    per_day = {row["day"]: row["credits"] for row in rows}
    width, height, top = 900, 160, 10
    slot = width / days
    peak = max(per_day.values(), default=0)
    bars = []
    for index in range(days):
        day = first_day + datetime.timedelta(days=index)
        credits = per_day.get(day, 0)
        bar_height = round((height - top) * credits / peak, 1) if peak else 0
        bars.append(
            ChartBar(
                day=day,
                credits=credits,
                x=round(index * slot + slot * 0.1, 1),
                y=round(height - bar_height, 1),
                height=bar_height,
            )
        )
    return Chart(
        bars=bars,
        total=sum(per_day.values()),
        peak=peak,
        width=width,
        height=height,
        bar_width=round(slot * 0.8, 1),
        first_day=first_day,
        last_day=today,
    )


def leaderboard_all_time(*, limit: int = LEADERBOARD_SIZE):
    """Members with the most credits earned in all."""
    return list(
        User.objects.filter(is_active=True, credits_earned__gt=0)
        .order_by("-credits_earned", "pk")
        .only("pk", "first_name", "last_name", "credits_earned", "is_active")[:limit]
    )


def leaderboard_this_week(*, limit: int = LEADERBOARD_SIZE, now: datetime.datetime | None = None):
    """Members who earned the most credits in the last seven days (``week_credits``)."""
    since = (now or timezone.now()) - datetime.timedelta(days=7)
    return list(
        # Filtering on the relation before annotating makes the sum count only the
        # week's entries, and lets PostgreSQL start from the created_at index.
        User.objects.filter(is_active=True, credit_entries__created_at__gte=since)
        .annotate(week_credits=Sum("credit_entries__earned"))
        .filter(week_credits__gt=0)
        .order_by("-week_credits", "pk")
        .only("pk", "first_name", "last_name", "credits_earned", "is_active")[:limit]
    )


def causes_for_members():
    return Cause.objects.active().order_by("order", "cost", "title")
