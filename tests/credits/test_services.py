import datetime
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from comments import services as comment_services
from comments.models import Comment
from credits import services
from credits.models import Cause, CreditEntry, CreditRule
from credits.services import Action, CreditError, credit_award, credit_reverse
from stories import services as story_services
from tests.credits.factories import CauseFactory
from tests.factories import StoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def totals(member):
    member.refresh_from_db(fields=["credits_balance", "credits_earned"])
    return member.credits_balance, member.credits_earned


def ledger(member):
    entries = CreditEntry.objects.filter(member=member)
    return sum(e.amount for e in entries), sum(e.earned for e in entries)


def pay(member, n, *, action=Action.COMMENT, target=None, prefix="t"):
    target = target or StoryFactory()
    return [
        credit_award(member=member, action=action, target=target, key=f"{prefix}:{member.pk}:{i}")
        for i in range(n)
    ]


class TestRules:
    def test_migration_seeds_the_issue_defaults(self):
        rules = {r.action: (r.amount, r.daily_cap) for r in CreditRule.objects.all()}
        assert rules == {
            "vet_new": (3, 50),
            "vet_other": (1, 50),
            "comment": (1, 20),
            "petition_sign": (1, None),
        }

    def test_amounts_come_from_the_rules(self):
        CreditRule.objects.filter(action=Action.COMMENT).update(amount=4)
        assert services.credit_amounts() == {
            "vet_new": 3,
            "vet_other": 1,
            "comment": 4,
            "petition_sign": 1,
        }

    def test_amounts_and_awards_work_when_rule_rows_are_missing(self, earner, target):
        CreditRule.objects.all().delete()
        assert services.credit_amounts()["vet_new"] == 3
        assert CreditRule.objects.count() == 0  # a read never writes
        entry = credit_award(member=earner, action=Action.VET_NEW, target=target, key="k1")
        assert entry.amount == 3
        rule = CreditRule.objects.get(action=Action.VET_NEW)
        assert (rule.amount, rule.daily_cap) == (3, 50)

    def test_unknown_action_is_a_programming_error(self, earner, target):
        with pytest.raises(ValueError):
            credit_award(member=earner, action="dancing", target=target, key="k")

    def test_changing_a_rule_never_changes_past_entries(self, earner, target):
        first = credit_award(member=earner, action=Action.VET_NEW, target=target, key="a")
        CreditRule.objects.filter(action=Action.VET_NEW).update(amount=7)
        second = credit_award(member=earner, action=Action.VET_NEW, target=target, key="b")
        first.refresh_from_db()
        assert (first.amount, second.amount) == (3, 7)
        assert totals(earner) == (10, 10)

    def test_a_rule_paying_nothing_writes_no_entry(self, earner, target):
        CreditRule.objects.filter(action=Action.COMMENT).update(amount=0)
        assert credit_award(member=earner, action=Action.COMMENT, target=target, key="z") is None
        assert not CreditEntry.objects.exists()


class TestAward:
    def test_pays_the_rule_amount_and_moves_balance_and_lifetime_total(self, earner, target):
        entry = credit_award(member=earner, action=Action.VET_NEW, target=target, key="vet:1:2")
        assert entry.kind == CreditEntry.Kind.AWARD
        assert (entry.amount, entry.earned, entry.action) == (3, 3, "vet_new")
        assert entry.target == target
        assert entry.member == earner
        assert totals(earner) == (3, 3) == ledger(earner)

    def test_same_key_pays_once(self, earner, target):
        assert credit_award(member=earner, action=Action.COMMENT, target=target, key="comment:9")
        assert (
            credit_award(member=earner, action=Action.COMMENT, target=target, key="comment:9")
            is None
        )
        assert CreditEntry.objects.count() == 1
        assert totals(earner) == (1, 1)

    def test_award_rolls_back_with_the_callers_transaction(self, earner, target):
        with pytest.raises(RuntimeError), transaction.atomic():
            credit_award(member=earner, action=Action.COMMENT, target=target, key="c")
            raise RuntimeError("the action failed")
        assert not CreditEntry.objects.exists()
        assert totals(earner) == (0, 0)
        # ... so a retry of the action pays.
        assert credit_award(member=earner, action=Action.COMMENT, target=target, key="c")

    def test_each_petition_signature_pays_once(self, earner, target):
        entry = credit_award(
            member=earner, action=Action.PETITION_SIGN, target=target, key="sign:1"
        )
        assert entry.amount == 1


