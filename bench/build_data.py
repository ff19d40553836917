"""Build a large data set for the benchmarks (idempotent per size): members, categories,
stories with tags, and one story with many vets. Shows a progress bar."""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "care2.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from care2.users.models import User  # noqa: E402
from stories.models import Category, Story, Vet  # noqa: E402


def progress(label, done, total):
    width = 40
    filled = int(width * done / max(total, 1))
    sys.stdout.write(f"\r{label:<10} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stdout.write("\n")
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument("--vets-on-hot-story", type=int, default=1_000)
    args = parser.parse_args()

    categories = [
        Category.objects.get_or_create(
            slug=f"bench-{n}", defaults={"name": f"Bench category {n}", "order": n}
        )[0]
        for n in range(8)
    ]
    have = User.objects.filter(email__startswith="bench").count()
    batch = 1000
    for start in range(have, args.members, batch):
        User.objects.bulk_create(
            User(
                email=f"bench{n}@bench.example",
                first_name=f"Bench{n}",
                last_name="Member",
                password="!",
            )
            for n in range(start, min(start + batch, args.members))
        )
        progress("members", min(start + batch, args.members), args.members)
    members = list(User.objects.filter(email__startswith="bench").order_by("pk")[: args.members])

    have = Story.objects.filter(url_key__startswith="bench.example/").count()
    now = timezone.now()
    for start in range(have, args.stories, batch):
        with transaction.atomic():
            created = Story.objects.bulk_create(
                Story(
                    title=f"Bench story {n} about rivers and communities",
                    slug=f"bench-story-{n}",
                    url=f"https://bench.example/{n}",
                    url_key=f"bench.example/{n}",
                    summary="A summary long enough to look like a real one. " * 4,
                    category=categories[n % len(categories)],
                    submitter=members[n % len(members)],
                    status=Story.Status.PUBLISHED if n % 4 else Story.Status.NEW,
                    created_at=now - timezone.timedelta(minutes=n),
                    published_at=(now - timezone.timedelta(minutes=n)) if n % 4 else None,
                )
                for n in range(start, min(start + batch, args.stories))
            )
            for story in created[::10]:
                story.tags.add(f"bench-tag-{story.pk % 50}", "bench")
        progress("stories", min(start + batch, args.stories), args.stories)

    hot = Story.objects.filter(url_key="bench.example/1").first()
    if hot is not None:
        have = Vet.objects.filter(story=hot).count()
        voters = [m for m in members if m.pk != hot.submitter_id][: args.vets_on_hot_story]
        Vet.objects.bulk_create(
            (Vet(member=m, story=hot) for m in voters[have:]),
            ignore_conflicts=True,
            batch_size=1000,
        )
        Story.objects.filter(pk=hot.pk).update(vet_count=Vet.objects.filter(story=hot).count())
        progress("vets", len(voters), len(voters))
        print(f"hot story: {hot.get_absolute_url()}")


if __name__ == "__main__":
    main()
