"""Every generated XSS vector, rendered in Chromium in each place that shows what people
type: comments on a story, a petition's text, its updates and signers' comments, the
inbox, and a member's profile. One page load per place (two for the petition text, which
is longer than one petition's "why" can hold), with the Content Security Policy as served.

A trap installed before any page script (``context.add_init_script``) records a vector
that runs: a write to ``window.__xss``, a call to ``alert``/``confirm``/``prompt``, or a
``securitypolicyviolation`` event (an inline handler or script the policy had to block).
Uncaught page errors and dialogs are recorded too. A page is checked once it has settled
on events, never on a sleep: the ``load`` event, every image, video and frame loaded or
failed, two animation frames; then the mouse is moved over the content and every
focusable element in it is focused (``onmouseover``/``onfocus`` vectors), and the page
settles again.

The story thread does not paginate. The inbox and the profile's comment list do (module
constants, raised here so one page holds them all). A petition page shows its 20 newest
updates and 20 newest signers' comments, so there the vectors are packed, several to an
update or comment, each one numbered so that the count can be checked.
"""

import datetime
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django.utils.text import Truncator
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from care2.sanitize import comment_text, has_visible_text
from comments.services import CommentError, comment_create, tracking_start
from petitions.services import petition_start, petition_update_post, signature_sign_member
from tests.comments.xss_vectors import VECTORS
from tests.factories import CategoryFactory, StoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Forms refuse NUL characters (Django's ProhibitNullCharactersValidator) and PostgreSQL
# cannot store them, so outside comments (whose service drops control characters) a
# vector is typed without them: "java\x00script:" becomes "javascript:", no safer.
TYPED = [vector.replace("\x00", "") for vector in VECTORS]

TRAP = """
(() => {
  // A frame reports into its page's list when it may (same origin); the page's own
  // checks flag any frame in user content anyway.
  let fired = [];
  try {
    if (window.top !== window && window.top.__xssFired) fired = window.top.__xssFired;
  } catch {}
  Object.defineProperty(window, "__xssFired", { value: fired });
  Object.defineProperty(window, "__xss", {
    get() { return undefined; },
    set(value) { fired.push(`window.__xss = ${String(value)}`); },
  });
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    window[name] = (...args) => { fired.push(`${name}(${args.map(String).join(", ")})`); };
  }
  const loaded = new WeakSet();
  Object.defineProperty(window, "__xssLoaded", { value: loaded });
  for (const type of ["load", "error", "loadedmetadata"])
    window.addEventListener(type, (event) => loaded.add(event.target), true);
  document.addEventListener("securitypolicyviolation", (event) => {
    const where = event.target instanceof Element ? event.target.outerHTML.slice(0, 160) : "";
    fired.push(`CSP ${event.effectiveDirective} blocked ${event.blockedURI || event.sample} ${where}`);
  }, true);
})();
"""

# True once every image, video, audio, frame and plug-in element has fired load or
# error (recorded by the trap from the first byte) or is complete; polled on animation
# frames by wait_for_function, so a broken page fails at the timeout instead of hanging.
SETTLED = """
() => {
  for (const element of document.querySelectorAll("[loading=lazy]")) element.loading = "eager";
  return Array.from(document.querySelectorAll("img, video, audio, iframe, object, embed"))
    .filter((element) => !window.__xssLoaded.has(element))
    .filter((element) => {
      if (element instanceof HTMLImageElement) return !element.complete;
      if (element instanceof HTMLMediaElement)
        return element.readyState === 0 && element.error === null
          && element.networkState === HTMLMediaElement.NETWORK_LOADING;
      // Frames and plug-ins in the markup hold back the window's load event.
      return document.readyState !== "complete";
    })
    .map((element) => element.outerHTML.slice(0, 120));
}
"""
TWO_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


# Hover (as events) over and focus every element of the user content; returns the
# content's extent for the real mouse.
TOUCH = """
(selector) => {
  const roots = Array.from(document.querySelectorAll(selector));
  let focused = 0;
  for (const root of roots) {
    for (const element of [root, ...root.querySelectorAll("*")]) {
      for (const type of ["pointerover", "pointerenter", "mouseover", "mouseenter", "mousemove"]) {
        const Kind = type.startsWith("pointer") ? PointerEvent : MouseEvent;
        element.dispatchEvent(new Kind(type, { bubbles: true, composed: true }));
      }
      if (element.matches("a[href], button, input, select, textarea, iframe, summary, [tabindex], [contenteditable]")) {
        element.focus();
        if (document.activeElement === element) focused += 1;
      }
    }
  }
  document.activeElement?.blur();
  const boxes = roots.map((root) => root.getBoundingClientRect());
  return {
    roots: roots.length,
    focused,
    top: Math.min(...boxes.map((box) => box.top)) + window.scrollY,
    bottom: Math.max(...boxes.map((box) => box.bottom)) + window.scrollY,
    left: Math.min(...boxes.map((box) => box.left)),
    right: Math.max(...boxes.map((box) => box.right)),
  };
}
"""

# What the page shows: inside the user content, its tags, links and texts; anywhere on
# the page, inline event handlers, inline scripts and elements that load or run code.
INSPECT = """
([container, item]) => {
  const inside = Array.from(document.querySelectorAll(container))
    .flatMap((root) => Array.from(root.querySelectorAll("*")));
  const handlers = [];
  for (const element of document.querySelectorAll("*"))
    for (const attribute of element.attributes)
      if (attribute.name.toLowerCase().startsWith("on"))
        handlers.push(`<${element.tagName.toLowerCase()} ${attribute.name}=${attribute.value}>`);
  return {
    tags: Array.from(new Set(inside.map((element) => element.tagName.toLowerCase()))),
    hrefs: inside.filter((element) => element.hasAttribute("href"))
      .map((element) => [element.protocol, element.getAttribute("href")]),
    texts: Array.from(document.querySelectorAll(item), (element) => element.innerText),
    handlers,
    active: Array.from(document.querySelectorAll(
      "script:not([src]), iframe, frame, frameset, object, embed, base, meta[http-equiv], math, template, svg script, svg foreignObject"
    ), (element) => element.outerHTML.slice(0, 160)),
  };
}
"""


def _flat(text: str) -> str:
    """Text compared without whitespace and control characters (line breaks become <br>,
    the browser shows controls as nothing)."""
    return re.sub(r"[\x00-\x20\x7f-\x9f\s]+", "", text)


def _numbered(vectors: list[str], start: int = 0) -> list[str]:
    return [f"[{number:03d}] {vector}" for number, vector in enumerate(vectors, start)]


def _pack(items: list[str], *, max_chars: int, max_parts: int) -> list[str]:
    """``items`` joined by blank lines into as few texts of at most ``max_chars`` as
    possible (in order); no more than ``max_parts`` of them."""
    parts, current = [], ""
    for item in items:
        joined = f"{current}\n\n{item}" if current else item
        if len(joined) > max_chars and current:
            parts.append(current)
            joined = item
        current = joined
    parts.append(current)
    assert len(parts) <= max_parts and all(len(part) <= max_chars for part in parts)
    return parts


def _settle(page) -> None:
    """Wait for the load event, every media element, then two animation frames."""
    page.wait_for_load_state("load")
    try:
        page.wait_for_function(f"() => ({SETTLED})().length === 0", polling="raf")
    except PlaywrightTimeout:
        pytest.fail(f"never loaded nor failed: {page.evaluate(SETTLED)}")
    page.evaluate(TWO_FRAMES)


def _touch(page, selector: str) -> dict:
    """Hover over and focus everything in the user content, move the real mouse across
    it, and settle again. The real mouse crosses each screen of content once, from one
    side to the other (each move waits for a frame: a denser sweep costs seconds); the
    events dispatched by TOUCH reach every element."""
    touched = page.evaluate(TOUCH, selector)
    if touched["roots"]:
        height = page.viewport_size["height"]
        ends = (touched["left"] + 2, touched["right"] - 2)
        y, screen = max(0, touched["top"] - height / 4), 0
        while y < touched["bottom"]:
            page.evaluate("(y) => window.scrollTo(0, y)", y)
            page.mouse.move(ends[screen % 2], height / 2)
            y, screen = y + height, screen + 1
        # The screenshot shows the start of the user content.
        page.evaluate("(y) => window.scrollTo(0, y)", max(0, touched["top"] - 40))
    _settle(page)
    return touched


def _fired(page) -> list[str]:
    # Not frame by frame: a frame the policy blocked has no context to evaluate in.
    return page.evaluate("() => window.__xssFired")


def _visit(page, url: str, *, content: str, items: str, screenshot) -> dict:
    """Load ``url`` once, touch its user content (``content``), and return what the
    page shows and what ran; ``texts`` are the inner texts of ``items``."""
    page.goto(url)
    _settle(page)
    touched = _touch(page, content)
    page.screenshot(path=str(screenshot))
    found = page.evaluate(INSPECT, [content, items])
    found["touched"] = touched
    found["fired"] = _fired(page)
    return found


def _problems(found: dict, *, allowed_tags: set[str]) -> list[str]:
    """What no page may show, whatever the place."""
    problems = [f"ran: {fired}" for fired in found["fired"]]
    problems += [f"inline handler: {handler}" for handler in found["handlers"]]
    problems += [f"active element: {element}" for element in found["active"]]
    problems += [f"<{tag}> in user text" for tag in sorted(set(found["tags"]) - allowed_tags)]
    problems += [
        f"link to {href!r}"
        for protocol, href in found["hrefs"]
        if protocol not in {"http:", "https:", "mailto:"}
    ]
    if not found["touched"]["roots"]:
        problems.append("no user content found on the page")
    return problems


def _same_texts(shown, expected) -> bool:
    return sorted(map(_flat, shown)) == sorted(map(_flat, expected))


def _session_cookie(member, base_url: str) -> dict:
    client = Client()
    client.force_login(member)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }


