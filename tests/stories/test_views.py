import re

import pytest
from django.urls import reverse

from stories.models import Report, Story, Vet
from tests.factories import CategoryFactory, StoryFactory, UserFactory, VetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_member(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def as_moderator(client, moderator):
    client.force_login(moderator)
    return client


class TestListings:
    def test_front_page_lists_published_newest_first(self, client, category):
        older = StoryFactory(category=category, published=True, title="Older published story")
        newer = StoryFactory(category=category, published=True, title="Newer published story")
        queued = StoryFactory(category=category, title="Queued story waits")
        html = client.get("/").content.decode()
        assert html.index(newer.title) < html.index(older.title)
        assert queued.title not in html

    def test_newly_submitted_lists_the_queue(self, client, story, published_story):
        html = client.get(reverse("stories:newly_submitted")).content.decode()
        assert story.title in html
        assert published_story.title not in html

    def test_category_page(self, client, published_story):
        other = StoryFactory(category=CategoryFactory(), published=True, title="Elsewhere entirely")
        response = client.get(published_story.category.get_absolute_url())
        assert response.status_code == 200
        assert published_story.title in response.content.decode()
        assert other.title not in response.content.decode()

    def test_tag_page(self, client, category):
        tagged = StoryFactory(category=category, published=True, tags=["Oceans"])
        untagged = StoryFactory(category=category, published=True, title="No tags story here")
        response = client.get(reverse("stories:tag", args=["oceans"]))
        assert tagged.title in response.content.decode()
        assert untagged.title not in response.content.decode()

    def test_unknown_category_and_tag_are_our_404(self, client):
        for url in ("/category/nope/", "/tags/nope/", "/no/such/page/"):
            response = client.get(url)
            assert response.status_code == 404
            assert "Page not found" in response.content.decode()

    def test_pagination(self, client, category, settings):
        settings.STORIES_PER_PAGE = 2
        StoryFactory.create_batch(3, category=category, published=True)
        assert client.get("/?page=2").status_code == 200
        assert client.get("/?page=zzz").status_code == 200  # bad page numbers show the first

    def test_front_page_queries_do_not_grow(self, client, category, django_assert_max_num_queries):
        submitters = UserFactory.create_batch(5)
        for n in range(50):
            StoryFactory(
                category=category,
                published=True,
                submitter=submitters[n % 5],
                tags=[f"t{n}", "shared"],
            )
        with django_assert_max_num_queries(8):
            response = client.get("/")
        assert response.status_code == 200

    @pytest.mark.parametrize("role", ["anonymous", "member", "moderator"])
    def test_every_listing_for_every_role(self, client, role, member, moderator, published_story):
        if role != "anonymous":
            client.force_login(member if role == "member" else moderator)
        for url in (
            "/",
            "/newly-submitted/",
            published_story.category.get_absolute_url(),
            "/tags/oceans/",
        ):
            assert client.get(url).status_code == 200


class TestStoryPage:
    def test_shows_every_part_of_the_seed_page(self, client, story):
        VetFactory(story=story)
        html = client.get(story.get_absolute_url()).content.decode()
        assert story.title in html
        assert 'href="/category/society-culture/"' in html
        assert 'href="/tags/france/"' in html and ">France<" in html
        assert re.search(
            r'<time datetime="[^"]+" title="\w+day \w+ \d+, \d{4}, \d+:\d\d [ap]m">', html
        )
        assert f'href="{story.url}" rel="nofollow ugc noopener"' in html
        assert (
            "Noted by" in html and reverse("stories:noted_by", args=[story.pk, story.slug]) in html
        )
        assert "Most Active Today in Society &amp; Culture" in html
        assert "Start a petition" in html
        assert "butterfly credits on the news network" in html
        assert "Start here" in html  # sign-up call to action for readers
        assert "Care2 News Network or its affiliates" in html  # footer names the site

    def test_wrong_slug_redirects_to_canonical(self, client, story):
        response = client.get(reverse("stories:detail", args=[story.pk, "wrong"]))
        assert response.status_code == 301
        assert response["Location"] == story.get_absolute_url()

    def test_hidden_story_is_gone_for_readers_but_moderators_see_it(
        self, client, moderator, category
    ):
        hidden = StoryFactory(category=category, status=Story.Status.HIDDEN)
        assert client.get(hidden.get_absolute_url()).status_code == 404
        client.force_login(moderator)
        assert client.get(hidden.get_absolute_url()).status_code == 200

    def test_member_sees_note_it_button_but_not_on_own_story(self, client, member, story):
        client.force_login(member)
        assert "Note it" in client.get(story.get_absolute_url()).content.decode()
        client.force_login(story.submitter)
        assert "This is your story" in client.get(story.get_absolute_url()).content.decode()

    def test_odd_public_names_are_escaped(self, client, story):
        VetFactory(
            story=story, member=UserFactory(first_name="<script>alert(1)</script>", last_name=".")
        )
        html = client.get(reverse("stories:noted_by", args=[story.pk, story.slug])).content.decode()
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; ." in html

    def test_story_page_queries_do_not_grow_with_vets(
        self, client, member, story, django_assert_max_num_queries
    ):
        client.force_login(member)
        for _ in range(100):
            VetFactory(story=story)
        with django_assert_max_num_queries(20):
            assert client.get(story.get_absolute_url()).status_code == 200
        with django_assert_max_num_queries(8):
            response = client.get(
                reverse("stories:noted_by", args=[story.pk, story.slug]) + "?fragment=1"
            )
        assert response.content.decode().count("<li>") == 100

    def test_noted_by_page_works_without_javascript(self, client, story):
        vet = VetFactory(story=story)
        response = client.get(reverse("stories:noted_by", args=[story.pk, story.slug]))
        assert response.status_code == 200
        assert vet.member.public_name in response.content.decode()
        assert "<html" in response.content.decode()

    def test_most_active_today_counts_recent_vets(self, client, category):
        story = StoryFactory(category=category, published=True)
        busy = StoryFactory(category=category, published=True, title="Busy story with notes")
        quiet = StoryFactory(category=category, published=True, title="Quiet story no notes")
        VetFactory.create_batch(2, story=busy)
        html = client.get(story.get_absolute_url()).content.decode()
        sidebar = html[html.index("Most Active Today") :]
        assert busy.title in sidebar
        assert quiet.title not in sidebar


class TestVetView:
    def test_anonymous_is_sent_to_log_in(self, client, story):
        response = client.post(reverse("stories:vet", args=[story.pk]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        assert Vet.objects.count() == 0

    def test_get_is_not_allowed(self, as_member, story):
        assert as_member.get(reverse("stories:vet", args=[story.pk])).status_code == 405

    def test_member_vets_and_sees_a_message(self, as_member, story):
        response = as_member.post(reverse("stories:vet", args=[story.pk]), follow=True)
        assert "Thank you for vetting" in response.content.decode()
        assert Vet.objects.filter(story=story).count() == 1

    def test_twice_gets_a_clear_message_not_a_500(self, as_member, story):
        as_member.post(reverse("stories:vet", args=[story.pk]))
        response = as_member.post(reverse("stories:vet", args=[story.pk]), follow=True)
        assert response.status_code == 200
        assert "already noted" in response.content.decode()

    def test_own_story(self, client, story):
        client.force_login(story.submitter)
        response = client.post(reverse("stories:vet", args=[story.pk]), follow=True)
        assert "cannot note your own story" in response.content.decode()

    def test_json_for_scripts(self, as_member, story):
        url = reverse("stories:vet", args=[story.pk])
        response = as_member.post(url, headers={"accept": "application/json"})
        assert response.json() == {"ok": True, "vet_count": 1, "status": "new"}
        assert as_member.post(url, headers={"accept": "application/json"}).status_code == 409

    def test_next_goes_only_to_this_site(self, as_member, story):
        url = reverse("stories:vet", args=[story.pk])
        response = as_member.post(url, {"next": "//evil.example/"})
        assert response["Location"] == story.get_absolute_url()

    def test_unverified_member_cannot_vet(self, client, story):
        client.force_login(UserFactory(verified=False))
        response = client.post(reverse("stories:vet", args=[story.pk]))
        assert Vet.objects.count() == 0
        assert "verif" in response.content.decode().lower()

    def test_fifth_vet_publishes(self, client, story, settings):
        settings.STORY_PROMOTE_AT_VETS = 5
        VetFactory.create_batch(4, story=story)
        Story.objects.filter(pk=story.pk).update(vet_count=4)
        client.force_login(UserFactory())
        response = client.post(reverse("stories:vet", args=[story.pk]), follow=True)
        assert "put this story on the front page" in response.content.decode()
        assert story.title in client.get("/").content.decode()


class TestReportView:
    def test_form_and_report(self, as_member, story):
        url = reverse("stories:report", args=[story.pk])
        assert "What is wrong with it?" in as_member.get(url).content.decode()
        response = as_member.post(url, {"reason": "broken_link"}, follow=True)
        assert "Moderators will look" in response.content.decode()
        assert Report.objects.get().reason == "broken_link"

    def test_bad_reason_reshows_the_form(self, as_member, story):
        response = as_member.post(
            reverse("stories:report", args=[story.pk]), {"reason": "nope", "note": "kept"}
        )
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        assert 'value="kept"' in response.content.decode()

    def test_twice(self, as_member, story):
        url = reverse("stories:report", args=[story.pk])
        as_member.post(url, {"reason": "spam"})
        response = as_member.post(url, {"reason": "spam"}, follow=True)
        assert "already reported" in response.content.decode()

    def test_anonymous(self, client, story):
        assert client.get(reverse("stories:report", args=[story.pk])).status_code == 302


class TestSubmitView:
    data = {
        "title": "Seaside town bans balloons",
        "url": "https://news.example.org/balloons",
        "summary": "Balloon releases are banned to protect seabirds.",
        "tags": "seabirds, plastic, Plastic",
    }

    def test_anonymous_is_sent_to_log_in(self, client):
        response = client.get(reverse("stories:submit"))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]

    def test_unverified_member_is_asked_to_verify(self, client):
        client.force_login(UserFactory(verified=False))
        response = client.get(reverse("stories:submit"))
        assert "verif" in response.content.decode().lower()
        assert 'name="title"' not in response.content.decode()

    def test_member_submits(self, as_member, member, category):
        response = as_member.post(reverse("stories:submit"), {**self.data, "category": category.pk})
        story = Story.objects.get()
        assert response["Location"] == story.get_absolute_url()
        assert story.submitter == member
        assert sorted(story.tags.names()) == ["plastic", "seabirds"]

    def test_bad_input_keeps_every_field_and_names_each_error(self, as_member, category):
        response = as_member.post(
            reverse("stories:submit"),
            {
                "title": "ab",
                "url": "notaurl",
                "summary": "kept summary",
                "category": category.pk,
                "tags": "",
            },
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert 'value="ab"' in html and 'value="notaurl"' in html and "kept summary" in html
        assert f'<option value="{category.pk}" selected>' in html
        assert html.count('class="error"') >= 3
        assert Story.objects.count() == 0

    def test_duplicate_link_links_to_existing_story(self, as_member, category, published_story):
        response = as_member.post(
            reverse("stories:submit"),
            {**self.data, "url": published_story.url, "category": category.pk},
        )
        html = response.content.decode()
        assert "already submitted recently" in html
        assert published_story.get_absolute_url() in html
        assert Story.objects.count() == 1

    def test_moderator_can_submit_too(self, as_moderator, category):
        as_moderator.post(reverse("stories:submit"), {**self.data, "category": category.pk})
        assert Story.objects.count() == 1


@pytest.mark.parametrize("role", ["anonymous", "member", "moderator"])
def test_story_pages_for_every_role(client, role, member, moderator, story):
    if role != "anonymous":
        client.force_login(member if role == "member" else moderator)
    html = client.get(story.get_absolute_url()).content.decode()
    assert story.title in html
    assert ("Note it" in html) == (role != "anonymous")
    assert ("Sign in</a> to note this story" in html) == (role == "anonymous")
    noted = client.get(reverse("stories:noted_by", args=[story.pk, story.slug]))
    assert noted.status_code == 200
    report = client.get(reverse("stories:report", args=[story.pk]))
    assert report.status_code == (302 if role == "anonymous" else 200)
    submit = client.get(reverse("stories:submit"))
    assert submit.status_code == (302 if role == "anonymous" else 200)


def test_a_moderator_vets_and_reports_like_any_member(client, moderator, story):
    client.force_login(moderator)
    assert client.post(reverse("stories:vet", args=[story.pk])).status_code == 302
    response = client.post(
        reverse("stories:report", args=[story.pk]), {"reason": "spam", "note": "Advert"}
    )
    assert response.status_code == 302
    assert Vet.objects.filter(story=story, member=moderator).exists()
    assert Report.objects.filter(story=story, member=moderator).exists()
