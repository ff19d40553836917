"""The journeys again, short, on the demo that ``make run`` loads, lived with its own
accounts (README): Dana, the demo member, turns on e-mail copies, comments on a demo
story and gets Beth's reply in her inbox and by e-mail; she notes a newly submitted demo
story and sees Noted-by and her balance change; she starts a petition with a picture,
which Ruth, a reader, signs and confirms from the e-mail; and the demo's newcomer is told
the new-member rule in place of the petition form."""

import io
import re

import pytest
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import expect

from stories.demo import DEMO_MEMBER, MEMBER_PASSWORD, NEWCOMER
from stories.models import Story
from tests.journeys.conftest import JS_MODES, header_balance, log_in

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_EMAIL, DEMO_PASSWORD = DEMO_MEMBER[0], DEMO_MEMBER[1]
BETH = "beth@care2.example"
DISCUSSED = "Beavers reintroduced to a river valley cut flood peaks"
NEWLY_SUBMITTED = "Clinic on wheels brings dental care to remote villages"
PETITION = "Build a fish pass at the old mill weir"
DANA_SAYS = "Our river trust wants to try this upstream of the mill. Any advice?"
BETH_SAYS = "Talk to the farmers first: the ones in the article wrote a guide."


# The database right after ``load_demo``, per test database: {name: [(table, rows)]}.
_DEMO_SNAPSHOTS: dict[str, list[tuple[str, bytes]]] = {}


