"""Build the large data set for the benchmarks, with a progress bar. Idempotent: a second
run adds nothing (each part counts what is there and adds only what is missing, in
batches that commit whole).

    .venv/bin/python bench/build_data.py          # the full set (PostgreSQL)
    .venv/bin/python bench/build_data.py --comments 20000 --signatures 20000   # smaller

What it makes:
- 2,000 members; one member with a verified e-mail whose session views the member pages;
  16 more (``COMMENTERS``) who post the bench's comments, each with their own session (a
  real member comments now and then: a hot story's comments come from many members);
- 10,000 stories in 8 categories (three in four published), tags on every tenth, one hot
  story with 1,000 vets;
- 1,000,000 comments on the published stories, in threads (a third top-level, the rest
  replies up to COMMENT_MAX_DEPTH deep) with their materialized ``path`` and ``depth`` as
  comments.services stores them; one story has 2,000 comments, one has 100, the rest share
  the remainder; ``Story.comment_count`` set from the rows;
- 200 petitions with 1,000,000 confirmed signatures (one petition has a fifth of them),
  each batch adding to the petition's sharded counter in the same transaction, so
  ``petitions_reconcile`` finds no mismatch;
- then the search index (``search_reindex``) and ANALYZE.

Comments and signatures go in with PostgreSQL's COPY (ids for comments are reserved from
the table's sequence first, since a comment's path holds its own id).

``--targets`` prints, as JSON, what bench/run.py measures (paths, a member session).
"""

import argparse
import datetime
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "care2.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from care2.sanitize import sanitize_comment  # noqa: E402
from care2.users.models import User  # noqa: E402
from comments.models import Comment, path_segment  # noqa: E402
from petitions.models import CountShard, Petition, Signature  # noqa: E402
from petitions.services import next_goal  # noqa: E402
from stories.models import Category, Story, Vet  # noqa: E402

POSTER_EMAIL = "bench-poster@bench.example"
COMMENTERS = 16  # one per wrk connection of the default run
STORY_2000 = "bench.example/3"
STORY_100 = "bench.example/5"
STORY_POST = "bench.example/2"  # the bench's comment POSTs go here
BIG_PETITION_SHARE = 5  # the first petition has 1/5 of all signatures
MEMBER_EMAIL = r"^bench[0-9]+@bench\.example$"  # the 2,000, not the poster or commenters


def progress(label, done, total, started=None):
    width = 40
    filled = int(width * done / max(total, 1))
    rate = ""
    if started is not None:
        elapsed = time.perf_counter() - started
        rate = f"  {elapsed:5.0f} s"
    sys.stdout.write(
        f"\r{label:<11} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}{rate}"
    )
    if done >= total:
        sys.stdout.write("\n")
    sys.stdout.flush()


# --- COPY ----------------------------------------------------------------------------


def _copy(model, attnames: list[str], rows) -> None:
    """COPY ``rows`` (tuples of ``attnames`` values) into the model's table; every other
    column gets its field's default, so new fields added later need no change here."""
    fields = [f for f in model._meta.concrete_fields if f.attname not in attnames]
    fields = [f for f in fields if not f.primary_key]
    tail = tuple(f.get_db_prep_save(f.get_default(), connection) for f in fields)
    columns = [model._meta.get_field(a).column for a in attnames] + [f.column for f in fields]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row + tail)