class TestDailyCaps:
    def test_the_21st_comment_of_the_day_pays_nothing(self, earner):
        entries = pay(earner, 21)
        assert all(entries[:20]) and entries[20] is None
        assert totals(earner) == (20, 20)

    def test_vetting_caps_at_50_a_day_per_action(self, earner):
        assert pay(earner, 51, action=Action.VET_NEW)[-1] is None
        # The cap is per rule: vetting other stories pays on.
        assert pay(earner, 1, action=Action.VET_OTHER, prefix="o")[0] is not None
        assert totals(earner) == (151, 151)

    def test_caps_are_per_member(self, earner):
        pay(earner, 20)
        other = UserFactory()
        assert pay(other, 1)[0] is not None

    def test_the_cap_counts_per_day_in_the_site_time_zone(self, earner, target, settings):
        tz = timezone.get_default_timezone()
        late = datetime.datetime(2026, 3, 10, 23, 30, tzinfo=tz)
        for i in range(20):
            services._award(
                member=earner, action=Action.COMMENT, target=target, key=f"d1:{i}", at=late
            )
        assert (
            services._award(
                member=earner, action=Action.COMMENT, target=target, key="d1:x", at=late
            )
            is None
        )
        next_morning = late + datetime.timedelta(hours=1)  # 00:30 the next day, New York
        assert services._award(
            member=earner, action=Action.COMMENT, target=target, key="d2:0", at=next_morning
        )

    def test_a_moderator_raising_the_cap_pays_again_today(self, earner):
        pay(earner, 20)
        CreditRule.objects.filter(action=Action.COMMENT).update(daily_cap=None)
        assert pay(earner, 1, prefix="more")[0] is not None


class TestReverse:
    def test_reverses_once_with_a_negative_entry(self, earner, target):
        award = credit_award(member=earner, action=Action.VET_NEW, target=target, key="vet:1:1")
        reversal = credit_reverse(key="vet:1:1", reason="story rejected as spam")
        assert (reversal.kind, reversal.amount, reversal.earned) == ("reversal", -3, -3)
        assert reversal.reverses == award and reversal.target == target
        assert credit_reverse(key="vet:1:1") is None
        assert totals(earner) == (0, 0) == ledger(earner)

    def test_no_award_no_reversal(self):
        assert credit_reverse(key="comment:404") is None
        assert not CreditEntry.objects.exists()

    def test_spent_credits_stay_spent_but_the_lifetime_total_drops(self, earner, target):
        pay(earner, 10)
        credit_award(member=earner, action=Action.VET_NEW, target=target, key="vet:x")
        services.cause_redeem(member=earner, cause=CauseFactory(cost=12), token="t")
        assert totals(earner) == (1, 13)
        reversal = credit_reverse(key="vet:x", reason="spam")
        assert (reversal.amount, reversal.earned) == (-1, -3)
        assert totals(earner) == (0, 10) == ledger(earner)

    def test_reverse_for_target_reverses_every_award_for_it(self, earner, target):
        other = UserFactory()
        credit_award(member=earner, action=Action.COMMENT, target=target, key="a")
        credit_award(member=other, action=Action.COMMENT, target=target, key="b")
        assert len(services.credits_reverse_for_target(target=target, reason="spam")) == 2
        assert services.credits_reverse_for_target(target=target) == []
        assert totals(earner) == (0, 0) and totals(other) == (0, 0)


