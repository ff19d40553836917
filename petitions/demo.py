"""Original demo petitions for `make run`: signers, their comments and creators' updates.

Written for this project. ``load`` is idempotent: a petition is looked up by title before
anything is created, so a second run changes nothing.
"""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from care2.users.models import User
from petitions.models import CountShard, Petition, PetitionUpdate, Signature
from petitions.text import sanitize_text
from stories.models import Category, Story

READER_NAMES = [
    ("Lucia", "Moreno", "ES"),
    ("Henrik", "Dahl", "NO"),
    ("Priya", "Raman", "IN"),
    ("Kwame", "Mensah", "GH"),
    ("Sophie", "Laurent", "FR"),
    ("Diego", "Santos", "BR"),
    ("Aiko", "Tanaka", "JP"),
    ("Fiona", "Byrne", "IE"),
    ("Marek", "Nowak", "PL"),
    ("Grace", "Okoye", "NG"),
    ("Liam", "Walsh", "GB"),
    ("Emma", "Fischer", "DE"),
    ("Noah", "Peters", "US"),
    ("Olivia", "Brown", "CA"),
    ("Mateo", "Rossi", "IT"),
    ("Sara", "Lind", "SE"),
    ("Yusuf", "Demir", "TR"),
    ("Chloe", "Martin", "AU"),
    ("Ines", "Costa", "PT"),
    ("Tariq", "Aziz", "EG"),
    ("Hana", "Novak", "CZ"),
    ("Owen", "Hughes", "GB"),
    ("Maya", "Levi", "IL"),
    ("Zoe", "Adams", "US"),
]

COMMENTS = [
    "My kids would use this every single day.",
    "Simple, cheap, and long overdue.",
    "Signed for my grandmother, who cannot sign herself.",
    "We did this in our town and it worked.",
    "Please listen to the people who live here.",
    "Every small step like this adds up.",
    "I walk past this every morning. It has to change.",
    "Thank you for starting this!",
]

# (title, target, why, category slug, story source URL or "", goal, days ago, signers,
#  status, victory message, update title, update body)
PETITIONS = [
    (
        "Keep the library repair café open all year",
        "The Library Board of Trustees",
        "The Saturday repair café fixes hundreds of things a month and brings neighbours "
        "together. Its funding runs out in March.\n\nWe ask the board to fund the café "
        "from next year's budget so volunteers can keep fixing what others would throw away.",
        "society-culture",
        "https://news.example.org/2026/11/library-repair-cafe",
        100,
        6,
        38,
        "open",
        "",
        "The board will hear us",
        "The library board put the repair café on the agenda for its next meeting. "
        "Thank you all: 30 signatures in two days made this happen.",
    ),
    (
        "Give beavers legal protection in every river valley",
        "The Ministry of Environment",
        "Beavers cut flood peaks downstream and bring wetlands back to life. Where they "
        "were released, the results speak for themselves.\n\nWe ask the ministry to list "
        "beavers as a protected species and fund advice for farmers who host their dams.",
        "environment-wildlife",
        "https://earth.example.com/beavers-flood-peaks",
        250,
        12,
        64,
        "open",
        "",
        "Farmers are joining in",
        "Two farming unions have written in support of the petition. We passed 50 "
        "signatures this week; please share it with anyone who lives by a river.",
    ),
    (
        "Ban robotic lawnmowers from running at night",
        "The Parliament Environment Committee",
        "Hedgehogs forage at night, and robotic mowers running after dark injure them. "
        "Wildlife hospitals see more cases every summer.\n\nA simple rule — daylight "
        "hours only — would save thousands of animals at no cost to anyone.",
        "animal-welfare",
        "https://wildlife.example.net/hedgehogs-robot-mowers",
        50,
        3,
        21,
        "open",
        "",
        "Two manufacturers respond",
        "Two makers of robotic mowers said they will change their default schedules to "
        "daylight hours. Let's make it the rule for all of them.",
    ),
    (
        "Cook school lunches from scratch in every district school",
        "The District School Board",
        "Where kitchens cook on site, children eat more vegetables and throw less away. "
        "We ask the board to fund kitchen staff and equipment so every school can do it.",
        "health-wellness",
        "https://health.example.com/school-kitchens-scratch",
        100,
        40,
        45,
        "victory",
        "The board voted to fund on-site kitchens in all twelve schools from next autumn. "
        "Thank you to every parent, teacher and student who signed!",
        "Budget vote next week",
        "The board will vote on the kitchen budget next Thursday. Parents are welcome to "
        "attend; bring a friend.",
    ),
    (
        "Restore the number 9 night bus route",
        "The Regional Transit Authority",
        "Shift workers on the east side have no safe way home after the last day bus. "
        "We ask the authority to run the number 9 route again between midnight and 5 am.",
        "society-culture",
        "",
        50,
        25,
        17,
        "closed",
        "",
        "Thank you, and what comes next",
        "The petition is now closed. We delivered it to the authority with your comments "
        "and will post their answer here.",
    ),
]


