import factory
from django.utils import timezone

from petitions import services
from petitions.models import Petition, PetitionUpdate, Signature
from tests.factories import CategoryFactory, UserFactory


class PetitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Petition

    title = factory.Sequence(lambda n: f"Keep the riverside path open for everyone {n}")
    target = "The Riverside District Council"
    why = "The path is the only safe way to walk to school without crossing the ring road."
    why_html = factory.LazyAttribute(lambda o: f"<p>{o.why}</p>")
    category = factory.SubFactory(CategoryFactory)
    creator = factory.SubFactory(UserFactory)
    goal = 1000


class SignatureFactory(factory.django.DjangoModelFactory):
    """A confirmed reader signature; pass ``status="pending"`` for an unconfirmed one.

    Created rows go through the counter so the petition's count stays exact.
    """

    class Meta:
        model = Signature

    petition = factory.SubFactory(PetitionFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"signer{n}@example.net")
    country = "FR"
    status = Signature.Status.CONFIRMED
    confirmed_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == Signature.Status.CONFIRMED else None
    )
    ip = "203.0.113.7"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        signature = super()._create(model_class, *args, **kwargs)
        if signature.status == Signature.Status.CONFIRMED:
            services._shard_add(signature.petition_id, 1)
        return signature


class PetitionUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PetitionUpdate

    petition = factory.SubFactory(PetitionFactory)
    title = "We met the council"
    body = "Thank you all: the council agreed to discuss the path at its next meeting."
