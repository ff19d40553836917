"""A deleted (anonymised) member shows as "deleted member", as text: no link to a
profile that no longer exists."""

import re

import pytest
from django.urls import reverse

from care2.users.privacy import member_delete
from comments.services import comment_create
from petitions.services import signature_sign_member
from stories.services import story_vet
from tests.factories import StoryFactory, UserFactory
from tests.petitions.factories import PetitionFactory

pytestmark = pytest.mark.django_db

MEMBER_LINK = re.compile(r'href="(/members/\d+/)"')


@pytest.fixture
def deleted_member(category, settings):
    settings.NEW_MEMBER_HOURS = 0
    rosa = UserFactory(first_name="Rosa", last_name="Marsh")
    own_story = StoryFactory(category=category, submitter=rosa, published=True)
    other_story = StoryFactory(category=category, published=True)
    story_vet(member=rosa, story=other_story)
    comment_create(author=rosa, story=other_story, body="A thought from Rosa")
    petition = PetitionFactory(creator=rosa, category=category)
    signature_sign_member(petition=PetitionFactory(category=category), member=rosa)
    member_delete(user=rosa)
    return {
        "member": rosa,
        "pages": [
            reverse("stories:front"),
            own_story.get_absolute_url(),
            other_story.get_absolute_url(),
            reverse("stories:noted_by", args=[other_story.pk, other_story.slug]),
            petition.get_absolute_url(),
            reverse("petitions:newest"),
            reverse("credits:leaderboard"),
        ],
    }


@pytest.mark.parametrize("signed_in", [False, True], ids=["reader", "member"])
def test_no_link_to_a_deleted_member_leads_to_a_404(client, deleted_member, signed_in):
    if signed_in:
        client.force_login(UserFactory())
    rosa = deleted_member["member"]
    seen_deleted = 0
    for page in deleted_member["pages"]:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert f'href="/members/{rosa.pk}/"' not in html, page
        seen_deleted += html.count("deleted member")
        for link in set(MEMBER_LINK.findall(html)):
            assert client.get(link).status_code == 200, (page, link)
    # Shown as the submitter, the commenter, a noter and the petition's creator.
    assert seen_deleted >= 4


def test_deleted_member_is_plain_text_in_the_member_tag(deleted_member):
    from django.template import Context, Template

    html = Template("{% member who %}").render(Context({"who": deleted_member["member"]}))
    assert "<a " not in html
    assert "deleted member" in html


def test_names_are_isolated_in_bdi(member):
    from django.template import Context, Template

    html = Template("{% member who %}").render(Context({"who": member}))
    assert f"<bdi>{member.public_name}</bdi>" in html
