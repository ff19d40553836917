import io

import pytest
from django.core.management import call_command

from care2.users.models import User
from credits import demo
from credits.models import Cause, CreditEntry
from credits.services import credits_reconcile

pytestmark = pytest.mark.django_db


def test_demo_pays_the_demo_activity_once_and_reconciles():
    call_command("load_demo", stdout=io.StringIO())
    assert Cause.objects.count() == len(demo.CAUSES)
    entries = CreditEntry.objects.count()
    assert CreditEntry.objects.filter(key__startswith="vet:").exists()
    demo_member = User.objects.get(email=demo.DEMO_MEMBER_EMAIL)
    assert demo_member.credit_entries.filter(kind="redemption").count() == 1
    assert demo_member.credits_balance > 0
    assert not credits_reconcile().drifts

    out = io.StringIO()
    demo.load(stdout=out)
    assert "0 awards paid now, 0 redemption" in out.getvalue()
    assert CreditEntry.objects.count() == entries
    assert Cause.objects.count() == len(demo.CAUSES)
