"""Original demo content: members, categories and stories for `make run`.

Everything here is written for this project. ``load`` is idempotent: members, categories
and stories are looked up by e-mail, slug and link before anything is created.
"""

import datetime

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from care2.users.models import User
from care2.users.moderators import MODERATORS_GROUP
from stories.models import Category, Story, Vet
from stories.search import stories_reindex
from stories.services import url_key

DEMO_MEMBER = ("demo@care2.example", "care2-demo-pass", "Dana", "Rivera")
MODERATOR = ("moderator@care2.example", "care2-moderator-pass", "Morgan", "Lee")
MEMBERS = [
    ("beth@care2.example", "Beth", "Summers"),
    ("allen@care2.example", "Allen", "Grant"),
    ("hilary@care2.example", "Hilary", "Stone"),
    ("barbara@care2.example", "Barbara", "Klein"),
    ("dot@care2.example", ".", ""),
    ("ravi@care2.example", "Ravi", "Patel"),
    ("mei@care2.example", "Mei", "Chen"),
    ("tomas@care2.example", "Tomás", "oliveira"),
    ("amara@care2.example", "Amara", "Okafor"),
    ("jon@care2.example", "Jon", "Berg"),
]
MEMBER_PASSWORD = "care2-member-pass"

CATEGORIES = [
    ("Society & Culture", "society-culture", "People, communities and the ways we live together."),
    (
        "Environment & Wildlife",
        "environment-wildlife",
        "Climate, conservation and the living world.",
    ),
    ("Animal Welfare", "animal-welfare", "How we treat the animals we share the planet with."),
    ("Health & Wellness", "health-wellness", "Public health, food and wellbeing."),
    ("Science & Tech", "science-tech", "Discoveries and the tools that shape our lives."),
    ("Human Rights", "human-rights", "Dignity, justice and freedom around the world."),
    ("Good News", "good-news", "Stories that show things getting better."),
]

