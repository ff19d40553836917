import datetime
from unittest import mock

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from search.forms import parse_query
from stories.models import Story
from stories.search import stories_reindex, stories_search
from tests.factories import CategoryFactory, StoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stories(category):
    made = {
        "otters": StoryFactory(
            category=category,
            published=True,
            title="Otters return to the canal",
            url="https://www.riverwatch.example/otters",
            summary="Families of otters were filmed near the old mill.",
            tags=["wildlife", "Frech soldiers"],
        ),
        "mill": StoryFactory(
            category=category,
            published=True,
            title="Old mill becomes a library",
            url="https://towns.example/mill",
            summary="Readers can now borrow books where otters once swam.",
            tags=["libraries"],
        ),
        "bees": StoryFactory(
            category=CategoryFactory(),
            published=True,
            title="Bees on the ring road",
            url="https://towns.example/bees",
            summary="Verges full of <b>flowers</b> & bees.",
            tags=["bees"],
        ),
        "hidden": StoryFactory(
            category=category,
            status=Story.Status.HIDDEN,
            title="Hidden otters story",
            url="https://x.example/h",
            summary="otters",
        ),
    }
    stories_reindex()
    return made


def titles(qs):
    return [s.title for s in qs]


@pytest.mark.parametrize(
    "raw,words,filters",
    [
        ("otters canal", "otters canal", {}),
        ("tag:bees ring", "ring", {"tag": "bees"}),
        (
            'tag:"Frech soldiers" domain:www.example.org',
            "",
            {"tag": "Frech soldiers", "domain": "www.example.org"},
        ),
        ("DOMAIN:towns.example", "", {"domain": "towns.example"}),
    ],
)
def test_parse_query(raw, words, filters):
    assert parse_query(raw) == (words, filters)


def test_ranked_title_match_first_and_hidden_never_shown(stories):
    assert titles(stories_search(text="otters")) == [
        "Otters return to the canal",
        "Old mill becomes a library",
    ]


def test_word_stems_match(stories):
    assert titles(stories_search(text="otter libraries")) == ["Old mill becomes a library"]


def test_tags_are_searched(stories):
    assert titles(stories_search(text="wildlife")) == ["Otters return to the canal"]
    assert titles(stories_search(tag="frech soldiers")) == ["Otters return to the canal"]


def test_domain_filter_ignores_www(stories):
    assert titles(stories_search(domain="riverwatch.example")) == ["Otters return to the canal"]
    assert set(titles(stories_search(domain="towns.example"))) == {
        "Old mill becomes a library",
        "Bees on the ring road",
    }


def test_category_and_date_filters(stories, category):
    Story.objects.filter(pk=stories["mill"].pk).update(
        created_at=timezone.now() - datetime.timedelta(days=40)
    )
    assert titles(
        stories_search(
            text="otters", category=category, since=timezone.now() - datetime.timedelta(days=7)
        )
    ) == ["Otters return to the canal"]


def test_new_submissions_are_indexed_by_the_service(member, category):
    from stories.services import story_submit

    story_submit(
        submitter=member,
        title="Kelp forests regrow",
        url="https://sea.example/kelp",
        summary="Divers count urchins.",
        category=category,
        tags=["oceans"],
    )
    assert titles(stories_search(text="urchin")) == ["Kelp forests regrow"]
    assert titles(stories_search(text="oceans")) == ["Kelp forests regrow"]


def test_search_page_highlights_safely(client, stories):
    response = client.get(reverse("search:search"), {"q": "flowers", "kind": "stories"})
    html = response.content.decode()
    assert "Bees on the ring road" in html
    assert "<mark>flowers</mark>" in html
    assert "<b>" not in html.split("<main", 1)[1]  # the member's markup is never live


def test_search_page_prefixes_and_empty(client, stories):
    html = client.get(reverse("search:search"), {"q": "tag:bees"}).content.decode()
    assert "Bees on the ring road" in html and "Otters return" not in html
    assert client.get(reverse("search:search")).status_code == 200
    assert (
        "No stories match" in client.get(reverse("search:search"), {"q": "zebra"}).content.decode()
    )


def test_bad_filters_are_form_errors_not_500(client):
    response = client.get(
        reverse("search:search"), {"q": "x", "kind": "everything", "since": "forever"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_simple_matching_when_not_on_postgresql(stories):
    with mock.patch("stories.search.uses_full_text", return_value=False):
        assert set(titles(stories_search(text="otters"))) == {
            "Otters return to the canal",
            "Old mill becomes a library",
        }


@pytest.mark.parametrize(
    "model_path,index",
    [
        ("stories.models.Story", "story_search_idx"),
        ("petitions.models.Petition", "petition_search_idx"),
    ],
)
def test_query_plan_uses_the_gin_index(model_path, index):
    from django.contrib.postgres.search import SearchQuery
    from django.utils.module_loading import import_string

    model = import_string(model_path)
    query = SearchQuery("otters", config="english", search_type="websearch")
    sql, params = model.objects.filter(search_vector=query).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan


def test_search_page_query_count(client, stories, django_assert_max_num_queries):
    for n in range(30):
        StoryFactory(published=True, title=f"Otter sighting {n}", tags=["otters", f"t{n}"])
    stories_reindex()
    with django_assert_max_num_queries(8):
        client.get(reverse("search:search"), {"q": "otter", "kind": "stories"})


def test_both_result_lists_are_paged_keeping_the_search(client, category):
    from petitions.search import petitions_reindex
    from tests.petitions.factories import PetitionFactory

    for n in range(25):
        StoryFactory(published=True, title=f"Otter sighting {n}")
        PetitionFactory(category=category, title=f"Protect otter holt {n}")
    stories_reindex()
    petitions_reindex()
    response = client.get(reverse("search:search"), {"q": "otter"})
    html = response.content.decode()
    assert 'href="?q=otter&amp;page=2"' in html
    assert 'href="?q=otter&amp;ppage=2"' in html
    second = client.get(reverse("search:search"), {"q": "otter", "ppage": 2}).content.decode()
    assert "Page 2 of 2" in second and 'href="?q=otter&amp;ppage=1"' in second
    assert second.count("Protect otter holt") == 5


def test_petitions_simple_matching_when_not_on_postgresql(category):
    from petitions.search import petitions_search
    from tests.petitions.factories import PetitionFactory

    PetitionFactory(category=category, title="Save the otters", target="Council", why="x")
    PetitionFactory(category=category, title="Bike lanes", target="Otterbury council", why="y")
    PetitionFactory(category=category, title="Bees", target="Ministry", why="z")
    with mock.patch("petitions.search.uses_full_text", return_value=False):
        found = {p.title for p in petitions_search(text="otter")}
    assert found == {"Save the otters", "Bike lanes"}
