"""Original demo discussions: threaded, dated comments on every published demo story.

Written for this project. ``load`` is idempotent: a story that already has comments is
left alone, so running it twice changes nothing. Comments go through the service (the
same sanitizing, counting, credits and notifications as a member's), dated after the
story was published. The demo member tracks two stories, so their inbox has messages.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from care2.users.models import User
from comments.models import Comment
from comments.services import comment_create, tracking_start
from stories.models import Story

# The opening comment of each story's discussion, by source link.
OPENERS = {
    "https://news.example.org/2026/11/library-repair-cafe": "Our library tried this last spring. The hardest part was finding someone who could fix sewing machines; now there is a waiting list to learn from her.",
    "https://civic.example.com/parks-four-day-week": "Fewer sick days is the number I'd watch. Outdoor work in summer is exhausting, and a three-day rest might be what keeps people in the job.",
    "https://localnews.example.net/grandparents-code-club": "My father is 74 and just finished his first game with my daughter. It's a maze with a cat in it. They are both very proud.",
    "https://news.example.org/2026/10/community-fridges": "The hygiene rules are the clever part. Ours closed after a week because nobody knew who was responsible for cleaning it.",
    "https://earth.example.com/beavers-flood-peaks": "A third lower flood peaks, for the price of a few animals that build for free. Compare that with what a concrete flood wall costs.",
    "https://rivers.example.org/salmon-count-record": "Two years from weir removal to a record count is faster than anyone predicted. Rivers want to recover if we let them.",
    "https://news.example.org/2026/09/festival-cup-ban": "Paid for itself within the season: that is the line to show every council that says it can't afford a deposit scheme.",
    "https://science.example.net/glacier-melt-models": "Sobering. Models being too optimistic seems to be the pattern for ice everywhere.",
    "https://pets.example.org/foster-network-holidays": "We fostered an old greyhound last December and never gave him back. Best failed foster of my life.",
    "https://policy.example.com/cctv-slaughterhouses": "Cameras only help if someone independent watches the footage. Who reviews it under the new rules?",
    "https://arts.example.org/circus-without-animals": "Went with my kids last weekend. The acrobats were astonishing and nobody missed the lions.",
    "https://health.example.com/school-kitchens-scratch": "Cooking from scratch also means the cooks know what is in every dish, which matters a lot for children with allergies.",
    "https://health.example.com/walking-prescriptions": "The walk is half of it; the coffee afterwards is the other half. That's where the friendships start.",
    "https://localnews.example.net/hospital-garden": "Patients who can walk help with the watering at our hospital. The nurses say it does more for morale than the television.",
    "https://tech.example.org/accessible-entrances-app": "Crowd-sourced data like this is only as good as its updates. I hope they make it easy to report a broken lift.",
    "https://science.example.net/brewery-waste-bioplastic": "Interesting, but I'd like to know whether it composts at home or only in industrial plants.",
    "https://energy.example.org/solar-coop-apartments": "Renters are usually left out of solar entirely. A co-op model for apartment blocks could change that.",
    "https://justice.example.com/asylum-interview-translation": "It is astonishing this was ever in question. A decision about someone's life should not rest on a misunderstanding.",
    "https://labour.example.org/garment-sick-leave": "Congratulations to everyone who kept this campaign going for years. Sick leave protects customers too.",
    "https://civic.example.com/accessible-voting": "A secret ballot should mean secret for everyone. Good to see audio booths finally becoming standard.",
    "https://localnews.example.net/teen-tree-planting": "A thousand trees planted by teenagers, who will be around to sit in their shade. Lovely.",
    "https://pets.example.org/lost-dog-microchip": "Please, everyone: check that your pet's microchip has your current phone number. Ours had our old address for years.",
    "https://news.example.org/2026/08/village-shop": "The post office counter is what makes it work. People come in for stamps and leave with a week's shopping.",
    "https://earth.example.com/hedgerow-planting": "Hedgerows are also windbreaks and they keep soil on the fields. The birds are the bonus everyone can see.",
}

# Replies and further comments, fitting any of the stories; picked in turn.
REPLIES = [
    "Agreed. Small, practical projects like this are how things actually change.",
    "Do you know if there is a guide for starting one? I'd like to suggest it where I live.",
    "Same experience here. It took a year to get going and now nobody remembers life without it.",
    "I'm a bit more cautious: let's see the figures after a second year before we celebrate.",
    "Thank you for sharing this, it made my morning.",
    "Worth writing to your local councillor about. They do read those letters.",
]
FOLLOW_UPS = [
    "There is a good write-up of how other towns organised theirs here: https://guides.example.org/community-projects",
    'The original report has more detail on the numbers: <a href="https://reports.example.net/summary" title="Full report">full report</a>.',
    "Shared this with my neighbours' group. Two people have already offered to help.",
    "We need more stories like this on the front page.",
]
SECOND_REPLIES = [
    "Yes! I wrote to mine last month and got a real answer.",
    "Good point. A second year of data would settle it.",
    "Here is one I found useful: www.example.org/how-to-start",
]


def _members() -> list[User]:
    emails = [
        "beth@care2.example", "allen@care2.example", "hilary@care2.example",
        "barbara@care2.example", "dot@care2.example", "ravi@care2.example",
        "mei@care2.example", "tomas@care2.example", "amara@care2.example",
        "jon@care2.example", "demo@care2.example",
    ]  # fmt: skip
    found = {user.email: user for user in User.objects.filter(email__in=emails)}
    return [found[email] for email in emails if email in found]


@transaction.atomic
def load(*, stdout) -> None:
    now = timezone.now()
    members = _members()
    if len(members) < 3:
        stdout.write("Comments: skipped (load the stories demo first).")
        return
    demo = next((m for m in members if m.email == "demo@care2.example"), None)
    stories = list(
        Story.objects.published().filter(url__in=list(OPENERS)).order_by("published_at", "pk")
    )
    created = 0
    for index, story in enumerate(stories):
        if Comment.objects.filter(story=story).exists():
            continue
        start = story.published_at or story.created_at
        # Spread the discussion over the time since publication (at most ten hours).
        span = min(now - start, datetime.timedelta(hours=10)) - datetime.timedelta(minutes=1)
        step = max(span / 6, datetime.timedelta(seconds=30))

        def at(slot, _start=start, _step=step):
            return min(_start + _step * slot, now)

        candidates = [m for m in members if m.pk != story.submitter_id]

        def author(offset, _index=index, _candidates=candidates):
            return _candidates[(_index + offset) % len(_candidates)]

        if demo is not None and index < 2 and story.submitter_id != demo.pk:
            tracking_start(member=demo, story=story)
        opener = comment_create(
            author=author(0), story=story, body=OPENERS[story.url], created_at=at(1)
        )
        reply = comment_create(
            author=author(1),
            story=story,
            body=REPLIES[index % len(REPLIES)],
            parent=opener,
            created_at=at(2),
        )
        follow_up = comment_create(
            author=author(2),
            story=story,
            body=FOLLOW_UPS[index % len(FOLLOW_UPS)],
            created_at=at(3),
        )
        created += 3
        if index % 2 == 0:
            comment_create(
                author=author(0),
                story=story,
                body=SECOND_REPLIES[index % len(SECOND_REPLIES)],
                parent=reply,
                created_at=at(4),
            )
            created += 1
        if index % 3 == 0:
            comment_create(
                author=author(3),
                story=story,
                body="Thanks for the link, that answers my question.",
                parent=follow_up,
                created_at=at(5),
            )
            created += 1
    stdout.write(f"Comments: {created} created, {Comment.objects.count()} in all.")


def credit_awards():
    """What the demo's comments earn (credits.demo pays them through the ledger).
    Comments removed by a moderator never keep credits; deleted by their author do."""
    from credits.models import Action

    for comment in (
        Comment.objects.exclude(status="removed")
        .select_related("author")
        .order_by("created_at", "pk")
    ):
        yield {
            "member": comment.author,
            "action": Action.COMMENT,
            "target": comment,
            "key": f"comment:{comment.pk}",
            "at": comment.created_at,
        }