class TestCallers:
    """The ledger as stories and comments use it."""

    def test_vetting_a_new_story_pays_3_and_any_other_story_1(self, earner):
        story_services.story_vet(member=earner, story=StoryFactory())
        story_services.story_vet(member=earner, story=StoryFactory(published=True))
        assert sorted(CreditEntry.objects.values_list("action", "amount")) == [
            ("vet_new", 3),
            ("vet_other", 1),
        ]
        assert totals(earner) == (4, 4)

    def test_a_story_rejected_as_spam_takes_back_its_vets_credits(self, earner):
        story = StoryFactory()
        story_services.story_vet(member=earner, story=story)
        story_services.stories_reject(story_ids=[story.pk], as_spam=True)
        story_services.stories_reject(story_ids=[story.pk], as_spam=True)
        assert totals(earner) == (0, 0)
        assert CreditEntry.objects.filter(kind="reversal").count() == 1

    def test_a_story_rejected_not_as_spam_keeps_them(self, earner):
        story = StoryFactory()
        story_services.story_vet(member=earner, story=story)
        story_services.stories_reject(story_ids=[story.pk])
        assert totals(earner) == (3, 3)

    def test_comments_pay_capped_and_spam_removal_reverses(self, earner, moderator):
        story = StoryFactory(published=True)
        comments = [
            comment_services.comment_create(author=earner, story=story, body=f"Thought {i}")
            for i in range(21)
        ]
        assert Comment.objects.filter(author=earner).count() == 21  # the 21st is posted...
        assert totals(earner) == (20, 20)  # ...and pays nothing
        comment_services.comment_delete(comment=comments[0], member=earner)
        assert totals(earner) == (20, 20)  # deleting one's own comment keeps its credit
        comment_services.comment_remove(comment=comments[1], moderator=moderator, reason="spam")
        assert totals(earner) == (19, 19)
        comment_services.comment_remove(
            comment=comments[2], moderator=moderator, reason="off_topic"
        )
        assert totals(earner) == (19, 19)
        assert totals(earner) == ledger(earner)


class TestRedeem:
    def test_spends_the_balance_not_the_lifetime_total(self, earner):
        pay(earner, 15)
        cause = CauseFactory(cost=10)
        entry = services.cause_redeem(member=earner, cause=cause, token="abc")
        assert (entry.kind, entry.amount, entry.earned, entry.target) == (
            "redemption",
            -10,
            0,
            cause,
        )
        assert totals(earner) == (5, 15) == ledger(earner)
        cause.refresh_from_db()
        assert cause.redeemed_count == 1

    def test_not_enough_credits_is_refused_with_a_message(self, earner):
        pay(earner, 9)
        with pytest.raises(CreditError, match="You have 9 credits"):
            services.cause_redeem(member=earner, cause=CauseFactory(cost=10), token="t")
        assert totals(earner) == (9, 9)
        assert Cause.objects.get().redeemed_count == 0

    def test_a_double_submission_redeems_once(self, earner):
        pay(earner, 20)
        cause = CauseFactory(cost=10)
        first = services.cause_redeem(member=earner, cause=cause, token="same")
        assert services.cause_redeem(member=earner, cause=cause, token="same") == first
        assert totals(earner) == (10, 20)

    def test_the_stock_limit_holds(self, earner):
        pay(earner, 20)
        cause = CauseFactory(cost=5, stock=2)
        services.cause_redeem(member=earner, cause=cause, token="1")
        services.cause_redeem(member=earner, cause=cause, token="2")
        with pytest.raises(CreditError, match="fully redeemed"):
            services.cause_redeem(member=earner, cause=cause, token="3")
        assert totals(earner) == (10, 20)

    def test_an_inactive_cause_takes_nothing(self, earner):
        pay(earner, 20)
        with pytest.raises(CreditError):
            services.cause_redeem(member=earner, cause=CauseFactory(is_active=False), token="1")

    def test_the_database_refuses_a_negative_balance_too(self, earner):
        """If the checks were bypassed, the CheckConstraint still holds (turned into a
        clear message)."""
        cause = CauseFactory(cost=10)
        with mock.patch.object(services.User.objects, "values_list") as balance:
            balance.return_value.get.return_value = 100
            with pytest.raises(CreditError, match="could not be redeemed"):
                services.cause_redeem(member=earner, cause=cause, token="x")
        assert totals(earner) == (0, 0)
        assert Cause.objects.get().redeemed_count == 0


class TestAdjust:
    def test_moves_balance_and_lifetime_total(self, earner, moderator):
        entry = services.credit_adjust(
            member=earner, amount=25, note="Welcome gift", moderator=moderator
        )
        assert (entry.kind, entry.created_by) == ("adjustment", moderator)
        services.credit_adjust(
            member=earner, amount=-5, note="Duplicate account", moderator=moderator
        )
        assert totals(earner) == (20, 20) == ledger(earner)

    def test_never_below_zero_and_never_empty(self, earner, moderator):
        with pytest.raises(CreditError, match="only 0 credits"):
            services.credit_adjust(member=earner, amount=-1, note="oops", moderator=moderator)
        with pytest.raises(CreditError):
            services.credit_adjust(member=earner, amount=0, note="nothing", moderator=moderator)
        with pytest.raises(CreditError):
            services.credit_adjust(member=earner, amount=3, note="  ", moderator=moderator)
        assert not CreditEntry.objects.exists()
