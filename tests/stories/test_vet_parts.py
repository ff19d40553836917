"""Note it on Newly Submitted's cards (with and without script), and the answer a vet or
save posted by script gets: every part of the page the action changed."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from stories.models import SavedStory, Story, Vet
from stories.services import story_vet
from tests.factories import StoryFactory, UserFactory, VetFactory
from tests.stories.pages import Node

pytestmark = pytest.mark.django_db

NEW = "/newly-submitted/"
BACKGROUND = {"HTTP_X_REQUESTED_WITH": "fetch"}


def soup(response):
    return Node.of(response)


def message(page, kind="message"):
    return page.find(id="main").find(class_="messages").find(class_=kind)


def card_vet(page, story):
    return page.find(id=f"card-vet-{story.pk}")


class TestNewlySubmittedNoteIt:
    def test_member_gets_note_it_on_each_card_they_may_vet(self, client, member, category):
        fresh = StoryFactory(category=category, title="Fresh story")
        noted = StoryFactory(category=category, title="Noted story")
        VetFactory(story=noted, member=member)
        own = StoryFactory(category=category, title="Own story", submitter=member)
        client.force_login(member)
        page = soup(client.get(NEW))

        form = card_vet(page, fresh).find("form")
        assert form["action"] == reverse("stories:vet", args=[fresh.pk])
        assert form["method"] == "post"
        assert form.find("input", name="next")["value"] == NEW
        assert form.find("input", name="csrfmiddlewaretoken")
        assert form.find("button").text() == "Note it : Fresh story"
        assert card_vet(page, noted).text() == "Noted"
        assert card_vet(page, noted).find("form") is None
        assert "Your story" in card_vet(page, own).text()
        assert card_vet(page, own).find("form") is None

    def test_reader_gets_a_sign_in_link(self, client, story):
        page = soup(client.get(NEW + "?page=1"))
        link = card_vet(page, story).find("a")
        assert link.text() == "Sign in"
        assert link["href"] == reverse("account_login") + "?next=/newly-submitted/%3Fpage%3D1"

    def test_suspended_member_gets_no_button(self, client, member, story):
        member.suspended_until = timezone.now() + datetime.timedelta(days=1)
        member.save(update_fields=["suspended_until"])
        client.force_login(member)
        assert card_vet(soup(client.get(NEW)), story).find("form") is None

    def test_other_listings_have_no_vet_controls(self, client, member, published_story):
        client.force_login(member)
        assert soup(client.get("/")).find(class_="card-vet") is None

    def test_without_script_the_card_posts_and_comes_back_to_the_list(self, client, member, story):
        client.force_login(member)
        response = client.post(reverse("stories:vet", args=[story.pk]), {"next": NEW})
        assert response.status_code == 302 and response["Location"] == NEW
        page = soup(client.get(NEW))
        assert card_vet(page, story).text() == "Noted"
        assert "Thank you for vetting" in message(page).text()
        assert Vet.objects.filter(member=member, story=story).count() == 1

    def test_one_query_for_the_members_vets_whatever_the_page_size(
        self, client, member, category, django_assert_max_num_queries
    ):
        client.force_login(member)

        def grow(n):
            for _ in range(n):
                story = StoryFactory(category=category, submitter=UserFactory(), tags=["x"])
                VetFactory(story=story, member=member)
                StoryFactory(category=category, submitter=UserFactory())

        grow(2)
        with CaptureQueriesContext(connection) as small:
            client.get(NEW)
        vet_queries = [q for q in small.captured_queries if '"stories_vet"' in q["sql"]]
        assert len(vet_queries) == 1
        grow(8)
        with django_assert_max_num_queries(len(small.captured_queries)):
            page = soup(client.get(NEW))
        assert len(page.find_all(data_testid="card-noted")) == 10
        assert len([f for c in page.find_all(class_="card-vet") for f in c.find_all("form")]) == 10
        with django_assert_max_num_queries(11):
            client.get(NEW)


class TestBackgroundAnswer:
    def test_a_vet_answers_with_every_part_it_changed(self, client, member, story, settings):
        settings.STORY_PROMOTE_AT_VETS = 1
        client.force_login(member)
        response = client.post(reverse("stories:vet", args=[story.pk]), **BACKGROUND)
        assert response.status_code == 200
        page = soup(response)
        parts = page.find(data_parts=True)
        ids = [child["id"] for child in parts.children() if child.has("id")]
        for part in (
            "story-byline",
            "vetting",
            "noted-by",
            f"card-notes-{story.pk}",
            f"card-status-{story.pk}",
            f"card-vet-{story.pk}",
            "comments",
        ):
            assert part in ids
        assert "You noted this story." in parts.find(id="vetting").text()
        assert parts.find(id="noted-by").text().startswith(member.public_name)
        assert parts.find(id="story-byline").find(class_="badge-new") is None
        assert parts.find(id=f"card-status-{story.pk}").text() == ""
        assert parts.find(id=f"card-notes-{story.pk}").text() == "1 note"
        assert parts.find(id=f"card-vet-{story.pk}").text() == "Noted"
        assert parts.find(id="comments").find("form", id="comment-form")
        header = page.find(id="header-credits")
        assert header.has("data-part") and header.text() == "3 credits"
        assert page.find(id="header-inbox").has("data-part")
        assert "front page" in message(page).text()

    def test_the_card_form_keeps_its_list_as_next(self, client, member, story):
        client.force_login(member)
        other = StoryFactory()
        client.post(reverse("stories:save", args=[other.pk]), **BACKGROUND)
        response = client.post(
            reverse("stories:vet", args=[story.pk]), {"next": NEW + "?page=2"}, **BACKGROUND
        )
        assert "stories/" not in soup(response).find(id=f"card-vet-{story.pk}").text()
        # A card still showing its form (a save of a story not yet noted) posts back to
        # its list, never to the vet URL the answer came from.
        response = client.post(
            reverse("stories:save", args=[other.pk]), {"next": NEW}, **BACKGROUND
        )
        form = soup(response).find(id=f"card-vet-{other.pk}").find("form")
        assert form.find("input", name="next")["value"] == NEW

    def test_without_promotion_the_badge_and_comments_stay(self, client, member, story):
        client.force_login(member)
        page = soup(client.post(reverse("stories:vet", args=[story.pk]), **BACKGROUND))
        assert page.find(id="story-byline").find(class_="badge-new")
        assert page.find(id="comments") is None

    def test_a_refused_vet_answers_409_with_the_reason(self, client, member, story):
        story_vet(member=member, story=story)
        client.force_login(member)
        response = client.post(reverse("stories:vet", args=[story.pk]), **BACKGROUND)
        assert response.status_code == 409
        error = message(soup(response), "message-error")
        assert error.text() == "You have already noted this story."

    def test_save_answers_with_the_vote_box_and_header(self, client, member, story):
        client.force_login(member)
        response = client.post(reverse("stories:save", args=[story.pk]), **BACKGROUND)
        assert response.status_code == 200
        vetting = soup(response).find(data_parts=True).find(id="vetting")
        assert "Remove from saved stories" in vetting.find("form", class_="inline-form").text()
        assert SavedStory.objects.filter(member=member, story=story).exists()
        response = client.post(
            reverse("stories:save", args=[story.pk]), {"action": "unsave"}, **BACKGROUND
        )
        assert (
            "Save for later"
            in soup(response).find(id="vetting").find("form", class_="inline-form").text()
        )
        assert not SavedStory.objects.filter(member=member, story=story).exists()

    def test_without_script_the_forms_still_redirect(self, client, member, story):
        client.force_login(member)
        response = client.post(reverse("stories:vet", args=[story.pk]))
        assert response.status_code == 302
        assert response["Location"] == story.get_absolute_url()

    def test_answer_queries_do_not_grow_with_vets(
        self, client, member, story, settings, django_assert_max_num_queries
    ):
        for _ in range(50):
            VetFactory(story=story)
        Story.objects.filter(pk=story.pk).update(vet_count=50)
        client.force_login(member)
        with django_assert_max_num_queries(25):
            response = client.post(reverse("stories:save", args=[story.pk]), **BACKGROUND)
        assert len(soup(response).find(id="noted-by").find_all("li")) == 50
        # The vet itself (vet, counters, promotion, the credits ledger) and the parts,
        # with the comments this promotion opens.
        with django_assert_max_num_queries(31):
            response = client.post(reverse("stories:vet", args=[story.pk]), **BACKGROUND)
        assert len(soup(response).find(id="noted-by").find_all("li")) == 51
        assert re.search(r"51\s+members noted", soup(response).find(id="vetting").text())
