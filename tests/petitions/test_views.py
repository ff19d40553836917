import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from petitions import services
from petitions.models import Petition, Signature
from tests.factories import CategoryFactory, StoryFactory, UserFactory
from tests.petitions.conftest import image_upload
from tests.petitions.factories import PetitionFactory, PetitionUpdateFactory, SignatureFactory

pytestmark = pytest.mark.django_db

PROMISE = "We hate spam. We do not sell or share the email addresses you provide."


@pytest.fixture
def as_member(client, other_member):
    client.force_login(other_member)
    return client


@pytest.fixture
def as_creator(client, petition):
    client.force_login(petition.creator)
    return client


def reader_data(**overrides):
    data = {
        "first_name": "Beth",
        "last_name": "Summers",
        "email": "beth.reader@example.org",
        "country": "FR",
        "comment": "Our children walk there",
        "show_name": "on",
    }
    data.update(overrides)
    return data


def count(petition):
    return services.petition_count(petition_id=petition.pk)


def confirmed_signers(petition, n):
    """``n`` confirmed signatures over three days, a third without a comment, counted."""
    Signature.objects.bulk_create(
        Signature(
            petition=petition,
            first_name=f"Signer{i}",
            last_name="X",
            email=f"s{i}@example.net",
            country="DE",
            comment="Yes" if i % 3 else "",
            status="confirmed",
            confirmed_at=timezone.now() - datetime.timedelta(hours=i % 72),
        )
        for i in range(n)
    )
    services._shard_add(petition.pk, n)


# --- The petition page --------------------------------------------------------------------


class TestPetitionPage:
    def test_shows_everything(self, client, petition):
        SignatureFactory(
            petition=petition,
            first_name="Beth",
            last_name="summers",
            country="FR",
            comment="For the school run",
            confirmed_at=timezone.now() - datetime.timedelta(hours=2),
        )
        SignatureFactory(petition=petition, first_name="Secret", show_name=False, country="")
        PetitionUpdateFactory(petition=petition, title="Council meeting on Tuesday")
        response = client.get(petition.get_absolute_url())
        html = response.content.decode()
        assert response.status_code == 200
        assert petition.title in html and petition.target in html
        assert 'data-testid="signature-count">2<' in html
        assert '<progress class="petition-bar" max="1000" value="2"' in html
        assert "Beth S from France, <time" in html and "2 hours ago" in html
        assert "A supporter" in html and "Secret" not in html
        assert "For the school run" in html
        assert "Council meeting on Tuesday" in html
        assert "<svg" in html and "<rect" in html
        assert "facebook.com/sharer" in html and "twitter.com/intent/tweet" in html
        assert 'property="og:title"' in html
        assert PROMISE in html
        for name in ("first_name", "last_name", "email", "country", "comment"):
            assert f'for="id_{name}"' in html
        assert reverse("petitions:embed", args=[petition.pk]) in html

    def test_wrong_slug_redirects(self, client, petition):
        response = client.get(reverse("petitions:detail", args=[petition.pk, "wrong"]))
        assert response.status_code == 301 and response["Location"] == petition.get_absolute_url()

    def test_hidden_is_gone_for_readers_but_not_for_creator(self, client, petition):
        services.petitions_hide(petition_ids=[petition.pk], reason="Spam")
        assert client.get(petition.get_absolute_url()).status_code == 404
        client.force_login(petition.creator)
        response = client.get(petition.get_absolute_url())
        assert (
            response.status_code == 200
            and "Hidden by a moderator: Spam" in response.content.decode()
        )

    def test_member_sees_one_click_form(self, as_member, petition, other_member):
        html = as_member.get(petition.get_absolute_url()).content.decode()
        assert f"You sign as <strong><bdi>{other_member.public_name}</bdi></strong>" in html
        assert 'name="email"' not in html

    def test_query_count_with_500_signers(self, client, petition, django_assert_max_num_queries):
        confirmed_signers(petition, 500)
        PetitionUpdateFactory.create_batch(3, petition=petition)
        with django_assert_max_num_queries(10):
            response = client.get(petition.get_absolute_url())
        assert 'data-testid="signature-count">500<' in response.content.decode()

    def test_query_count_for_member_with_500_signers(
        self, as_member, petition, django_assert_max_num_queries
    ):
        confirmed_signers(petition, 500)
        with django_assert_max_num_queries(14):
            response = as_member.get(petition.get_absolute_url())
        assert 'data-testid="signature-count">500<' in response.content.decode()


