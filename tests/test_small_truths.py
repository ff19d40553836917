"""Small truths of the code base: settings grouped by concern, comments that cite only
what is in the repository, results returned rather than set on objects."""

import inspect
import pathlib
import re

import pytest

from stories import services, views
from tests.factories import StoryFactory, UserFactory

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = [
    path
    for pattern in ("*.py", "*.html", "*.md", "*.txt", "*.toml", "Makefile")
    for path in ROOT.rglob(pattern)
    if not {".venv", "node_modules", ".git", "test-results", "var"} & set(path.parts)
    and path.name != "test_small_truths.py"
]


def test_settings_sections_are_named_by_concern_and_none_is_empty():
    text = (ROOT / "care2" / "settings.py").read_text()
    headings = re.findall(r"^# --- (.+?) -+$", text, flags=re.M)
    assert headings and not [h for h in headings if re.search(r"issue \d+", h, re.I)]
    sections = re.split(r"^# --- .+$", text, flags=re.M)[1:]
    empty = [h for h, body in zip(headings, sections, strict=True) if not body.strip()]
    assert empty == []


def test_comment_settings_are_in_one_section():
    text = (ROOT / "care2" / "settings.py").read_text()
    sections = re.split(r"^# --- ", text, flags=re.M)
    holding = [s.splitlines()[0] for s in sections if re.search(r"^COMMENT_\w+ =", s, re.M)]
    assert len(holding) == 1 and holding[0].startswith("Comments")


def test_no_file_cites_documents_the_repository_does_not_have():
    cited = re.compile(r"DESIGN\.md|STYLE\.md|DEVELOPERS\.md|\.\./shared")
    missing = [
        f"{path.relative_to(ROOT)}: {match.group()}"
        for path in SOURCES
        for match in cited.finditer(path.read_text(errors="ignore"))
        if not (ROOT / match.group()).exists()
    ]
    assert missing == []


def test_no_stale_promises_in_comments():
    stale = re.compile(r"once the petitions app has|\(yet\)")
    found = [
        str(p.relative_to(ROOT)) for p in SOURCES if stale.search(p.read_text(errors="ignore"))
    ]
    assert found == []


def test_get_story_takes_only_what_it_uses():
    assert list(inspect.signature(views._get_story).parameters) == ["pk"]


@pytest.mark.django_db
def test_noting_returns_whether_the_note_promoted_the_story(settings):
    settings.STORY_PROMOTE_AT_VETS = 2
    story = StoryFactory()
    first = services.story_note(member=UserFactory(), story=story)
    second = services.story_note(member=UserFactory(), story=story)
    third = services.story_note(member=UserFactory(), story=story)
    assert [first.promoted, second.promoted, third.promoted] == [False, True, False]
    assert second.vet.story_id == story.pk
    assert not hasattr(story, "_just_promoted")
