"""Reads of the ledger that pages share: history, the 90-day chart, the leaderboard."""

import datetime
import zoneinfo

from django.db.models import Sum
from django.utils import timezone

from care2.charts import DayBar, DayChart, chart_days, day_chart, totals_per_day
from care2.users.models import User
from credits.models import Cause, CreditEntry

CHART_DAYS = 90
LEADERBOARD_SIZE = 20


def member_history(*, member):
    """The member's entries, newest first (paginate it)."""
    return CreditEntry.objects.filter(member=member).for_history()


class ChartBar(DayBar):
    """A day's bar: its count is the credits earned that day."""

    @property
    def credits(self) -> int:
        return self.count


class Chart(DayChart):
    """Credits earned per day (``care2.charts`` lays it out)."""

    @property
    def has_credits(self) -> bool:
        return self.total > 0


def member_zone(member) -> datetime.tzinfo:
    """The member's own time zone (the active one if theirs is unset or unknown)."""
    try:
        return zoneinfo.ZoneInfo(member.time_zone) if member.time_zone else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


def earned_per_day(*, member, days: int = CHART_DAYS, today: datetime.date | None = None) -> Chart:
    """Credits the member earned (awards and moderator bonuses) on each of the last
    ``days`` calendar days in the member's time zone, ready to draw. One query."""
    tz = member_zone(member) or timezone.get_current_timezone()
    today = today or timezone.localdate(timezone=tz)
    first_day, since = chart_days(days=days, tz=tz, today=today)
    per_day = totals_per_day(
        CreditEntry.objects.filter(member=member, created_at__gte=since, earned__gt=0),
        field="created_at",
        value=Sum("earned"),
        tz=tz,
    )
    return day_chart(
        per_day, name="credits", first_day=first_day, days=days, bar_type=ChartBar, chart_type=Chart
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