# (category slug, title, source, summary, tags, hours ago, status, vets)
STORIES = [
    (
        "society-culture",
        "Library turns its basement into a free repair café",
        "https://news.example.org/2026/11/library-repair-cafe",
        "Volunteers fix toasters, bikes and jackets every Saturday in the basement of a small-town library. Organisers say the café kept two tonnes of goods out of landfill in its first year and has become the busiest social event in town.",
        ["repair", "libraries", "volunteering"],
        5,
        "published",
        7,
    ),
    (
        "society-culture",
        "City pilots a four-day week for its parks staff",
        "https://civic.example.com/parks-four-day-week",
        "A mid-sized city is testing a 32-hour week for its parks department. Early figures show fewer sick days and faster responses to residents' requests, though the union wants a longer trial before any decision.",
        ["work", "four-day week", "cities"],
        20,
        "published",
        6,
    ),
    (
        "society-culture",
        "Grandparents teach coding at a weekend club",
        "https://localnews.example.net/grandparents-code-club",
        "Retired engineers and teachers run a weekend club where children and their grandparents learn to build simple games together. The waiting list now runs to three months.",
        ["education", "coding", "elders"],
        30,
        "published",
        5,
    ),
    (
        "society-culture",
        "Night buses return after residents petition the council",
        "https://transit.example.org/night-buses-return",
        "Three night bus routes cut last year are running again after shift workers collected signatures and spoke at council meetings. Riders say the routes are the only safe way home after late shifts.",
        ["transport", "night buses", "organising"],
        3,
        "new",
        2,
    ),
    (
        "society-culture",
        "Community fridges spread to every district of a capital",
        "https://news.example.org/2026/10/community-fridges",
        "Shared fridges outside shops and mosques let neighbours leave and take food freely. Organisers now run sixty of them and publish hygiene rules drawn up with the city's food inspectors.",
        ["food waste", "community", "sharing"],
        52,
        "published",
        9,
    ),
    (
        "environment-wildlife",
        "Beavers reintroduced to a river valley cut flood peaks",
        "https://earth.example.com/beavers-flood-peaks",
        "Five years after beavers were released upstream, researchers measured flood peaks a third lower in the town downstream. Farmers who opposed the release now ask for dams on their own land.",
        ["beavers", "rewilding", "flooding"],
        8,
        "published",
        12,
    ),
    (
        "environment-wildlife",
        "Volunteers count record numbers of returning salmon",
        "https://rivers.example.org/salmon-count-record",
        "Two hundred volunteers counted more salmon this autumn than in any year since counting began, two years after an old weir was removed from the river.",
        ["salmon", "rivers", "citizen science"],
        26,
        "published",
        8,
    ),
    (
        "environment-wildlife",
        "Coastal town bans single-use cups at its festivals",
        "https://news.example.org/2026/09/festival-cup-ban",
        "A deposit scheme for reusable cups replaced a quarter of a million disposable ones over one summer. Vendors report the scheme paid for itself within the season.",
        ["plastic", "festivals", "reuse"],
        70,
        "published",
        6,
    ),
    (
        "environment-wildlife",
        "Urban meadows bring back bees to a ring road",
        "https://earth.example.com/ring-road-meadows",
        "Mowing verges only twice a year turned a ring road into a ribbon of wildflowers. An ecologist counted forty bee species where there had been eleven.",
        ["bees", "pollinators", "verges"],
        2,
        "new",
        3,
    ),
    (
        "environment-wildlife",
        "Glacier melt measured faster than models predicted",
        "https://science.example.net/glacier-melt-models",
        "A ten-year survey of alpine glaciers found ice loss running ahead of the models used in planning. The authors call for water-supply plans to be reviewed this decade, not next.",
        ["glaciers", "climate", "water"],
        40,
        "published",
        10,
    ),
    (
        "animal-welfare",
        "Shelter's foster network empties its kennels for the holidays",
        "https://pets.example.org/foster-network-holidays",
        "A city shelter placed every dog in a foster home over the holidays, for the first time in its history, after a campaign that asked for two weeks rather than forever.",
        ["shelters", "fostering", "dogs"],
        6,
        "published",
        11,
    ),
    (
        "animal-welfare",
        "New rules require CCTV in all slaughterhouses",
        "https://policy.example.com/cctv-slaughterhouses",
        "Inspectors will be able to review footage from every area where live animals are kept. Welfare groups welcome the rules but want independent audits of the recordings.",
        ["farm animals", "regulation", "cctv"],
        50,
        "published",
        7,
    ),
    (
        "animal-welfare",
        "Wildlife hospital treats hedgehogs hurt by garden robots",
        "https://wildlife.example.net/hedgehogs-robot-mowers",
        "Vets report a rise in hedgehog injuries from robotic lawnmowers running at night. They ask owners to run the machines only in daylight.",
        ["hedgehogs", "gardens", "wildlife hospitals"],
        4,
        "new",
        1,
    ),
    (
        "animal-welfare",
        "Circus performs its first season without animals",
        "https://arts.example.org/circus-without-animals",
        "A travelling circus that retired its last horses last year sold more tickets than ever, with acrobats and a puppet elephant built by a theatre company.",
        ["circus", "performing animals"],
        90,
        "published",
        5,
    ),
    (
        "health-wellness",
        "School kitchens cook from scratch and waste less",
        "https://health.example.com/school-kitchens-scratch",
        "A district that replaced reheated meals with food cooked on site found children ate more vegetables and plate waste fell by a third.",
        ["school meals", "nutrition", "food waste"],
        10,
        "published",
        9,
    ),
    (
        "health-wellness",
        "Walking groups prescribed by doctors cut loneliness",
        "https://health.example.com/walking-prescriptions",
        "Family doctors who referred patients to local walking groups saw fewer repeat visits for anxiety. Patients said the company mattered as much as the exercise.",
        ["social prescribing", "walking", "loneliness"],
        33,
        "published",
        6,
    ),
    (
        "health-wellness",
        "Clinic on wheels brings dental care to remote villages",
        "https://news.example.org/2026/11/dental-bus",
        "A converted bus with two dental chairs visits twelve villages a month. Its dentists treated more than three thousand patients in its first year.",
        ["dental care", "rural health"],
        1,
        "new",
        0,
    ),
    (
        "health-wellness",
        "Hospital garden grows vegetables for patients' meals",
        "https://localnews.example.net/hospital-garden",
        "Staff and volunteers tend raised beds on a hospital roof. The kitchen serves the harvest, and patients recovering from surgery help water the beds.",
        ["gardens", "hospitals", "food"],
        60,
        "published",
        5,
    ),
    (
        "science-tech",
        "Open-source app maps accessible entrances across a city",
        "https://tech.example.org/accessible-entrances-app",
        "Wheelchair users and volunteers have mapped step-free entrances to four thousand buildings. The city now uses the data in its planning decisions.",
        ["accessibility", "open data", "apps"],
        12,
        "published",
        8,
    ),
    (
        "science-tech",
        "Researchers turn brewery waste into a plastic substitute",
        "https://science.example.net/brewery-waste-bioplastic",
        "Spent grain from breweries can be pressed into trays that compost in weeks, a university team reports. A local brewery is trialling them for takeaway food.",
        ["bioplastics", "recycling", "research"],
        28,
        "published",
        7,
    ),
    (
        "science-tech",
        "Repair rights law covers phones and washing machines",
        "https://policy.example.com/right-to-repair-law",
        "Makers must now sell spare parts and manuals for seven years. Repair shops expect more work; manufacturers have two years to comply.",
        ["right to repair", "electronics", "law"],
        7,
        "new",
        4,
    ),
    (
        "science-tech",
        "Solar co-op powers a whole apartment block",
        "https://energy.example.org/solar-coop-apartments",
        "Tenants pooled savings to put panels on their roof and share the power. Bills fell by a fifth in the first year, and the co-op is helping three more blocks.",
        ["solar", "co-operatives", "energy"],
        45,
        "published",
        9,
    ),
    (
        "human-rights",
        "Court orders translation of asylum interviews",
        "https://justice.example.com/asylum-interview-translation",
        "Asylum seekers must be interviewed with a qualified interpreter in a language they understand well, a court ruled, after several cases were decided on mistranslations.",
        ["asylum", "courts", "translation"],
        14,
        "published",
        6,
    ),
    (
        "human-rights",
        "Garment workers win paid sick leave after long campaign",
        "https://labour.example.org/garment-sick-leave",
        "A factory federation agreed to paid sick leave for two hundred thousand workers after a three-year campaign backed by shoppers abroad.",
        ["workers' rights", "garment industry", "campaigns"],
        36,
        "published",
        10,
    ),
    (
        "human-rights",
        "Journalists' group tracks attacks on local reporters",
        "https://press.example.net/attacks-on-reporters",
        "A new public database records threats and attacks against local reporters. Its first report finds most incidents go unreported to police.",
        ["press freedom", "journalism"],
        9,
        "new",
        3,
    ),
    (
        "human-rights",
        "Voting booths made accessible for blind voters",
        "https://civic.example.com/accessible-voting",
        "Tactile ballot templates and audio guides will be available at every polling station in the next election, after a blind voter took the electoral office to a tribunal.",
        ["voting", "disability rights", "elections"],
        80,
        "published",
        8,
    ),
    (
        "good-news",
        "Teenagers raise funds to plant a thousand street trees",
        "https://localnews.example.net/teen-tree-planting",
        "A school club raised money with bake sales and concerts, then planted trees on streets the council had mapped as the hottest in summer.",
        ["trees", "young people", "heat"],
        16,
        "published",
        13,
    ),
    (
        "good-news",
        "Lost dog found three hundred miles away thanks to microchip",
        "https://pets.example.org/lost-dog-microchip",
        "A terrier missing for two years was scanned at a shelter in another region and reunited with her family the same week.",
        ["microchips", "dogs", "reunions"],
        22,
        "published",
        7,
    ),
    (
        "good-news",
        "Village saves its last shop by buying it together",
        "https://news.example.org/2026/08/village-shop",
        "More than two hundred villagers bought shares in their only shop when the owner retired. It now also hosts a post office counter and a café.",
        ["community shops", "villages", "co-operatives"],
        100,
        "published",
        9,
    ),
    (
        "good-news",
        "Town's swap shop marks a year without a single sale",
        "https://localnews.example.net/swap-shop-anniversary",
        "Everything in the shop is free: bring something, take something. Its volunteers estimate twenty thousand items have found new homes.",
        ["swap shops", "reuse", "community"],
        2,
        "new",
        1,
    ),
    (
        "environment-wildlife",
        "French farmers plant hedgerows for birds",
        "https://earth.example.com/hedgerow-planting",
        "Farmers in one region planted 400 km of hedgerows in three winters. Bird surveys show more yellowhammers and finches on the farms that joined.",
        ["hedgerows", "farmland birds", "Frech farmers"],
        18,
        "published",
        6,
    ),
    (
        "society-culture",
        "Public pianos get a city singing at railway stations",
        "https://arts.example.org/station-pianos",
        "Pianos placed in six stations are played for hours each day. A survey found commuters rated them the best change to the stations in a decade.",
        ["music", "public spaces", "railways"],
        130,
        "expired",
        1,
    ),
]


