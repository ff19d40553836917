import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from petitions.models import Petition
from petitions.search import petitions_reindex, petitions_search
from petitions.services import signature_sign_member
from tests.factories import UserFactory
from tests.petitions.factories import PetitionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def petitions(category):
    made = {
        "bees": PetitionFactory(
            category=category,
            title="Ban neonicotinoids near schools",
            target="The ministry of agriculture",
            why="Bees are dying; our children play next to sprayed fields.",
        ),
        "trees": PetitionFactory(
            category=category,
            title="Plant street trees on Elm Road",
            target="Riverside council",
            why="Shade saves lives in heat waves.",
        ),
        "hidden": PetitionFactory(
            category=category, title="Hidden bees petition", target="x", why="bees"
        ),
    }
    Petition.objects.filter(pk=made["hidden"].pk).update(
        hidden_at=made["hidden"].created_at, hidden_reason="spam"
    )
    petitions_reindex()
    return made


@pytest.mark.parametrize(
    "name,args",
    [
        ("feed_rss", []),
        ("feed_newest_rss", []),
        ("feed_victories_rss", []),
        ("feed_category_rss", ["society-culture"]),
    ],
)
def test_petition_feeds_are_valid(client, petitions, name, args):
    response = client.get(reverse(f"petitions:{name}", args=args))
    assert response.status_code == 200
    titles = [i.findtext("title") for i in ET.fromstring(response.content).iter("item")]
    assert "Hidden bees petition" not in titles
    if name != "feed_victories_rss":
        assert "Plant street trees on Elm Road" in titles


def test_petition_lists_link_their_feeds(client, petitions):
    html = client.get(reverse("petitions:newest")).content.decode()
    assert 'type="application/rss+xml"' in html and reverse("petitions:feed_newest_rss") in html


def test_petition_search_ranks_title_and_target(petitions):
    assert [p.title for p in petitions_search(text="bees")] == ["Ban neonicotinoids near schools"]
    assert [p.title for p in petitions_search(text="council")] == ["Plant street trees on Elm Road"]


def test_search_page_finds_both_kinds(client, petitions, published_story):
    html = client.get(reverse("search:search"), {"q": "bees"}).content.decode()
    assert "Petitions (1)" in html and "Ban neonicotinoids near schools" in html
    assert "<mark>Bees</mark>" in html


def test_new_petitions_are_indexed(member, category, settings):
    from petitions.services import petition_start

    settings.NEW_MEMBER_HOURS = 0
    petition_start(
        creator=member,
        title="Protect the wetland reserve",
        target="The county",
        why="Herons nest here.",
        category=category,
    )
    assert [p.title for p in petitions_search(text="herons")] == ["Protect the wetland reserve"]


def test_petition_api(client, petitions):
    signer = UserFactory()
    signature_sign_member(petition=petitions["trees"], member=signer)
    data = client.get(reverse("api:petitions")).json()
    titles = {p["title"]: p for p in data["results"]}
    assert "Hidden bees petition" not in titles
    assert titles["Plant street trees on Elm Road"]["signatures"] == 1
    detail = client.get(reverse("api:petition", args=[petitions["trees"].pk])).json()
    assert detail["signatures"] == 1 and detail["target"] == "Riverside council"
    assert "email" not in str(detail)
    assert client.get(reverse("api:petition", args=[petitions["hidden"].pk])).status_code == 404


def test_sitemap_lists_visible_petitions(client, petitions):
    xml = client.get("/sitemap.xml").content.decode()
    assert petitions["trees"].get_absolute_url() in xml
    assert petitions["hidden"].get_absolute_url() not in xml
