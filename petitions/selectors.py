"""Reads for petitions that more than one view (or the admin) uses."""

import csv
import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, IntegerField, Max, Min, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property

from care2.charts import DayChart, chart_days, day_chart, totals_per_day
from care2.pagecache import GENERATION_KEY, generation
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
CHART_EXACT_BELOW = 1000


def signatures_per_day(*, petition: Petition, days: int = 30, count: int | None = None) -> DayChart:
    """Confirmed signatures per day for the last ``days`` calendar days in the reader's
    time zone, laid out for a server-rendered SVG bar chart (``care2.charts``).
    ``count``: the petition's confirmed count, when the caller has it."""
    tz = timezone.get_current_timezone()
    first_day, since = chart_days(days=days, tz=tz, today=timezone.localdate())
    # Counting a busy petition's month of rows takes tens of milliseconds (70 ms for
    # 200,000 signatures), on every view of its page: its bars are kept for a minute (the
    # count shown beside them is exact, from the counter shards). A petition with fewer
    # than CHART_EXACT_BELOW signatures is counted in a millisecond, and there a bar a
    # minute behind shows (the first signature, with "No signatures in the last 30
    # days" beside its count): its bars are kept under its count, so each new one shows.
    key = f"petitions:per_day:{petition.pk}:{days}:{first_day.isoformat()}:{tz}"
    if count is not None and count < CHART_EXACT_BELOW:
        key += f":{count}"
    counts = cache.get(key)
    if counts is None:
        counts = totals_per_day(
            Signature.objects.filter(
                petition=petition, status=Signature.Status.CONFIRMED, confirmed_at__gte=since
            ),
            field="confirmed_at",
            value=Count("pk"),
            tz=tz,
        )
        cache.set(key, counts, CHART_CACHE_SECONDS)
    return day_chart(counts, name="signatures", first_day=first_day, days=days)


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


# --- The petition page's cached parts ---------------------------------------------------

PAGE_GENERATION_KEY = "petitions:page_generation:{}"


def page_generations(*, petition_id: int) -> tuple[int, int]:
    """The site's page generation and this petition's own, in one cache round trip.

    The petition's own generation moves with every change to its count, signers,
    signers' comments and updates (``services.petition_page_changed``), so a signature
    makes only this petition's cached page stale, not every page on the site."""
    key = PAGE_GENERATION_KEY.format(petition_id)
    found = cache.get_many([GENERATION_KEY, key])
    site = found.get(GENERATION_KEY) or generation()
    own = found.get(key)
    if own is None:
        cache.add(key, 1, timeout=None)
        own = cache.get(key) or 1
    return site, own


class PageData:
    """What the petition page shows of a petition that is the same for every viewer,
    read only when a part of the page that shows it is rendered (a cached part skips
    the queries)."""

    def __init__(self, petition: Petition):
        self.petition = petition

    @cached_property
    def count(self) -> int:
        from petitions.services import petition_count

        return petition_count(petition_id=self.petition.pk)

    @cached_property
    def percent(self) -> int:
        goal = self.petition.goal
        return min(100, round(100 * self.count / goal)) if goal else 0

    @cached_property
    def latest_signers(self) -> list[Signature]:
        return latest_signers(petition=self.petition)

    @cached_property
    def signer_comments(self) -> list[Signature]:
        return signer_comments(petition=self.petition)

    @cached_property
    def updates(self) -> list:
        return list(self.petition.updates.all()[:20])

    @cached_property
    def chart(self) -> DayChart:
        return signatures_per_day(petition=self.petition, count=self.count)


# --- A member's petition page --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberView:
    """What a member's petition page needs before its shared rendering: whether they may
    see it and at which address (``petition`` holds only the columns for that), and their
    own signature (None when they have not signed)."""

    petition: Petition
    signature: Signature | None


def member_view(*, petition_id: int, member_id: int) -> MemberView | None:
    """The petition's slug, creator, status and hiding, and the member's signature, in one
    query (a LEFT JOIN on the unique petition-and-member pair), or None when there is no
    such petition. A member's shared page costs this and their user row only."""
    quote = connection.ops.quote_name
    petition_table = quote(Petition._meta.db_table)
    signature_table = quote(Signature._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.slug, p.creator_id, p.status, p.hidden_at, "  # noqa: S608
            f"s.id, s.status, s.created_at, s.confirmed_at "
            f"FROM {petition_table} p LEFT JOIN {signature_table} s "
            f"ON s.petition_id = p.id AND s.member_id = %s WHERE p.id = %s",
            [member_id, petition_id],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    slug, creator_id, status, hidden_at, signature_id, signature_status, created, confirmed = row
    petition = Petition(
        id=petition_id, slug=slug, creator_id=creator_id, status=status, hidden_at=hidden_at
    )
    signature = None
    if signature_id is not None:
        signature = Signature(
            id=signature_id,
            petition_id=petition_id,
            member_id=member_id,
            status=signature_status,
            created_at=created,
            confirmed_at=confirmed,
        )
    return MemberView(petition=petition, signature=signature)
