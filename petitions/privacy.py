"""Petitions' part of a member's data export and account deletion."""

from django.db.models import Q
from django.db.models.functions import Lower

from petitions.models import Petition, Signature


def _signatures(user):
    return Signature.objects.annotate(email_lower=Lower("email")).filter(
        Q(member=user) | Q(email_lower=user.email.lower())
    )


def export(user) -> dict:
    return {
        "petitions_started": [
            {
                "title": p.title,
                "target": p.target,
                "why": p.why,
                "status": p.status,
                "created_at": p.created_at.isoformat(),
            }
            for p in Petition.objects.filter(creator=user)
        ],
        "signatures": [
            {
                "petition": s.petition.title,
                "first_name": s.first_name,
                "last_name": s.last_name,
                "country": s.country,
                "comment": s.comment,
                "show_name": s.show_name,
                "status": s.status,
                "created_at": s.created_at.isoformat(),
            }
            for s in _signatures(user).select_related("petition").order_by("created_at")
        ],
    }


def erase(user) -> None:
    """Signatures stay counted, but anonymous: no name, e-mail or address."""
    Signature.objects.filter(pk__in=_signatures(user).values("pk")).update(
        member=None,
        first_name="",
        last_name="",
        email=None,
        ip=None,
        show_name=False,
        allow_contact=False,
        hear_more=False,
    )