# --- Signing through the page -------------------------------------------------------------


class TestSigning:
    def test_reader_signs_confirms_with_post_only(
        self, client, petition, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("petitions:sign", args=[petition.pk]), reader_data())
        assert response.status_code == 302
        assert response["Location"] == reverse("petitions:check_email", args=[petition.pk])
        assert "check your e-mail" in client.get(response["Location"]).content.decode()
        assert count(petition) == 0
        body = mail.outbox[0].body
        confirm_path = re.search(r"(/petitions/confirm/[^/\s]+/)", body).group(1)
        # A mail scanner's GET shows the button and confirms nothing.
        page = client.get(confirm_path)
        assert page.status_code == 200 and "Confirm my signature" in page.content.decode()
        assert count(petition) == 0
        response = client.post(confirm_path)
        assert response.status_code == 302 and response["Location"] == petition.get_absolute_url()
        assert count(petition) == 1
        client.post(confirm_path)
        assert count(petition) == 1
        html = client.get(petition.get_absolute_url()).content.decode()
        assert 'data-testid="signature-count">1<' in html and "Beth S from France" in html

    def test_reader_withdraws_through_email_link(
        self, client, petition, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("petitions:sign", args=[petition.pk]), reader_data())
        body = mail.outbox[0].body
        client.post(re.search(r"(/petitions/confirm/[^/\s]+/)", body).group(1))
        withdraw_path = re.search(r"(/petitions/withdraw/[^/\s]+/)", body).group(1)
        assert client.get(withdraw_path).status_code == 200
        assert count(petition) == 1
        client.post(withdraw_path)
        assert count(petition) == 0 and Signature.objects.count() == 0
        assert client.get(withdraw_path).status_code == 410

    def test_bad_link_is_a_clear_error(self, client):
        response = client.get(reverse("petitions:confirm", args=["not-a-token"]))
        assert response.status_code == 400 and "not valid" in response.content.decode()

    def test_invalid_form_keeps_what_was_typed(self, client, petition):
        response = client.post(
            reverse("petitions:sign", args=[petition.pk]),
            reader_data(email="not-an-email", country=""),
        )
        html = response.content.decode()
        assert response.status_code == 400
        assert 'value="Beth"' in html and 'value="not-an-email"' in html
        assert "Our children walk there" in html
        assert Signature.objects.count() == 0

    def test_same_email_twice_says_already_signed(self, client, petition):
        client.post(reverse("petitions:sign", args=[petition.pk]), reader_data())
        response = client.post(
            reverse("petitions:sign", args=[petition.pk]),
            reader_data(email=" BETH.reader@example.org "),
        )
        assert response.status_code == 409
        assert "already signed" in response.content.decode()
        assert Signature.objects.count() == 1

    def test_rate_limit_five_attempts_a_minute_keeps_form(
        self, client, petition, settings, still_clock
    ):
        settings.PETITION_SIGN_RATE = "5/m"
        for i in range(5):
            response = client.post(
                reverse("petitions:sign", args=[petition.pk]),
                reader_data(email=f"r{i}@example.org"),
            )
            assert response.status_code == 302
        response = client.post(
            reverse("petitions:sign", args=[petition.pk]), reader_data(email="sixth@example.org")
        )
        html = response.content.decode()
        assert response.status_code == 429
        assert "Too many signatures" in html
        assert 'value="sixth@example.org"' in html and 'value="Beth"' in html
        assert Signature.objects.count() == 5

    def test_member_signs_in_one_click_and_withdraws(self, as_member, petition, other_member):
        response = as_member.post(
            reverse("petitions:sign", args=[petition.pk]),
            {"comment": "Count me in", "show_name": "on"},
        )
        assert response.status_code == 302
        assert count(petition) == 1
        html = as_member.get(petition.get_absolute_url()).content.decode()
        assert "You signed this petition" in html and "Count me in" in html
        assert other_member.public_name in html
        response = as_member.post(reverse("petitions:sign", args=[petition.pk]), {})
        assert response.status_code == 409 and "already signed" in response.content.decode()
        as_member.post(reverse("petitions:withdraw", args=[petition.pk]))
        assert count(petition) == 0

    def test_closed_petition_has_no_form_and_refuses(self, client, petition):
        services.petition_close(petition=petition)
        html = client.get(petition.get_absolute_url()).content.decode()
        assert "no longer takes signatures" in html and 'name="email"' not in html
        response = client.post(reverse("petitions:sign", args=[petition.pk]), reader_data())
        assert response.status_code == 409 and Signature.objects.count() == 0

    def test_hidden_petition_cannot_be_signed(self, client, petition):
        services.petitions_hide(petition_ids=[petition.pk], reason="x")
        response = client.post(reverse("petitions:sign", args=[petition.pk]), reader_data())
        assert response.status_code == 404 and Signature.objects.count() == 0

    def test_sign_get_not_allowed(self, client, petition):
        assert client.get(reverse("petitions:sign", args=[petition.pk])).status_code == 405


