"""Original demo content for credits: a few causes, and the credits the demo's vets and
comments earned (paid through the ledger's own award path, so the keys make a second
run pay nothing), and one redemption by the demo member.

Credits sit below the apps whose activity earns them: each of those registers what its
demo activity earns (``register_awards``, from its ``AppConfig.ready()``), so credits names
none of them.
"""

from collections.abc import Callable, Iterable

from django.db import transaction

from care2.users.models import User
from credits import services
from credits.models import Cause

DEMO_MEMBER_EMAIL = "demo@care2.example"

# (slug, title, cost, stock, description)
CAUSES = [
    (
        "plant-a-tree",
        "Plant a tree",
        500,
        None,
        "Five hundred credits plant one native broadleaf tree with a volunteer planting "
        "crew, on land set aside for new woodland. Each tree is tagged and its survival "
        "checked after its first summer.",
    ),
    (
        "shelter-cat-week",
        "Feed a shelter cat for a week",
        50,
        None,
        "Fifty credits cover a week of food for a cat waiting for a home at a partner "
        "shelter. Shelters tell us food is the cost that never takes a holiday.",
    ),
    (
        "wetland-square-metre",
        "Protect a square metre of wetland",
        200,
        100,
        "Two hundred credits help buy and restore one square metre of drained marsh, "
        "so that it can hold water, birds and frogs again. One hundred square metres "
        "are up for grabs in this round.",
    ),
    (
        "rural-library-book",
        "Send a book to a rural school library",
        25,
        40,
        "Twenty-five credits put one new picture book on the shelf of a village "
        "school library chosen by its teachers. Forty books are left in this shipment.",
    ),
]


# (order, source): each source yields the keyword arguments of one award
# (member, action, target, key, at) for the demo activity of its app.
AWARD_SOURCES: dict[str, tuple[int, Callable[[], Iterable[dict]]]] = {}


def register_awards(name: str, source: Callable[[], Iterable[dict]], *, order: int) -> None:
    AWARD_SOURCES[name] = (order, source)


def _award(*, member, action, target, key, at) -> bool:
    return (
        services.credit_award(member=member, action=action, target=target, key=key, at=at)
        is not None
    )


@transaction.atomic
def load(*, stdout) -> None:
    for order, (slug, title, cost, stock, description) in enumerate(CAUSES):
        Cause.objects.get_or_create(
            slug=slug,
            defaults={
                "title": title,
                "cost": cost,
                "stock": stock,
                "description": description,
                "order": order,
            },
        )

    paid = 0
    for _order, source in sorted(AWARD_SOURCES.values(), key=lambda item: item[0]):
        for award in source():
            paid += _award(**award)

    redeemed = 0
    demo = User.objects.filter(email=DEMO_MEMBER_EMAIL).first()
    cause = Cause.objects.filter(slug="rural-library-book").first()
    if demo is not None and cause is not None:
        demo.refresh_from_db(fields=["credits_balance"])
        already = demo.credit_entries.filter(key=f"redeem:{demo.pk}:demo-1").exists()
        if not already and demo.credits_balance >= cause.cost:
            services.cause_redeem(member=demo, cause=cause, token="demo-1")
            redeemed = 1
    stdout.write(
        f"Credits: {Cause.objects.count()} causes, {paid} awards paid now, {redeemed} redemption."
    )