def _reserve_ids(model, n: int) -> range:
    """``n`` consecutive primary keys taken from the table's sequence."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        seq = cursor.fetchone()[0]
        cursor.execute("SELECT setval(%s, nextval(%s) + %s - 1)", [seq, seq, n])
        last = cursor.fetchone()[0]
    return range(last - n + 1, last + 1)


# --- members, stories --------------------------------------------------------------


def build_members(n: int) -> list[int]:
    have = User.objects.filter(email__regex=MEMBER_EMAIL).count()
    for start in range(have, n, 1000):
        User.objects.bulk_create(
            User(
                email=f"bench{i}@bench.example",
                first_name=f"Bench{i}",
                last_name="Member",
                password="!",
            )
            for i in range(start, min(start + 1000, n))
        )
        progress("members", min(start + 1000, n), n)
    _verified_member(POSTER_EMAIL, "Bench", "Poster")
    for i in range(COMMENTERS):
        _verified_member(commenter_email(i), "Commenter", f"{i}")
    return list(
        User.objects.filter(email__regex=MEMBER_EMAIL)
        .order_by("pk")
        .values_list("pk", flat=True)[:n]
    )


def commenter_email(i: int) -> str:
    return f"bench-commenter-{i}@bench.example"


def _verified_member(email: str, first_name: str, last_name: str) -> User:
    """A member who may comment (a verified e-mail); made once, kept verified."""
    from allauth.account.models import EmailAddress

    member, _ = User.objects.get_or_create(
        email=email, defaults={"first_name": first_name, "last_name": last_name}
    )
    EmailAddress.objects.get_or_create(
        user=member, email=email, defaults={"verified": True, "primary": True}
    )
    EmailAddress.objects.filter(user=member).update(verified=True)
    return member


def build_stories(n: int, members: list[int], hot_vets: int) -> None:
    categories = [
        Category.objects.get_or_create(
            slug=f"bench-{i}", defaults={"name": f"Bench category {i}", "order": i}
        )[0]
        for i in range(8)
    ]
    have = Story.objects.filter(url_key__startswith="bench.example/").count()
    now = timezone.now()
    started = time.perf_counter()
    for start in range(have, n, 1000):
        with transaction.atomic():
            created = Story.objects.bulk_create(
                Story(
                    title=f"Bench story {i} about rivers and communities",
                    slug=f"bench-story-{i}",
                    url=f"https://bench.example/{i}",
                    url_key=f"bench.example/{i}",
                    summary="A summary long enough to look like a real one. " * 4,
                    category=categories[i % len(categories)],
                    submitter_id=members[i % len(members)],
                    status=Story.Status.PUBLISHED if i % 4 else Story.Status.NEW,
                    created_at=now - datetime.timedelta(minutes=i),
                    published_at=(now - datetime.timedelta(minutes=i)) if i % 4 else None,
                )
                for i in range(start, min(start + 1000, n))
            )
            for story in created[::10]:
                story.tags.add(f"bench-tag-{story.pk % 50}", "bench")
        progress("stories", min(start + 1000, n), n, started)

    hot = Story.objects.filter(url_key="bench.example/1").first()
    if hot is not None:
        voters = [m for m in members if m != hot.submitter_id][:hot_vets]
        Vet.objects.bulk_create(
            (Vet(member_id=m, story=hot) for m in voters),
            ignore_conflicts=True,
            batch_size=1000,
        )
        Story.objects.filter(pk=hot.pk).update(vet_count=Vet.objects.filter(story=hot).count())


# --- comments ----------------------------------------------------------------------

# Original sample text, combined into bodies of a realistic length.
PHRASES = [
    "Our town tried something like this last spring and the river came back within a year.",
    "I would like to see the numbers behind this before I believe it.",
    "Thank you for sharing; I had no idea this was happening so close to home.",
    "Volunteers cleaned the whole shoreline in a weekend. It can be done.",
    "The council meeting is on Thursday, if anyone wants to speak up.",
    "This is the kind of story that should be on every front page.",
    "My grandmother remembers when the fish were everywhere here.",
    "Small changes add up: we switched the school garden to rainwater.",
    "I disagree with the conclusion, but the reporting is careful and fair.",
    "Has anyone written to the regional water board about it?",
    "Good news for once. Let's keep the pressure on.",
    "The comments here are more useful than the article itself, honestly.",
]


def _comment_texts(rnd: random.Random, n: int = 64) -> list[tuple[str, str]]:
    texts = []
    for _ in range(n):
        body = " ".join(rnd.sample(PHRASES, rnd.randint(1, 3)))
        if rnd.random() < 0.3:
            body += "\n\nMore here: https://bench.example/more"
        texts.append((body, sanitize_comment(body)))
    return texts


def _comment_plan(total: int) -> dict[int, int]:
    """Story id -> number of comments it should have."""
    published = list(
        Story.objects.filter(url_key__startswith="bench.example/", status=Story.Status.PUBLISHED)
        .order_by("pk")
        .values_list("pk", "url_key")
    )
    fixed = {STORY_2000: 2000, STORY_100: 100}
    plan = {pk: fixed[key] for pk, key in published if key in fixed}
    rest = [pk for pk, key in published if key not in fixed]
    left = max(0, total - sum(plan.values()))
    share, extra = divmod(left, max(1, len(rest)))
    for i, pk in enumerate(rest):
        plan[pk] = share + (1 if i < extra else 0)
    return plan


def build_comments(total: int, members: list[int]) -> None:
    plan = _comment_plan(total)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT story_id, count(*) FROM comments_comment WHERE story_id = ANY(%s) "
            "GROUP BY story_id",
            [list(plan)],
        )
        have = dict(cursor.fetchall())
    missing = [(pk, n - have.get(pk, 0)) for pk, n in plan.items() if n > have.get(pk, 0)]
    todo = sum(n for _, n in missing)
    done = total - todo
    rnd = random.Random(7)
    texts = _comment_texts(rnd)
    max_depth = max(1, settings.COMMENT_MAX_DEPTH)
    now = timezone.now()
    started = time.perf_counter()
    progress("comments", done, total, started)
    batch: list[tuple[int, int]] = []

    def flush():
        nonlocal done
        count = sum(n for _, n in batch)
        with transaction.atomic():
            ids = iter(_reserve_ids(Comment, count))
            rows = []
            for story_pk, n in batch:
                paths, depths, pks = [], [], []
                first = now - datetime.timedelta(minutes=n)
                for i in range(n):
                    pk = next(ids)
                    parent = None
                    if i >= 3 and rnd.random() < 0.67:
                        j = rnd.randrange(max(0, i - 30), i)
                        if depths[j] < max_depth:
                            parent = j
                    if parent is None:
                        path, depth, parent_pk = path_segment(pk), 1, None
                    else:
                        path = paths[parent] + path_segment(pk)
                        depth, parent_pk = depths[parent] + 1, pks[parent]
                    paths.append(path)
                    depths.append(depth)
                    pks.append(pk)
                    body, html = texts[rnd.randrange(len(texts))]
                    rows.append(
                        (
                            pk,
                            story_pk,
                            members[rnd.randrange(len(members))],
                            parent_pk,
                            path,
                            depth,
                            body,
                            html,
                            Comment.Status.VISIBLE.value,
                            first + datetime.timedelta(minutes=i),
                        )
                    )
            _copy(
                Comment,
                [
                    "id",
                    "story_id",
                    "author_id",
                    "parent_id",
                    "path",
                    "depth",
                    "body",
                    "body_html",
                    "status",
                    "created_at",
                ],
                rows,
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE stories_story s SET comment_count = c.n FROM ("
                    "  SELECT story_id, count(*) AS n FROM comments_comment"
                    "  WHERE story_id = ANY(%s) AND status = 'visible' GROUP BY story_id"
                    ") c WHERE s.id = c.story_id",
                    [[pk for pk, _ in batch]],
                )
        done += count
        batch.clear()
        progress("comments", done, total, started)

    pending = 0
    for story_pk, n in missing:
        batch.append((story_pk, n))
        pending += n
        if pending >= 50_000:
            flush()
            pending = 0
    if batch:
        flush()


# --- petitions -----------------------------------------------------------------------

WHY = (
    "Runoff from the new depot reaches the creek after every storm. We ask for a simple "
    "retention basin and public water tests every month, published online."
)


# One signer in twenty says why they signed.
SIGNER_COMMENTS = [
    "I grew up swimming in this creek.",
    "Clean water is not a luxury.",
    "Monthly tests, published: that is all we ask.",
    "Signed for my kids.",
]


def _signature_plan(petitions: list[int], total: int) -> dict[int, int]:
    if not petitions:
        return {}
    big = total // BIG_PETITION_SHARE if len(petitions) > 1 else total
    plan = {petitions[0]: big}
    rest = petitions[1:]
    share, extra = divmod(total - big, max(1, len(rest)))
    for i, pk in enumerate(rest):
        plan[pk] = share + (1 if i < extra else 0)
    return plan


def build_petitions(n: int, total_signatures: int, members: list[int]) -> None:
    categories = list(Category.objects.filter(slug__startswith="bench-").order_by("order"))
    have = Petition.objects.filter(title__startswith="Bench petition ").count()
    plan_counts = _signature_plan(list(range(n)), total_signatures)
    now = timezone.now()
    Petition.objects.bulk_create(
        Petition(
            title=f"Bench petition {i}: clean water for the creek",
            slug=f"bench-petition-{i}",
            target="The regional water board",
            why=WHY,
            why_html=f"<p>{WHY}</p>",
            category=categories[i % len(categories)],
            creator_id=members[i % len(members)],
            goal=next_goal(count=plan_counts.get(i, 0), goal=1000),
            created_at=now - datetime.timedelta(hours=i),
        )
        for i in range(have, n)
    )
    # In creation order: the first (and newest) petition has the most signatures.
    petitions = list(
        Petition.objects.filter(title__startswith="Bench petition ")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    plan = _signature_plan(petitions, total_signatures)
    have = dict(
        Signature.objects.filter(petition__in=petitions, email__startswith="s")
        .filter(email__endswith=".bench.example", status=Signature.Status.CONFIRMED)
        .values_list("petition")
        .annotate(n=Count("pk"))
        .order_by()
    )
    done = sum(min(have.get(pk, 0), n) for pk, n in plan.items())
    started = time.perf_counter()
    progress("signatures", done, total_signatures, started)
    shards = max(1, settings.PETITION_COUNT_SHARDS)
    countries = ["GB", "US", "CA", "AU", "DE", "FR", "IE", "NZ", "IN", "ZA"]
    table = connection.ops.quote_name(CountShard._meta.db_table)
    for pk, n in plan.items():
        start = have.get(pk, 0)
        while start < n:
            end = min(n, start + 100_000)
            with transaction.atomic():
                rows = (
                    (
                        pk,
                        f"Signer{i}",
                        f"Bench{i % 97}",
                        f"s{i}@p{pk}.bench.example",
                        countries[i % len(countries)],
                        i % 5 != 0,
                        SIGNER_COMMENTS[i // 20 % len(SIGNER_COMMENTS)] if i % 20 == 0 else "",
                        Signature.Status.CONFIRMED.value,
                        now - datetime.timedelta(seconds=n - i),
                        now - datetime.timedelta(seconds=n - i),
                        now - datetime.timedelta(seconds=n - i),
                    )
                    for i in range(start, end)
                )
                _copy(
                    Signature,
                    [
                        "petition_id",
                        "first_name",
                        "last_name",
                        "email",
                        "country",
                        "show_name",
                        "comment",
                        "status",
                        "created_at",
                        "confirmed_at",
                        "confirmation_sent_at",
                    ],
                    rows,
                )
                added = end - start
                per, extra = divmod(added, shards)
                values = [(pk, s, per + (1 if s < extra else 0)) for s in range(shards)]
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"INSERT INTO {table} (petition_id, shard, count) VALUES (%s, %s, %s) "
                        f"ON CONFLICT (petition_id, shard) "
                        f"DO UPDATE SET count = {table}.count + EXCLUDED.count",
                        [v for v in values if v[2]],
                    )
            done += end - start
            start = end
            progress("signatures", done, total_signatures, started)
    if done >= total_signatures and not plan:
        progress("signatures", done, total_signatures)


# --- what the bench measures ---------------------------------------------------------


def _session(member: User) -> str:
    """A signed-in session for ``member``, as a browser holds it after signing in."""
    from django.test import Client

    client = Client()
    client.force_login(member, backend=settings.AUTHENTICATION_BACKENDS[0])
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def start_clean() -> None:
    """What earlier runs left is taken away, so every run measures the data set as built:
    the comments their POSTs made on the story the bench posts to (its page, fetched for
    the form's token, would otherwise grow by thousands of comments a run), and the bench's
    Redis database (cached pages, rate-limit counts, and the tasks those POSTs queued with
    no worker to take them)."""
    story = Story.objects.get(url_key=STORY_POST)
    commenters = list(
        User.objects.filter(email__in=[commenter_email(i) for i in range(COMMENTERS)]).values_list(
            "pk", flat=True
        )
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM comments_comment WHERE story_id = %s AND author_id = ANY(%s)",
            [story.pk, commenters],
        )
        removed = cursor.rowcount
        cursor.execute(
            "UPDATE stories_story SET comment_count = "
            "(SELECT count(*) FROM comments_comment WHERE story_id = %s) WHERE id = %s",
            [story.pk, story.pk],
        )
    if settings.CACHES["default"]["BACKEND"] != "django.core.cache.backends.locmem.LocMemCache":
        cache.clear()
    print(f"earlier runs' comments removed: {removed:,}; the bench's Redis database emptied")


def targets() -> dict:
    poster = User.objects.get(email=POSTER_EMAIL)
    commenters = User.objects.filter(
        email__in=[commenter_email(i) for i in range(COMMENTERS)]
    ).order_by("pk")
    stories = {
        s.url_key: s for s in Story.objects.filter(url_key__in=[STORY_2000, STORY_100, STORY_POST])
    }
    big = Petition.objects.filter(title__startswith="Bench petition ").order_by("pk").first()
    category = Category.objects.get(slug="bench-1")
    return {
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "session": _session(poster),
        "commenter_sessions": [_session(member) for member in commenters],
        "category": category.get_absolute_url(),
        "story_100": stories[STORY_100].get_absolute_url(),
        "story_100_comments": stories[STORY_100].comment_count,
        "story_2000": stories[STORY_2000].get_absolute_url(),
        "story_2000_comments": stories[STORY_2000].comment_count,
        "story_post": stories[STORY_POST].get_absolute_url(),
        "comment_post": f"/comments/story/{stories[STORY_POST].pk}/add/",
        "petition": big.get_absolute_url(),
        "petition_sign": f"/petitions/{big.pk}/sign/",
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument("--vets-on-hot-story", type=int, default=1_000)
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--petitions", type=int, default=200)
    parser.add_argument("--signatures", type=int, default=1_000_000)
    parser.add_argument("--targets", action="store_true", help="print what the bench measures")
    args = parser.parse_args()
    if args.targets:
        print(json.dumps(targets()))
        return
    if connection.vendor != "postgresql":
        sys.exit("bench/build_data.py needs PostgreSQL (set DATABASE_URL).")
    started = time.perf_counter()
    members = build_members(args.members)
    build_stories(args.stories, members, args.vets_on_hot_story)
    build_comments(args.comments, members)
    build_petitions(args.petitions, args.signatures, members)
    start_clean()
    t = time.perf_counter()
    call_command("search_reindex")
    print(f"search_reindex: {time.perf_counter() - t:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"data set ready in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