def _numbers(texts) -> list[str]:
    return re.findall(r"\[(\d{3})\]", "\n".join(texts))


def test_every_vector_stays_inert_in_every_place(
    open_browser, live_server, monkeypatch, artifacts_dir
):
    # One page for the whole inbox and the whole list of a member's comments.
    monkeypatch.setattr("care2.users.views.INBOX_PAGE_SIZE", 2 * len(VECTORS))
    monkeypatch.setattr(
        "comments.templatetags.comments_tags.MEMBER_COMMENTS_PER_PAGE", 2 * len(VECTORS)
    )
    category = CategoryFactory()
    # The author's name and bio, the story's title (in the page's <title>, the inbox's
    # subjects and the profile) are vectors too.
    author = UserFactory(
        first_name="<img src=x onerror=alert(1)>",
        last_name="<svg onload=window.__xss=1>",
        bio=_pack(TYPED, max_chars=500, max_parts=len(TYPED))[0],
        date_joined=timezone.now() - datetime.timedelta(days=3),  # may start petitions
    )
    reader = UserFactory(first_name="Reader")
    story = StoryFactory(
        published=True,
        submitter=author,
        category=category,
        title="</title><script>window.__xss=1</script> Seals <img src=x onerror=alert(1)>",
    )
    tracking_start(member=reader, story=story)

    # (1) Comments, through the service; each one notifies the reader, who tracks the
    # story: (4) the inbox. Markup alone shows nothing and is refused: those vectors
    # are posted again after a word, as someone would to get them through.
    refused = 0
    for vector in VECTORS:
        try:
            comment_create(author=author, story=story, body=vector)
        except CommentError:
            assert not has_visible_text(vector), vector
            comment_create(author=author, story=story, body=f"Look: {vector}")
            refused += 1
    comments = list(story.comments.all())
    assert len(comments) == len(VECTORS) and refused < len(VECTORS) / 4
    # As the profile lists them, and as the inbox quotes them.
    excerpts = [Truncator(comment_text(c.body_html, urls=False)).chars(160) for c in comments]
    quoted = [m.body.split("\n\nStop tracking")[0] for m in reader.messages_received.all()]
    assert len(quoted) == len(VECTORS)

    # (2) The petition text: every vector, numbered, in the "why" of two petitions (one
    # holds 10,000 characters), with vectors for their titles and targets.
    numbered = [f"[{number:03d}] {vector}" for number, vector in enumerate(TYPED)]
    whys = _pack(numbered, max_chars=10_000, max_parts=2)
    petitions = [
        petition_start(
            creator=author,
            title=f"{TYPED[number]} #{number}",
            target=TYPED[number + 1],
            why=why,
            category=category,
            story=story,
        )
        for number, why in zip((44, 150), whys, strict=True)
    ]
    # (3) Updates and signers' comments on the first petition, packed into the 20 of
    # each its page shows; update titles and signers' names are vectors as well.
    updates = _pack(numbered, max_chars=5000, max_parts=20)
    for number, body in enumerate(updates):
        petition_update_post(
            petition=petitions[0], by=author, title=f"{TYPED[number]} #{number}", body=body
        )
    signer_comments = _pack(numbered, max_chars=1000, max_parts=20)
    for number, comment in enumerate(signer_comments):
        signer = UserFactory(first_name=TYPED[number][:60])
        signature_sign_member(petition=petitions[0], member=signer, comment=comment)

    cookie = _session_cookie(reader, live_server.url)  # the ORM before the browser
    page = open_browser()
    page.context.add_init_script(TRAP)
    page.context.add_cookies([cookie])
    dialogs, errors = [], []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: errors.append(str(error)))
    problems = {}

    # (1) The story page: the title, the author's name and one comment per vector, with
    # nothing but links inside a comment.
    found = _visit(
        page,
        story.get_absolute_url(),
        content="main h1, .comment-meta bdi, .comment-body",
        items=".comment-body",
        screenshot=artifacts_dir / "xss-comments.png",
    )
    problems["comments"] = _problems(found, allowed_tags={"a"})
    if len(found["texts"]) != len(VECTORS) or not all(map(_flat, found["texts"])):
        problems["comments"].append(f"{len(found['texts'])} comments shown of {len(VECTORS)}")

    # (2) and (3): the first petition's text, title, target, updates, signers' names
    # and comments; the rest of the text on the second petition.
    found = _visit(
        page,
        petitions[0].get_absolute_url(),
        content=(
            "#petition-title, .petition-head .meta strong, .petition-text,"
            " .petition-update > h3, .petition-update > p:not(.meta), .signer-comment > p,"
            " .signer-comment bdi, .latest-signers bdi"
        ),
        items=".petition-text",
        screenshot=artifacts_dir / "xss-petition.png",
    )
    problems["petition"] = _problems(found, allowed_tags={"a", "br"})
    shown_numbers = _numbers(found["texts"])
    shown_updates, shown_comments, heading, target = page.evaluate(
        """() => [
          Array.from(document.querySelectorAll(".petition-update > p:not(.meta)"), (p) => p.innerText),
          Array.from(document.querySelectorAll(".signer-comment > p"), (p) => p.innerText),
          document.querySelector("#petition-title").innerText,
          document.querySelector(".petition-head .meta strong").innerText,
        ]"""
    )
    if not _same_texts(shown_updates, updates):
        problems["petition"].append(f"{len(shown_updates)} updates shown of {len(updates)}")
    if not _same_texts(shown_comments, signer_comments):
        problems["petition"].append(
            f"{len(shown_comments)} signers' comments shown of {len(signer_comments)}"
        )
    if not _same_texts([heading, target], [petitions[0].title, petitions[0].target]):
        problems["petition"].append(f"title and target shown as {heading!r}, {target!r}")

    found = _visit(
        page,
        petitions[1].get_absolute_url(),
        content="#petition-title, .petition-head .meta strong, .petition-text",
        items=".petition-text",
        screenshot=artifacts_dir / "xss-petition-2.png",
    )
    problems["petition 2"] = _problems(found, allowed_tags={"a"})
    shown_numbers += _numbers(found["texts"])
    if shown_numbers != [f"{number:03d}" for number in range(len(VECTORS))]:
        problems["petition"].append(f"{len(shown_numbers)} vectors in the text of {len(VECTORS)}")

    # (4) The reader's inbox: a message per comment, quoting it as plain text.
    found = _visit(
        page,
        "/members/inbox/",
        content=".inbox-subject > a, .inbox-body",
        items=".inbox-body",
        screenshot=artifacts_dir / "xss-inbox.png",
    )
    problems["inbox"] = _problems(found, allowed_tags={"a", "br"})
    shown = [text.split("Stop tracking this story:")[0] for text in found["texts"]]
    if not _same_texts(shown, quoted):
        problems["inbox"].append(f"{len(shown)} messages shown of {len(quoted)}")

    # (5) The author's profile: name, bio, story, petitions, and every comment.
    found = _visit(
        page,
        f"/members/{author.pk}/",
        content=(
            ".profile-header h1 bdi, [data-testid=profile-bio], [data-testid=profile-story] > a,"
            " [data-testid=profile-comment] > a:first-child,"
            " [aria-labelledby=member-petitions-heading] li > a"
        ),
        items="[data-testid=profile-comment] > a:first-child",
        screenshot=artifacts_dir / "xss-profile.png",
    )
    problems["profile"] = _problems(found, allowed_tags={"br"})
    if not _same_texts(found["texts"], excerpts):
        problems["profile"].append(f"{len(found['texts'])} comments shown of {len(excerpts)}")
    bio = page.get_by_test_id("profile-bio").inner_text()
    if _flat(bio) != _flat(author.bio):
        problems["profile"].append(f"bio shown as {bio!r}")

    problems["dialogs"], problems["page errors"] = dialogs, errors
    assert {place: found for place, found in problems.items() if found} == {}


def test_the_trap_sees_a_vector_that_runs(open_browser):
    """The checks above could pass by seeing nothing: a handler that runs, and one the
    Content Security Policy blocks, are both reported."""
    page = open_browser()
    page.context.add_init_script(TRAP)
    page.route(
        "**/no-policy/",
        lambda route: route.fulfill(
            content_type="text/html",
            body="<p>x</p><img src=x onerror=window.__xss=1><svg onload=alert(1)>",
        ),
    )
    page.goto("/no-policy/")
    _settle(page)
    assert sorted(_fired(page)) == ["alert(1)", "window.__xss = 1"]

    page.goto("/")  # served with the site's policy
    _settle(page)
    page.evaluate(
        "() => document.querySelector('main').insertAdjacentHTML("
        "'beforeend', '<img src=x onerror=window.__xss=1>')"
    )
    _settle(page)
    page.wait_for_function("() => window.__xssFired.length > 0")
    fired = _fired(page)
    assert len(fired) == 1 and fired[0].startswith("CSP script-src-attr blocked"), fired
