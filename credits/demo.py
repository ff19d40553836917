"""Original demo content for credits: a few causes, and the credits the demo's vets and
comments earned (paid through the ledger's own award path, so the keys make a second
run pay nothing), and one redemption by the demo member.

The stories and comments models are looked up by name: credits imports neither app.
"""

from django.apps import apps
from django.db import transaction

from care2.users.models import User
from credits import services
from credits.models import Action, Cause

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


def _model(app_label: str, name: str):
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def _award(*, member, action, target, key, at) -> bool:
    return services._award(member=member, action=action, target=target, key=key, at=at) is not None


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
    Vet = _model("stories", "Vet")
    if Vet is not None:
        for vet in Vet.objects.select_related("member").order_by("created_at", "pk"):
            paid += _award(
                member=vet.member,
                action=Action.VET_NEW if vet.while_newly_submitted else Action.VET_OTHER,
                target=vet,
                key=f"vet:{vet.member_id}:{vet.story_id}",
                at=vet.created_at,
            )
    Comment = _model("comments", "Comment")
    if Comment is not None:
        # Comments removed by a moderator never keep credits; deleted by their author do.
        for comment in (
            Comment.objects.exclude(status="removed")
            .select_related("author")
            .order_by("created_at", "pk")
        ):
            paid += _award(
                member=comment.author,
                action=Action.COMMENT,
                target=comment,
                key=f"comment:{comment.pk}",
                at=comment.created_at,
            )

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
