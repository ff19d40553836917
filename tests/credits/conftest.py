import pytest

from tests.factories import StoryFactory, UserFactory


@pytest.fixture
def target(db):
    """Something to pay for: any saved model instance does (a story here)."""
    return StoryFactory()


@pytest.fixture
def earner(db):
    return UserFactory(first_name="Erin", last_name="Earner")
