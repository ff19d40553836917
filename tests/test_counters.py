"""Each cached counter has one helper that changes it, used by every writer."""

import ast
import pathlib

import pytest

from comments import services as comments
from credits.models import Cause
from credits.services import cause_redeem, credit_adjust
from stories.models import Story
from stories.services import story_comment_count_add
from tests.factories import StoryFactory, UserFactory

pytestmark = pytest.mark.django_db
ROOT = pathlib.Path(__file__).resolve().parent.parent
APPS = ["care2", "stories", "comments", "petitions", "credits", "search", "api", "moderation"]


def writes_of(field: str) -> list[str]:
    """Where a keyword argument ``field=`` is passed to ``.update(...)`` in the apps."""
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "update"
                    and any(k.arg == field for k in node.keywords)
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_story_comment_count_changes_in_one_helper():
    # No ORM update writes it: the helper's one written-out UPDATE does, the only code
    # that names the column for a statement.
    assert writes_of("comment_count") == []
    naming = [
        str(path.relative_to(ROOT))
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and 'get_field("comment_count")' in path.read_text()
    ]
    assert naming == ["stories/services.py"]


def test_credits_balance_changes_in_one_helper_and_the_repair():
    places = writes_of("credits_balance")
    # The ledger's writes, and the reconciliation that sets the cache to the ledger.
    assert len(places) == 2 and all(p.startswith("credits/services.py:") for p in places)


def test_the_comment_count_follows_every_comment_change():
    story = StoryFactory(published=True)
    author, moderator = UserFactory(), UserFactory(is_superuser=True, is_staff=True)
    first = comments.comment_create(author=author, story=story, body="One")
    second = comments.comment_create(author=author, story=story, body="Two")
    assert Story.objects.get(pk=story.pk).comment_count == 2
    comments.comment_delete(comment=first, member=author)
    assert Story.objects.get(pk=story.pk).comment_count == 1
    comments.comment_remove(comment=second, moderator=moderator, reason="spam")
    assert Story.objects.get(pk=story.pk).comment_count == 0


def test_the_helper_counts_only_a_published_story_when_asked():
    story = StoryFactory()  # newly submitted
    assert story_comment_count_add(story_id=story.pk, delta=1, published_only=True) is False
    assert story_comment_count_add(story_id=story.pk, delta=2) is True
    assert Story.objects.get(pk=story.pk).comment_count == 2


def test_a_redemption_moves_the_balance_through_the_ledger_helper():
    member = UserFactory()
    credit_adjust(member=member, amount=30, note="start")
    cause = Cause.objects.create(title="Plant a tree", slug="tree", cost=12, is_active=True)
    cause_redeem(member=member, cause=cause, token="t-1")
    member.refresh_from_db()
    assert (member.credits_balance, member.credits_earned) == (18, 30)
