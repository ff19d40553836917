"""Entries are append-only: the model, the admin and the database all refuse changes."""

import pytest
from django.db import DatabaseError, connection, transaction

from credits.models import CreditEntry
from credits.services import Action, credit_award, credits_reconcile
from tests.factories import StoryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(earner):
    return credit_award(member=earner, action=Action.VET_NEW, target=StoryFactory(), key="vet:e:1")


def test_the_model_refuses_to_save_an_existing_entry(entry):
    entry.amount = 300
    with pytest.raises(ValueError, match="immutable"):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL trigger")


@postgres_only
@pytest.mark.parametrize(
    "change",
    [
        lambda qs: qs.update(amount=300),
        lambda qs: qs.update(note="edited"),
        lambda qs: qs.update(member=UserFactory()),
        lambda qs: qs.delete(),
    ],
    ids=["amount", "note", "other-member", "delete"],
)
def test_the_database_refuses_updates_and_deletes(entry, change):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        change(CreditEntry.objects.filter(pk=entry.pk))
    entry.refresh_from_db()
    assert entry.amount == 3


@postgres_only
def test_raw_sql_cannot_change_the_ledger_either(entry):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE credits_creditentry SET earned = 0 WHERE id = %s", [entry.pk])


def test_deleting_an_account_keeps_its_entries_detached(entry, earner):
    earner.delete()
    entry.refresh_from_db()
    assert entry.member is None
    assert entry.amount == 3
    assert not credits_reconcile().drifts


@postgres_only
def test_a_moderators_account_deletion_detaches_their_adjustments(earner):
    from credits.services import credit_adjust

    moderator = UserFactory(is_staff=True)
    adjustment = credit_adjust(member=earner, amount=5, note="bonus", moderator=moderator)
    moderator.delete()
    adjustment.refresh_from_db()
    assert adjustment.created_by is None and adjustment.member == earner
