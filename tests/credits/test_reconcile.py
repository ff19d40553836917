import io

import pytest
from django.core.management import CommandError, call_command

from care2.users.models import User
from credits.services import Action, credit_award, credits_reconcile
from tests.factories import StoryFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.allow_credit_drift]


@pytest.fixture
def members():
    people = UserFactory.create_batch(3)
    story = StoryFactory()
    for i, person in enumerate(people):
        for j in range(i + 1):
            credit_award(member=person, action=Action.VET_NEW, target=story, key=f"{person.pk}:{j}")
    return people


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("credits_reconcile", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_clean_ledger_has_no_drift_and_draws_a_progress_bar(members):
    out, err = run()
    assert f"{User.objects.count()} members checked: no drift." in out
    assert "Checking members [" in err and "(100%)" in err


def test_drift_is_reported_and_exits_non_zero(members):
    drifted = members[1]
    User.objects.filter(pk=drifted.pk).update(credits_balance=99)
    with pytest.raises(CommandError) as failure:
        run("--no-progress")
    assert failure.value.returncode == 1
    assert "1 drifted" in str(failure.value)
    report = credits_reconcile()
    assert [
        (d.member_id, d.balance, d.ledger_balance, d.earned, d.ledger_earned) for d in report.drifts
    ] == [(drifted.pk, 99, 6, 6, 6)]


def test_fix_repairs_and_reports_every_drifted_member(members):
    User.objects.filter(pk=members[0].pk).update(credits_earned=0)
    User.objects.filter(pk=members[2].pk).update(credits_balance=1, credits_earned=1)
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 drifted, 2 repaired"):
        call_command("credits_reconcile", "--fix", "--no-progress", stdout=out)
    assert out.getvalue().count("Fixed: member") == 2
    assert "no drift" in run()[0]
    members[2].refresh_from_db()
    assert (members[2].credits_balance, members[2].credits_earned) == (9, 9)


def test_checks_members_in_batches(members):
    report = credits_reconcile(batch_size=2)
    assert report.checked == User.objects.count() and not report.drifts


def test_a_member_with_no_entries_but_credits_has_drifted(db):
    ghost = UserFactory()
    User.objects.filter(pk=ghost.pk).update(credits_balance=4, credits_earned=4)
    assert [d.member_id for d in credits_reconcile(fix=True).drifts] == [ghost.pk]
    ghost.refresh_from_db()
    assert (ghost.credits_balance, ghost.credits_earned) == (0, 0)
