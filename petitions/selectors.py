"""Reads for petitions that more than one view (or the admin) uses."""

import csv
import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, IntegerField, Max, Min, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from credits.selectors import axis_days
from petitions.countries import country_name
from petitions.models import Petition, Signature


def _recent_signatures(since: datetime.datetime):
    return Coalesce(
        Subquery(
            Signature.objects.filter(
                petition=OuterRef("pk"),
                status=Signature.Status.CONFIRMED,
                confirmed_at__gte=since,
            )
            .order_by()
            .values("petition")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


def petitions_featured():
    """Open petitions with the most signatures in the last 24 hours."""
    since = timezone.now() - datetime.timedelta(hours=24)
    return (
        Petition.objects.open()
        .for_listing()
        .annotate(recent_count=_recent_signatures(since))
        .order_by("-recent_count", "-confirmed_count", "-created_at", "-pk")
    )


def petitions_newest():
    return Petition.objects.open().for_listing().order_by("-created_at", "-pk")


def petitions_victories():
    return Petition.objects.victories().for_listing().order_by("-closed_at", "-pk")


def petitions_in_category(*, category):
    return (
        Petition.objects.visible()
        .filter(category=category)
        .exclude(status=Petition.Status.CLOSED)
        .for_listing()
        .order_by("-created_at", "-pk")
    )


def petitions_for_story(*, story_id: int, limit: int = 5):
    return list(
        Petition.objects.visible()
        .filter(story_id=story_id)
        .with_count()
        .order_by("-created_at", "-pk")[:limit]
    )


def latest_signers(*, petition: Petition, limit: int = 10) -> list[Signature]:
    return list(
        Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED)
        .select_related("member")  # a member signer's number after their name
        .only(
            "first_name",
            "last_name",
            "show_name",
            "country",
            "confirmed_at",
            "petition_id",
            "member__first_name",
            "member__last_name",
            "member__credits_earned",
            "member__is_active",  # a deleted member's name is not linked
        )
        .order_by("-confirmed_at", "-pk")[:limit]
    )


def signer_comments(*, petition: Petition, limit: int = 20) -> list[Signature]:
    return list(
        Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED)
        .exclude(comment="")
        .select_related("member")
        .only(
            "first_name",
            "last_name",
            "show_name",
            "country",
            "comment",
            "confirmed_at",
            "petition_id",
            "member__first_name",
            "member__last_name",
            "member__credits_earned",
            "member__is_active",  # a deleted member's name is not linked
        )
        .order_by("-confirmed_at", "-pk")[:limit]
    )


CHART_CACHE_SECONDS = 60


@dataclass(frozen=True)
class ChartBar:
    day: datetime.date
    count: int
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class Chart:
    bars: list[ChartBar]
    width: int
    height: int
    bar_width: float
    peak: int
    total: int

    @property
    def first_day(self) -> datetime.date:
        return self.bars[0].day

    @property
    def last_day(self) -> datetime.date:
        return self.bars[-1].day

    @property
    def axis(self) -> list[datetime.date]:
        """The dates written under the bars (as HTML, so they stay legible at any width)."""
        return axis_days(self.first_day, self.last_day)

    @property
    def busy_bars(self) -> list[ChartBar]:
        """The days with signatures: the rows of the chart's table."""
        return [bar for bar in self.bars if bar.count]


def signatures_per_day(*, petition: Petition, days: int = 30) -> Chart:
    """Confirmed signatures per day for the last ``days`` days (in the reader's time zone),
    laid out for a server-rendered SVG bar chart."""
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    first_day = today - datetime.timedelta(days=days - 1)
    since = datetime.datetime.combine(first_day, datetime.time.min, tzinfo=tz)
    # Counting a busy petition's month of rows takes tens of milliseconds (70 ms for
    # 200,000 signatures), on every view of its page: the bars are kept for a minute
    # (the count shown beside them is exact, from the counter shards).
    key = f"petitions:per_day:{petition.pk}:{days}:{first_day.isoformat()}:{tz}"
    counts = cache.get(key)
    if counts is None:
        counts = dict(
            Signature.objects.filter(
                petition=petition, status=Signature.Status.CONFIRMED, confirmed_at__gte=since
            )
            .annotate(day=TruncDate("confirmed_at", tzinfo=tz))
            .values_list("day")
            .annotate(n=Count("pk"))
            .order_by()
        )
        cache.set(key, counts, CHART_CACHE_SECONDS)
    width, height, gap = 600, 120, 2
    bar_width = width / days
    peak = max(counts.values(), default=0)
    bars = []
    for i in range(days):
        day = first_day + datetime.timedelta(days=i)
        n = counts.get(day, 0)
        h = (n / peak) * (height - 4) if peak else 0
        if n and h < 2:
            h = 2
        bars.append(
            ChartBar(
                day=day,
                count=n,
                x=round(i * bar_width + gap / 2, 2),
                y=round(height - h, 2),
                height=round(h, 2),
            )
        )
    return Chart(
        bars=bars,
        width=width,
        height=height,
        bar_width=round(bar_width - gap, 2),
        peak=peak,
        total=sum(counts.values()),
    )


def busiest_ips(*, petition: Petition, since: datetime.datetime | None = None, limit: int = 10):
    """The addresses that signed a petition most (abuse shows up here first)."""
    qs = Signature.objects.filter(petition=petition, ip__isnull=False).exclude(
        status=Signature.Status.INVALIDATED
    )
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    return list(
        qs.values("ip")
        .annotate(n=Count("pk"), first=Min("created_at"), last=Max("created_at"))
        .order_by("-n", "ip")[:limit]
    )


class _Echo:
    def write(self, value):
        return value


def _csv_cell(value: str) -> str:
    """Keep spreadsheet programs from running a signer's comment as a formula."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


CSV_HEADER = ["Name", "Country", "Signed", "Comment", "E-mail"]


def signatures_csv(*, petition: Petition) -> Iterator[str]:
    """The creator's download, a line at a time (a million rows never sit in memory).

    Names as shown ("A supporter" when hidden), country, date and comment; the e-mail
    address only of signers who let the creator contact them.
    """
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    rows = (
        Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED)
        .values_list(
            "first_name",
            "last_name",
            "show_name",
            "country",
            "confirmed_at",
            "comment",
            "allow_contact",
            "email",
        )
        .order_by("confirmed_at", "pk")
    )
    for first, last, show, country, confirmed_at, comment, allow, email in rows.iterator(
        chunk_size=2000
    ):
        if show:
            first, last = first.strip(), last.strip()
            name = (f"{first} {last[:1].upper()}".strip() if last else first) or "A supporter"
        else:
            name = "A supporter"
        yield writer.writerow(
            [
                _csv_cell(name),
                country_name(country),
                timezone.localtime(confirmed_at).strftime("%Y-%m-%d %H:%M"),
                _csv_cell(comment),
                email if allow and email else "",
            ]
        )
