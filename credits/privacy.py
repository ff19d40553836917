"""Credits' part of a member's data export. Entries stay on deletion: the ledger's sums
must hold, and the tombstone they point to carries no personal data."""


def export(user) -> dict:
    from credits.models import CreditEntry

    return {
        "credits": [
            {
                "action": e.action,
                "amount": e.amount,
                "earned": e.earned,
                "created_at": e.created_at.isoformat(),
            }
            for e in CreditEntry.objects.filter(member=user).order_by("created_at")
        ]
    }
