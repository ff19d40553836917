import io

import pytest

from petitions import demo, services
from petitions.models import Petition, PetitionUpdate, Signature
from stories import demo as stories_demo

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_every_petition_has_signers_comments_and_updates():
    out = io.StringIO()
    stories_demo.load(stdout=out)
    demo.load(stdout=out)
    first = (Petition.objects.count(), Signature.objects.count(), PetitionUpdate.objects.count())
    demo.load(stdout=out)
    assert (
        Petition.objects.count(),
        Signature.objects.count(),
        PetitionUpdate.objects.count(),
    ) == first
    assert first[0] >= 5
    for petition in Petition.objects.all():
        assert services.petition_count(petition_id=petition.pk) > 0
        assert petition.signatures.exclude(comment="").exists()
        assert petition.updates.exists()
    assert Petition.objects.filter(story__isnull=False).count() >= 3
    assert Petition.objects.filter(status="victory").exists()
    assert services.petitions_reconcile() == []


def test_demo_without_members_does_nothing():
    out = io.StringIO()
    demo.load(stdout=out)
    assert Petition.objects.count() == 0