def _members():
    # The newcomer joined just now: they neither started nor signed these older petitions.
    return list(
        User.objects.filter(email__endswith="@care2.example")
        .exclude(email="newcomer@care2.example")
        .order_by("pk")
    )


@transaction.atomic
def load(*, stdout) -> None:
    now = timezone.now()
    members = _members()
    if not members:
        stdout.write("Petitions: no demo members yet; skipped.")
        return
    creator_pool = [m for m in members if not m.is_staff] or members
    rng = random.Random(5)
    created = 0
    for index, row in enumerate(PETITIONS):
        (
            title,
            target,
            why,
            cat_slug,
            story_url,
            goal,
            days,
            n_signers,
            status,
            victory,
            update_title,
            update_body,
        ) = row
        if Petition.objects.filter(title=title).exists():
            continue
        category = Category.objects.filter(slug=cat_slug).first() or Category.objects.first()
        if category is None:
            stdout.write("Petitions: no categories yet; skipped.")
            return
        story = Story.objects.filter(url=story_url).first() if story_url else None
        created_at = now - datetime.timedelta(days=days)
        closed_at = now - datetime.timedelta(days=2) if status != "open" else None
        petition = Petition.objects.create(
            title=title,
            target=target,
            why=why,
            why_html=sanitize_text(why),
            category=category,
            story=story,
            creator=creator_pool[index % len(creator_pool)],
            goal=goal,
            status=status,
            victory_message=victory,
            closed_at=closed_at,
            created_at=created_at,
        )
        signatures = []
        member_signers = [m for m in members if m.pk != petition.creator_id][: n_signers // 3]
        span = (closed_at or now) - created_at
        for i in range(n_signers):
            signed_at = created_at + span * ((i + 1) / (n_signers + 1)) ** 0.7
            comment = COMMENTS[(i + index) % len(COMMENTS)] if i % 3 == 0 else ""
            if i < len(member_signers):
                m = member_signers[i]
                first, last, country, email = m.first_name, m.last_name, "US", m.email
            else:
                first, last, country = READER_NAMES[(i * 7 + index) % len(READER_NAMES)]
                email = f"signer{index}-{i}@readers.example"
            signatures.append(
                Signature(
                    petition=petition,
                    member=member_signers[i] if i < len(member_signers) else None,
                    first_name=first or "Member",
                    last_name=last,
                    email=email.lower(),
                    country=country,
                    comment=comment,
                    show_name=rng.random() > 0.15,
                    hear_more=i < len(member_signers),
                    allow_contact=rng.random() > 0.6,
                    status=Signature.Status.CONFIRMED,
                    ip=f"198.51.100.{(i * 13 + index) % 250 + 1}",
                    created_at=signed_at,
                    confirmed_at=signed_at,
                )
            )
        Signature.objects.bulk_create(signatures)
        CountShard.objects.create(petition=petition, shard=0, count=len(signatures))
        PetitionUpdate.objects.create(
            petition=petition,
            title=update_title,
            body=update_body,
            created_at=created_at + span * 0.6,
        )
        created += 1
    if created:
        from petitions.search import petitions_reindex

        petitions_reindex()
    stdout.write(f"Petitions: {created} created, {Petition.objects.count()} in all.")