# --- Lists ----------------------------------------------------------------------------------


class TestLists:
    def test_featured_orders_by_last_24_hours(self, client, category):
        busy = PetitionFactory(category=category, title="Busy petition today")
        quiet = PetitionFactory(category=category, title="Quiet petition today")
        old_crowd = PetitionFactory(category=category, title="Old crowd petition")
        SignatureFactory.create_batch(3, petition=busy)
        SignatureFactory(petition=quiet)
        SignatureFactory.create_batch(
            5, petition=old_crowd, confirmed_at=timezone.now() - datetime.timedelta(days=3)
        )
        html = client.get(reverse("petitions:list")).content.decode()
        assert html.index(busy.title) < html.index(quiet.title) < html.index(old_crowd.title)
        assert "3 in the last 24 hours" in html

    def test_newest_victories_category(self, client, category):
        other_cat = CategoryFactory()
        first = PetitionFactory(category=category, title="First petition opened")
        second = PetitionFactory(category=other_cat, title="Second petition opened")
        won = PetitionFactory(
            category=category, title="Petition that won", status="victory", closed_at=timezone.now()
        )
        hidden = PetitionFactory(category=category, title="Hidden one", hidden_at=timezone.now())
        html = client.get(reverse("petitions:newest")).content.decode()
        assert html.index(second.title) < html.index(first.title)
        assert won.title not in html and hidden.title not in html
        html = client.get(reverse("petitions:victories")).content.decode()
        assert won.title in html and first.title not in html
        html = client.get(reverse("petitions:category", args=[category.slug])).content.decode()
        assert first.title in html and won.title in html and second.title not in html
        assert hidden.title not in html
        assert client.get(reverse("petitions:category", args=["nope"])).status_code == 404

    @pytest.mark.parametrize("name", ["petitions:list", "petitions:newest", "petitions:victories"])
    def test_list_query_counts(self, client, category, name, django_assert_max_num_queries):
        for i in range(15):
            p = PetitionFactory(
                category=category,
                status="victory" if i % 2 else "open",
                closed_at=timezone.now() if i % 2 else None,
            )
            SignatureFactory.create_batch(2, petition=p)
        with django_assert_max_num_queries(6):
            response = client.get(reverse(name))
        assert response.status_code == 200

    def test_story_page_lists_petitions_from_it(self, client, category):
        story = StoryFactory(category=category, published=True)
        petition = PetitionFactory(
            category=category, story=story, title="Petition grown from story"
        )
        SignatureFactory(petition=petition)
        html = client.get(story.get_absolute_url()).content.decode()
        assert "Petitions from this story" in html and petition.title in html
        assert "1 signature)" in html


