"""How far ahead a petition's deadline may be: a few years, so a date like 9999-12-31
(which overflows when turned into an instant) is refused with a message."""

import datetime

from django.utils import timezone

DEADLINE_MAX_YEARS = 5


def deadline_latest_day(today: datetime.date) -> datetime.date:
    """The last day a deadline set ``today`` may fall on (Feb 29 becomes Feb 28)."""
    try:
        return today.replace(year=today.year + DEADLINE_MAX_YEARS)
    except ValueError:
        return today.replace(year=today.year + DEADLINE_MAX_YEARS, day=28)


def deadline_too_far(deadline: datetime.datetime) -> bool:
    """True when an instant falls after the end of the latest allowed day."""
    zone = timezone.get_current_timezone()
    latest = deadline_latest_day(timezone.localdate()) + datetime.timedelta(days=1)
    return deadline >= datetime.datetime.combine(latest, datetime.time.min, tzinfo=zone)
