import factory

from credits.models import Cause


class CauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cause

    title = factory.Sequence(lambda n: f"Restore hedgerow number {n}")
    slug = factory.Sequence(lambda n: f"hedgerow-{n}")
    description = "Credits buy native saplings for a farm hedgerow that shelters birds."
    cost = 10
