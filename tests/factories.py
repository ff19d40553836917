import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from care2.users.models import User
from stories.models import Category, Report, Story, Vet
from stories.services import url_key

PASSWORD = "a-Strong-test-pass-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        """Members are verified unless built with ``verified=False``."""
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class StoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Story
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Community garden number {n} opens its gates")
    url = factory.Sequence(lambda n: f"https://news.example.org/2026/story-{n}")
    url_key = factory.LazyAttribute(lambda o: url_key(o.url))
    summary = "Neighbours turned an empty lot into a garden that feeds forty families."
    category = factory.SubFactory(CategoryFactory)
    submitter = factory.SubFactory(UserFactory)
    status = Story.Status.NEW

    class Params:
        published = factory.Trait(
            status=Story.Status.PUBLISHED, published_at=factory.LazyFunction(timezone.now)
        )

    @factory.post_generation
    def tags(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.tags.set(extracted)


class VetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vet

    member = factory.SubFactory(UserFactory)
    story = factory.SubFactory(StoryFactory)


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    member = factory.SubFactory(UserFactory)
    story = factory.SubFactory(StoryFactory)
    reason = Report.Reason.SPAM


def make_member_kind(user, kind: str) -> bool:
    """Turn ``user`` into a member of one of the kinds every member page depends on:
    ``suspended``, ``unverified``, ``staff`` or ``moderator``. False for any other kind
    (the caller's own)."""
    import datetime

    from django.contrib.auth.models import Group

    if kind == "suspended":
        user.suspended_until = timezone.now() + datetime.timedelta(days=1)
        user.save()
    elif kind == "unverified":
        user.emailaddress_set.update(verified=False)
    elif kind == "staff":
        user.is_staff = True
        user.save()
    elif kind == "moderator":
        user.groups.add(Group.objects.get(name="Moderators"))
    else:
        return False
    return True