# --- Starting -------------------------------------------------------------------------------


class TestStart:
    def test_requires_login_and_verified_email(self, client, category):
        response = client.get(reverse("petitions:start"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        client.force_login(UserFactory(verified=False))
        response = client.get(reverse("petitions:start"))
        assert "petitions/start.html" not in [t.name for t in response.templates]

    def test_story_is_preselected(self, client, member, category):
        story = StoryFactory(category=category, published=True, title="The story we grow from")
        client.force_login(member)
        html = client.get(reverse("petitions:start") + f"?story={story.pk}").content.decode()
        assert "The story we grow from" in html
        assert f'name="story" value="{story.pk}"' in html
        assert f'<option value="{category.pk}" selected>' in html

    def test_start_with_image(self, client, member, category, django_capture_on_commit_callbacks):
        client.force_login(member)
        with django_capture_on_commit_callbacks(execute=True):  # the image task runs on commit
            response = client.post(
                reverse("petitions:start"),
                {
                    "title": "Light the underpass on Mill Road",
                    "target": "Mill Road Highways Office",
                    "why": "It is dark and people feel unsafe.",
                    "category": category.pk,
                    "goal": 500,
                    "deadline": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
                    "image": image_upload("JPEG", size=(2000, 1500)),
                },
            )
        petition = Petition.objects.get()
        assert response.status_code == 302 and response["Location"] == petition.get_absolute_url()
        assert petition.creator == member and petition.goal == 500 and petition.image
        assert timezone.localtime(
            petition.deadline
        ).date() == timezone.localdate() + datetime.timedelta(days=30)
        html = client.get(petition.get_absolute_url()).content.decode()
        assert petition.image.url in html

    def test_errors_keep_text_and_explain(self, client, member, category):
        client.force_login(member)
        response = client.post(
            reverse("petitions:start"),
            {
                "title": "Too short",
                "target": "",
                "why": "Kept text",
                "category": category.pk,
                "goal": 0,
                "deadline": "2000-01-01",
                "image": image_upload("GIF", size=(20, 20)),
            },
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert "at least 10 characters" in html
        assert "JPEG, PNG or WebP" in html
        assert "Choose a day after today" in html
        assert "Kept text" in html and 'value="Too short"' in html
        assert Petition.objects.count() == 0


# --- Creator actions ------------------------------------------------------------------------


class TestCreator:
    def test_manage_is_creator_only(self, client, petition, other_member):
        client.force_login(other_member)
        assert client.get(reverse("petitions:manage", args=[petition.pk])).status_code == 404
        assert client.get(reverse("petitions:csv", args=[petition.pk])).status_code == 404
        assert client.post(reverse("petitions:close", args=[petition.pk])).status_code == 404

    def test_creator_posts_update_closes_and_declares_victory(self, as_creator, petition):
        assert as_creator.get(reverse("petitions:manage", args=[petition.pk])).status_code == 200
        as_creator.post(
            reverse("petitions:update", args=[petition.pk]),
            {"title": "Hearing booked", "body": "We speak on the 3rd."},
        )
        assert "Hearing booked" in as_creator.get(petition.get_absolute_url()).content.decode()
        response = as_creator.post(
            reverse("petitions:victory", args=[petition.pk]), {"message": ""}
        )
        assert response.status_code == 400
        as_creator.post(reverse("petitions:close", args=[petition.pk]))
        petition.refresh_from_db()
        assert petition.status == "closed"
        as_creator.post(
            reverse("petitions:victory", args=[petition.pk]), {"message": "The path stays!"}
        )
        petition.refresh_from_db()
        assert petition.status == "victory"
        assert "The path stays!" in as_creator.get(petition.get_absolute_url()).content.decode()

    def test_csv_download_streams(self, as_creator, petition):
        SignatureFactory(
            petition=petition,
            first_name="Ana",
            last_name="Lopez",
            allow_contact=True,
            email="ana@example.org",
        )
        response = as_creator.get(reverse("petitions:csv", args=[petition.pk]))
        assert response.status_code == 200 and response.streaming
        assert response["Content-Type"].startswith("text/csv")
        body = b"".join(response.streaming_content).decode()
        assert "Ana L,France" in body and "ana@example.org" in body


# --- Embed ----------------------------------------------------------------------------------


def test_embed_card_can_be_framed_anywhere(client, petition):
    SignatureFactory(petition=petition)
    response = client.get(reverse("petitions:embed", args=[petition.pk]))
    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert petition.title in html and "Sign this petition" in html and "<progress" in html


def test_other_pages_cannot_be_framed(client, petition):
    response = client.get(petition.get_absolute_url())
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]


def test_embed_of_hidden_petition_is_404(client, petition):
    services.petitions_hide(petition_ids=[petition.pk], reason="x")
    assert client.get(reverse("petitions:embed", args=[petition.pk])).status_code == 404


# --- Double submission ----------------------------------------------------------------------


def _form_key(html: str) -> str:
    import re

    return re.search(r'name="submission_key" value="([0-9a-f-]{36})"', html).group(1)


def test_a_start_form_submitted_twice_starts_one_petition(client, member, category):
    """Two clicks, or back and resubmit: the second post gets the first petition."""
    client.force_login(member)
    key = _form_key(client.get(reverse("petitions:start")).content.decode())
    data = {
        "title": "Light the underpass on Mill Road",
        "target": "Mill Road Highways Office",
        "why": "It is dark and people feel unsafe.",
        "category": category.pk,
        "goal": 500,
        "submission_key": key,
    }
    first = client.post(reverse("petitions:start"), data)
    second = client.post(reverse("petitions:start"), data)
    petition = Petition.objects.get()
    assert first["Location"] == second["Location"] == petition.get_absolute_url()
    # A fresh form is a new petition.
    fresh = _form_key(client.get(reverse("petitions:start")).content.decode())
    assert fresh != key
    client.post(reverse("petitions:start"), {**data, "submission_key": fresh})
    assert Petition.objects.count() == 2


def test_an_update_form_submitted_twice_posts_one_update(as_creator, petition):
    from petitions.models import PetitionUpdate

    html = as_creator.get(reverse("petitions:manage", args=[petition.pk])).content.decode()
    data = {
        "title": "Hearing booked",
        "body": "We speak on the 3rd.",
        "submission_key": _form_key(html),
    }
    for _ in range(2):
        response = as_creator.post(reverse("petitions:update", args=[petition.pk]), data)
        assert response.status_code == 302
    assert PetitionUpdate.objects.filter(petition=petition).count() == 1


def test_member_signers_show_their_number_readers_and_hidden_names_do_not(
    client, petition, django_assert_max_num_queries
):
    """The number after a member's name, as on every page; a reader has none, and a
    member who hid their name stays "A supporter"."""
    from credits.services import credit_adjust

    shown = UserFactory(first_name="Rosa", last_name="Park")
    hidden = UserFactory(first_name="Quiet", last_name="One")
    for member in (shown, hidden):
        credit_adjust(member=member, amount=41, note="Welcome")  # signing pays 1 more
    services.signature_sign_member(petition=petition, member=shown, comment="For my street")
    services.signature_sign_member(petition=petition, member=hidden, show_name=False)
    SignatureFactory(petition=petition, first_name="Lucia", last_name="Mar", country="ES")
    with django_assert_max_num_queries(10):
        html = client.get(petition.get_absolute_url()).content.decode()
    number = '<span class="member-number" title="butterfly credits earned">(42)</span>'
    rosa = f'<a href="{shown.get_absolute_url()}"><bdi>Rosa P</bdi></a> {number}'
    assert html.count(rosa) == 2  # latest signers and "Why people sign"
    assert "Lucia M from Spain" in html
    assert f"A supporter {number}" not in html and "Quiet O" not in html
