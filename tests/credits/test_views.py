import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from comments import services as comment_services
from credits import selectors, services
from credits.models import CreditEntry, CreditRule
from credits.services import Action, credit_award
from tests.credits.factories import CauseFactory
from tests.factories import StoryFactory, UserFactory, VetFactory

pytestmark = pytest.mark.django_db


def give(member, amount):
    services.credit_adjust(member=member, amount=amount, note="test credits")
    member.refresh_from_db()


class TestCreditsBox:
    def test_story_page_box_reads_the_rules(self, client, story):
        CreditRule.objects.filter(action=Action.VET_NEW).update(amount=5)
        CreditRule.objects.filter(action=Action.COMMENT).update(amount=2)
        html = client.get(story.get_absolute_url()).content.decode()
        box = html[html.index("butterfly credits on the news network") :]
        assert "<strong>5</strong> credits for vetting a newly submitted story" in box
        assert "<strong>1</strong> credit for vetting any other story" in box
        assert "<strong>2</strong> credits for leaving a comment" in box
        assert f'href="{reverse("credits:learn_more")}">learn more' in box


class TestLearnMore:
    def test_explains_earning_caps_and_spending_with_the_causes(self, client):
        CauseFactory(title="Plant a tree", cost=500)
        CauseFactory(title="Hidden cause", is_active=False)
        CreditRule.objects.filter(action=Action.COMMENT).update(daily_cap=12)
        html = client.get(reverse("credits:learn_more")).content.decode()
        assert re.search(r"Vetting a newly submitted story</th>\s*<td>3</td>", html)
        assert "12 times a day" in html
        assert "America/New York" in html
        assert "Plant a tree</a> — 500 credits" in html
        assert "Hidden cause" not in html