# Demo members joined long ago, so the new-member limits (NEW_MEMBER_HOURS: no petitions,
# few stories) do not apply to them; only NEWCOMER, named as such, shows those limits.
DEMO_JOINED_DAYS_AGO = 400
NEWCOMER = ("newcomer@care2.example", MEMBER_PASSWORD, "New", "Member")


def _user(email, password, first, last, *, staff=False, joined=None):
    """The demo member with this e-mail, created once (``joined``: when they joined;
    long ago unless given). A demo member an older load created "now" is moved back
    once, so the new-member rule stops refusing them; later loads change nothing."""
    long_ago = timezone.now() - datetime.timedelta(days=DEMO_JOINED_DAYS_AGO)
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=password, first_name=first, last_name=last, is_staff=staff
        )
        user.date_joined = joined or long_ago
        user.save(update_fields=["date_joined"])
    elif joined is None and user.is_new_member:
        user.date_joined = long_ago
        user.save(update_fields=["date_joined"])
    elif joined is not None and not user.is_new_member:
        # The newcomer joins again at each load (`make run`), so the rule is always there
        # to see, not only on the first day after the demo was loaded.
        user.date_joined = joined
        user.save(update_fields=["date_joined"])
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


@transaction.atomic
def load(*, stdout) -> None:
    from care2.links import sync_site

    # allauth's e-mails name the site by the Sites domain: the one SITE_URL gives.
    sync_site()
    now = timezone.now()
    demo = _user(*DEMO_MEMBER)
    moderator = _user(*MODERATOR, staff=True)
    moderator.groups.add(Group.objects.get_or_create(name=MODERATORS_GROUP)[0])
    members = [_user(email, MEMBER_PASSWORD, first, last) for email, first, last in MEMBERS]
    _user(*NEWCOMER, joined=now)  # the one demo member the new-member rule applies to
    voters = [demo, *members]

    categories = {}
    for order, (name, slug, description) in enumerate(CATEGORIES):
        categories[slug], _ = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "order": order}
        )

    created = 0
    for index, (cat, title, url, summary, tags, hours, status, vets) in enumerate(STORIES):
        if Story.objects.filter(url_key=url_key(url)).exists():
            continue
        submitter = members[index % len(members)]
        created_at = now - datetime.timedelta(hours=hours)
        story = Story.objects.create(
            title=title,
            url=url,
            url_key=url_key(url),
            summary=summary,
            category=categories[cat],
            submitter=submitter,
            status=status,
            created_at=created_at,
            published_at=created_at + datetime.timedelta(hours=1)
            if status == "published"
            else None,
        )
        story.tags.set(tags)
        noters = [m for m in voters if m != submitter][:vets]
        Vet.objects.bulk_create(
            Vet(
                member=m,
                story=story,
                while_newly_submitted=(status != "published" or i < 5),
                created_at=created_at + datetime.timedelta(minutes=10 * (i + 1)),
            )
            for i, m in enumerate(noters)
        )
        Story.objects.filter(pk=story.pk).update(vet_count=len(noters))
        created += 1
    if created:
        stories_reindex()
    stdout.write(f"Stories: {created} created, {Story.objects.count()} in all.")


def credit_awards():
    """What the demo's vets earn (credits.demo pays them through the ledger)."""
    from credits.models import Action

    for vet in Vet.objects.select_related("member").order_by("created_at", "pk"):
        yield {
            "member": vet.member,
            "action": Action.VET_NEW if vet.while_newly_submitted else Action.VET_OTHER,
            "target": vet,
            "key": f"vet:{vet.member_id}:{vet.story_id}",
            "at": vet.created_at,
        }