def load_demo():
    """The demo as ``make run`` loads it. The first journey runs ``load_demo`` itself (half
    a minute on a busy machine: each demo comment goes through the comment service, with
    its notifications and credits) and keeps a copy of every table's rows; the next one,
    after the flush between them, gets those very rows back with PostgreSQL's COPY (the
    foreign keys Django makes are checked at commit, so the order of tables is free), and
    the sequences moved past them. Either way the journey starts on the same demo."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        call_command("load_demo", stdout=io.StringIO())
        return
    tables = sorted(connection.introspection.django_table_names(only_existing=True))
    quote = connection.ops.quote_name
    snapshot = _DEMO_SNAPSHOTS.get(connection.settings_dict["NAME"])
    if snapshot is None:
        call_command("load_demo", stdout=io.StringIO())
        snapshot = []
        with connection.cursor() as cursor:
            for table in tables:
                with cursor.copy(f"COPY {quote(table)} TO STDOUT (FORMAT binary)") as copy:
                    snapshot.append((table, b"".join(bytes(block) for block in copy)))
        _DEMO_SNAPSHOTS[connection.settings_dict["NAME"]] = snapshot
        return
    with transaction.atomic(), connection.cursor() as cursor:
        # What post_migrate put back after the flush (content types, permissions, the
        # site) goes too: the copy's rows, with their own ids, replace it.
        cursor.execute(f"TRUNCATE {', '.join(quote(t) for t, _ in snapshot)} CASCADE")
        for table, rows in snapshot:
            with cursor.copy(f"COPY {quote(table)} FROM STDIN (FORMAT binary)") as copy:
                copy.write(rows)
        for sql in connection.ops.sequence_reset_sql(
            no_style(), apps.get_models(include_auto_created=True)
        ):
            cursor.execute(sql)


def picture(tmp_path):
    path = tmp_path / "weir.jpg"
    Image.new("RGB", (1200, 800), (40, 90, 150)).save(path, format="JPEG")
    return path


@JS_MODES
def test_the_demo_members_day_on_the_demo_site(js, person, outbox, snap, tmp_path, site):
    load_demo()
    discussed = Story.objects.get(title=DISCUSSED)
    newly = Story.objects.get(title=NEWLY_SUBMITTED)
    assert newly.status == Story.Status.NEW and newly.vet_count == 0
    discussed_url, newly_url = discussed.get_absolute_url(), newly.get_absolute_url()
    image_path = picture(tmp_path)

    # Step 1: Dana signs in with the README's log-in; the comment form says e-mail copies
    # are off and links to Settings, where she turns them on.
    dana = person("dana", js=js)
    log_in(dana, DEMO_EMAIL, DEMO_PASSWORD)
    expect(dana.locator("header .member-name")).to_have_text("Dana R")
    dana.goto(discussed_url)
    note = dana.locator("#comment-form").get_by_test_id("track-email-note")
    expect(note).to_contain_text("e-mail copies are off")
    note.get_by_role("link", name="change in Settings").click()
    dana.get_by_label(re.compile("e-mail me when someone comments", re.I)).check()
    dana.get_by_role("button", name="Save settings").click()
    expect(dana.get_by_label(re.compile("e-mail me when someone comments", re.I))).to_be_checked()

    # Step 2: she comments on the demo story and tracks it.
    dana.goto(discussed_url)
    expect(dana.locator("#comment-form").get_by_test_id("track-email-note")).to_contain_text(
        "an e-mail copy"
    )
    dana.get_by_label("Please add your comment:").fill(DANA_SAYS)
    dana.locator("#comment-form").get_by_role("checkbox").check()
    dana.get_by_role("button", name="Post comment").click()
    expect(dana.get_by_text("Your comment is posted.")).to_be_visible()
    expect(dana.get_by_test_id("track-toggle")).to_contain_text("You track comments")
    snap(dana, "commented-on-a-demo-story")
    unread_before = dana.get_by_test_id("unread-count")
    unread = int(unread_before.inner_text()) if unread_before.count() else 0

    # Step 3: Beth (a demo member) replies to her.
    beth = person("beth", js=js)
    log_in(beth, BETH, MEMBER_PASSWORD)
    beth.goto(discussed_url)
    hers = beth.get_by_test_id("comment").filter(has_text=DANA_SAYS).first
    hers.get_by_role("link", name="Reply").click()
    form = beth.locator("form.reply-form") if js else beth.locator("form.comment-form")
    form.locator("textarea").fill(BETH_SAYS)
    form.get_by_role("button", name="Post reply").click()
    expect(beth.get_by_text("Your comment is posted.")).to_be_visible()
    snap(beth, "replied")
    beth.context.close()

    # Step 4: Dana has one more unread message, about Beth's reply; and an e-mail.
    dana.goto("/")
    expect(dana.get_by_test_id("unread-count")).to_have_text(str(unread + 1))
    dana.get_by_test_id("inbox-link").click()
    message = dana.get_by_test_id("inbox-message").first
    expect(message).to_contain_text(f"Beth S commented on “{DISCUSSED}”")
    snap(dana, "inbox")
    sent = outbox.latest(DEMO_EMAIL, "Beth S commented")
    dana.goto(sent.link("/stories/"))
    expect(dana.locator("main")).to_contain_text(BETH_SAYS)

    # Step 5: she notes a newly submitted demo story: the count, Noted-by and her
    # balance in the header change (3 credits for a newly submitted story).
    before = header_balance(dana)
    dana.goto("/newly-submitted/")
    dana.get_by_role("link", name=NEWLY_SUBMITTED).click()
    expect(dana.get_by_test_id("vet-count")).to_have_text("0")
    dana.get_by_role("button", name="Note it").click()
    expect(dana.get_by_text("Thank you for vetting")).to_be_visible()
    expect(dana.get_by_test_id("vet-count")).to_have_text("1")
    expect(dana.get_by_text("You noted this story.")).to_be_visible()
    expect(dana.get_by_test_id("header-credits")).to_have_text(f"{before + 3} credits")
    snap(dana, "noted-a-newly-submitted-story")
    if js:
        expect(dana.locator("#noted-by")).to_contain_text("Dana R")
    else:
        dana.get_by_role("link", name="See who noted this story").click()
        expect(dana.locator("main")).to_contain_text("Dana R")
    dana.goto(newly_url)
    expect(dana.get_by_test_id("header-credits")).to_have_text(f"{before + 3} credits")

    # Step 6: Dana (a member since long ago) starts a petition with a picture.
    dana.get_by_role("link", name="Start a petition").first.click()
    expect(dana.get_by_test_id("new-member-rule")).to_have_count(0)
    dana.get_by_label("Title").fill(PETITION)
    dana.get_by_label("Whom does it address?").fill("The Regional Rivers Authority")
    dana.get_by_label("Why it matters").fill(
        "Salmon reach the weir and turn back.\n\nA fish pass lets them spawn upstream."
    )
    dana.get_by_label("Category").select_option(label="Environment & Wildlife")
    dana.get_by_label("Image").set_input_files(str(image_path))
    dana.get_by_label("Signature goal").fill("50")
    snap(dana, "petition-filled")
    dana.get_by_role("button", name="Start my petition").click()
    expect(dana.get_by_text("Your petition is open")).to_be_visible()
    expect(dana.locator("h1")).to_have_text(PETITION)
    expect(dana.locator("img.petition-image")).to_be_visible()
    snap(dana, "petition-open")
    petition_url = dana.url

    # Step 7: Ruth, a reader, signs; she confirms from the e-mail, exactly as sent.
    ruth = person("ruth", js=js)
    ruth.goto(petition_url)
    ruth.get_by_label("First name").fill("Ruth")
    ruth.get_by_label("Last name").fill("Ames")
    ruth.get_by_role("textbox", name="E-mail").fill("ruth@example.org")
    ruth.get_by_label("Country").select_option(label="Ireland")
    ruth.get_by_role("button", name="Sign this petition").click()
    expect(ruth.get_by_test_id("check-email")).to_be_visible()
    sent = outbox.latest("ruth@example.org", "Please confirm your signature")
    ruth.goto(sent.link("/petitions/confirm/"))
    ruth.get_by_role("button", name="Confirm my signature").click()
    expect(ruth.get_by_text("Your signature is confirmed")).to_be_visible()
    expect(ruth.get_by_test_id("signature-count")).to_have_text("1")
    expect(ruth.get_by_test_id("latest-signers")).to_contain_text("Ruth A from Ireland")
    snap(ruth, "signed-and-confirmed")
    dana.goto(petition_url)
    expect(dana.get_by_test_id("signature-count")).to_have_text("1")

    # Step 8: the demo's newcomer is told the 24-hour rule in place of the form.
    newcomer = person("newcomer", js=js)
    log_in(newcomer, NEWCOMER[0], NEWCOMER[1])
    newcomer.get_by_role("link", name="Start a petition").first.click()
    expect(newcomer.get_by_test_id("new-member-rule")).to_contain_text(
        "You can start a petition from"
    )
    expect(newcomer.get_by_role("button", name="Start my petition")).to_have_count(0)
    snap(newcomer, "new-member-rule")