class TestMyCredits:
    def test_needs_sign_in(self, client):
        response = client.get(reverse("credits:mine"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_shows_balance_total_chart_and_history(self, client, member):
        story = StoryFactory()
        credit_award(member=member, action=Action.VET_NEW, target=story, key="vet:a")
        credit_award(member=member, action=Action.COMMENT, target=story, key="comment:a")
        services.credit_reverse(key="comment:a", reason="spam")
        services.cause_redeem(
            member=member, cause=CauseFactory(title="Feed a cat", cost=2), token="t"
        )
        client.force_login(member)
        html = client.get(reverse("credits:mine")).content.decode()
        assert 'data-testid="credits-balance">1<' in html
        assert 'data-testid="credits-earned">3<' in html
        assert "<svg" in html and html.count("<rect") == 1  # one day with credits
        assert "4 credits earned in the last 90 days" in html
        for text in (
            "Vetting a newly submitted story",
            "Leaving a comment",
            "Reversed: spam",
            "Redeemed for Feed a cat",
        ):
            assert text in html
        assert "+3" in html and "\u22122" in html
        assert "<script" not in html.split("<main")[1].split("</main>")[0]

    def test_history_is_paginated_in_constant_queries(
        self, client, member, django_assert_max_num_queries
    ):
        CreditRule.objects.filter(action=Action.VET_OTHER).update(daily_cap=None)
        story = StoryFactory()
        for i in range(60):
            credit_award(member=member, action=Action.VET_OTHER, target=story, key=f"k{i}")
        client.force_login(member)
        with django_assert_max_num_queries(6):
            html = client.get(reverse("credits:mine")).content.decode()
        assert html.count('data-kind="award"') == 25
        assert "Page 1 of 3" in html
        assert (
            client.get(reverse("credits:mine") + "?page=3")
            .content.decode()
            .count('data-kind="award"')
            == 10
        )


def local_noon(day: datetime.date, zone: str) -> datetime.datetime:
    """Noon on a calendar day in a zone: an instant that is on that day there."""
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=zoneinfo.ZoneInfo(zone))


# Fixed instants where "N days ago" as N × 24 hours lands on another calendar day in New
# York: just after and just before local midnight, with a daylight-saving change inside
# the 90 days (spring forward on 2025-03-09, fall back on 2025-11-02), and none.
CHART_INSTANTS = [
    "2025-03-20T04:30:00+00:00",  # 00:30 EDT, the span crosses spring forward
    "2025-11-20T04:30:00+00:00",  # 23:30 EST, the span crosses fall back
    "2025-11-20T05:00:00+00:00",  # 00:00 EST exactly
    "2025-07-15T04:01:00+00:00",  # 00:01 EDT, no change inside the span
]


class TestChart:
    @pytest.mark.parametrize("instant", CHART_INSTANTS)
    def test_credits_earned_per_day_over_90_days(self, member, target, instant):
        with time_machine.travel(instant, tick=False):
            today = timezone.localdate(timezone=zoneinfo.ZoneInfo(member.time_zone))
            for days_ago, key in ((0, "a"), (0, "b"), (3, "c"), (89, "d"), (90, "too-old")):
                services._award(
                    member=member,
                    action=Action.VET_NEW,
                    target=target,
                    key=key,
                    at=local_noon(today - datetime.timedelta(days=days_ago), member.time_zone),
                )
            # The first and last instants of the chart's days count; a second earlier not.
            first = today - datetime.timedelta(days=89)
            zone = zoneinfo.ZoneInfo(member.time_zone)
            start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
            for key, at in (
                ("edge-in", start),
                ("edge-out", start - datetime.timedelta(seconds=1)),
            ):
                services._award(member=member, action=Action.VET_NEW, target=target, key=key, at=at)
            services.cause_redeem(member=member, cause=CauseFactory(cost=1), token="spent")
            chart = selectors.earned_per_day(member=member)
        assert len(chart.bars) == 90
        assert chart.last_day == today and chart.first_day == first
        by_day = {bar.day: bar.credits for bar in chart.bars if bar.credits}
        assert by_day == {
            today: 6,
            today - datetime.timedelta(days=3): 3,
            first: 6,
        }
        assert (chart.total, chart.peak) == (15, 6)
        tallest = next(bar for bar in chart.bars if bar.day == today)
        assert tallest.height == chart.height - 10 and tallest.y == 10

    def test_days_are_the_members_calendar_days_whatever_zone_is_active(self, member, target):
        """The chart follows the member's zone, also outside a request (a task, the shell)."""
        member.time_zone = "Asia/Tokyo"
        member.save(update_fields=["time_zone"])
        # 16:30 UTC on May 1 is 01:30 on May 2 in Tokyo, 12:30 on May 1 in New York.
        with time_machine.travel("2025-05-01T16:30:00+00:00", tick=False):
            services._award(
                member=member,
                action=Action.VET_NEW,
                target=target,
                key="tokyo",
                at=timezone.now(),
            )
            with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
                chart = selectors.earned_per_day(member=member)
        assert chart.last_day == datetime.date(2025, 5, 2)
        assert {bar.day: bar.credits for bar in chart.bars if bar.credits} == {
            datetime.date(2025, 5, 2): 3
        }

    def test_empty_chart(self, member):
        chart = selectors.earned_per_day(member=member)
        assert not chart.has_credits and all(bar.height == 0 for bar in chart.bars)

    def test_empty_chart_is_a_sentence_not_an_empty_box(self, client, member):
        client.force_login(member)
        html = client.get(reverse("credits:mine")).content.decode()
        chart = html[html.index('data-testid="credits-chart"') :]
        chart = chart[: chart.index("</figure>")]
        assert "<svg" not in chart
        assert "No credits earned in the last 90 days yet" in chart

    def test_dates_peak_and_table_are_html_text(self, client, member, target):
        with time_machine.travel("2025-06-30T16:00:00+00:00", tick=False):
            credit_award(member=member, action=Action.VET_NEW, target=target, key="k")
            client.force_login(member)
            html = client.get(reverse("credits:mine")).content.decode()
        chart = html[html.index('data-testid="credits-chart"') :]
        chart = chart[: chart.index("</figure>")]
        assert "<text" not in chart  # SVG text would shrink with the bars on a phone
        assert 'preserveAspectRatio="none"' in chart
        assert "<span>Apr 2</span><span>May 16</span><span>Jun 30</span>" in chart
        assert '<span class="day-chart-peak" aria-hidden="true">3 max</span>' in chart
        assert "<tr><td>Mon Jun 30</td><td>3</td></tr>" in chart


class TestLeaderboard:
    def test_this_week_and_all_time(self, client, django_assert_max_num_queries):
        veteran, newcomer, idle = (
            UserFactory(first_name="Vera"),
            UserFactory(first_name="Nico"),
            UserFactory(),
        )
        target = StoryFactory()
        long_ago = timezone.now() - datetime.timedelta(days=30)
        for i in range(10):
            services._award(
                member=veteran, action=Action.VET_NEW, target=target, key=f"v{i}", at=long_ago
            )
        credit_award(member=veteran, action=Action.COMMENT, target=target, key="v-now")
        for i in range(4):
            credit_award(member=newcomer, action=Action.VET_NEW, target=target, key=f"n{i}")
        with django_assert_max_num_queries(5):
            html = client.get(reverse("credits:leaderboard")).content.decode()
        week = html[html.index('data-testid="leaderboard-week"') :]
        week = week[: week.index("</ol>")]
        assert re.findall(r">(\w+) \w</bdi></a>", week) == ["Nico", "Vera"]
        assert "(31)</span></span> — 1 this week" in week
        all_time = html[html.index('data-testid="leaderboard-all-time"') :]
        all_time = all_time[: all_time.index("</ol>")]
        assert re.findall(r">(\w+) \w</bdi></a>", all_time) == ["Vera", "Nico"]
        assert idle.public_name not in html


class TestCauses:
    def test_list_and_detail(self, client):
        cause = CauseFactory(title="Send a book", cost=25, stock=40)
        assert (
            "Send a book</a> — 25 credits" in client.get(reverse("credits:causes")).content.decode()
        )
        html = client.get(cause.get_absolute_url()).content.decode()
        assert "40 of 40 left" in html and "Sign in</a> to spend" in html

    def test_inactive_cause_is_not_found(self, client):
        assert client.get(CauseFactory(is_active=False).get_absolute_url()).status_code == 404

    def test_anonymous_post_goes_to_sign_in(self, client):
        cause = CauseFactory()
        response = client.post(cause.get_absolute_url(), {"confirm": "on"})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_redeem(self, client, member):
        give(member, 30)
        cause = CauseFactory(title="Feed a cat", cost=10)
        client.force_login(member)
        html = client.get(cause.get_absolute_url()).content.decode()
        token = re.search(r'name="token" value="([^"]+)"', html).group(1)
        response = client.post(
            cause.get_absolute_url(), {"token": token, "confirm": "on"}, follow=True
        )
        assert response.redirect_chain[-1][0] == reverse("credits:mine")
        html = response.content.decode()
        assert "You spent 10 credits on “Feed a cat”" in html
        assert 'data-testid="credits-balance">20<' in html and "Redeemed for Feed a cat" in html

    def test_not_enough_credits_is_a_form_error(self, client, member):
        give(member, 3)
        cause = CauseFactory(cost=10)
        client.force_login(member)
        response = client.post(
            cause.get_absolute_url(),
            {"token": "6f1c2a8e-8f0e-4a4e-9d55-0b7c8e3f9a11", "confirm": "on"},
        )
        assert response.status_code == 200
        assert "You have 3 credits" in response.content.decode()
        assert not CreditEntry.objects.filter(kind="redemption").exists()

    def test_confirmation_is_required_and_bad_tokens_get_a_fresh_form(self, client, member):
        give(member, 30)
        cause = CauseFactory(cost=10)
        client.force_login(member)
        html = client.post(
            cause.get_absolute_url(), {"token": "6f1c2a8e-8f0e-4a4e-9d55-0b7c8e3f9a11"}
        ).content.decode()
        assert "Tick the box to confirm" in html
        response = client.post(cause.get_absolute_url(), {"token": "<script>", "confirm": "on"})
        assert response.status_code == 200
        assert "the form had expired" in response.content.decode()
        assert not CreditEntry.objects.filter(kind="redemption").exists()

    def test_fully_redeemed_cause(self, client, member):
        cause = CauseFactory(stock=1)
        give(member, 100)
        services.cause_redeem(member=member, cause=cause, token="last")
        client.force_login(member)
        assert "fully redeemed" in client.get(cause.get_absolute_url()).content.decode()


class TestMemberNumber:
    """The number after each name is the lifetime total, with no query per name."""

    def test_noted_by_shows_each_members_lifetime_credits(
        self, client, story, django_assert_max_num_queries
    ):
        vetters = UserFactory.create_batch(100)
        for i, person in enumerate(vetters):
            VetFactory(story=story, member=person)
            give(person, i + 1)
        url = reverse("stories:noted_by", args=[story.pk, story.slug])
        with django_assert_max_num_queries(8):
            html = client.get(url).content.decode()
        for i, person in enumerate(vetters):
            assert (
                f'{person.public_name}</bdi></a> <span class="member-number" title="butterfly credits earned">({i + 1})'
                in html
            )

    def test_spending_never_lowers_the_number(self, client, story):
        vetter = UserFactory()
        VetFactory(story=story, member=vetter)
        give(vetter, 20)
        services.cause_redeem(member=vetter, cause=CauseFactory(cost=15), token="t")
        html = client.get(reverse("stories:noted_by", args=[story.pk, story.slug])).content.decode()
        assert (
            f'{vetter.public_name}</bdi></a> <span class="member-number" title="butterfly credits earned">(20)'
            in html
        )

    def test_story_page_with_100_commenters(
        self, client, member, published_story, django_assert_max_num_queries
    ):
        commenters = UserFactory.create_batch(100)
        for person in commenters:
            comment_services.comment_create(
                author=person, story=published_story, body="Well worth reading."
            )
        client.force_login(member)
        with django_assert_max_num_queries(16):
            html = client.get(published_story.get_absolute_url()).content.decode()
        for person in commenters:
            assert (
                f'{person.public_name}</bdi></a> <span class="member-number" title="butterfly credits earned">(1)'
                in html
            )
