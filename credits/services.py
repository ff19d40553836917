"""The butterfly-credits ledger's one way in.

Callers (stories, comments, petitions) award credits inside the transaction of the action
they pay for. Until the ledger lands this records nothing; its signature is the contract.
"""

from django.db import models


class Action(models.TextChoices):
    VET_NEW = "vet_new", "Vetting a newly submitted story"
    VET_OTHER = "vet_other", "Vetting any other story"
    COMMENT = "comment", "Leaving a comment"
    PETITION_SIGN = "petition_sign", "Signing a petition"


def credit_award(*, member, action: str, target, key: str):
    """Pay ``member`` for ``action`` on ``target`` once per ``key``. Returns the entry or None."""
    return None


def credit_reverse(*, key: str, reason: str = ""):
    """Reverse the award made under ``key`` (once; a no-op if there was none).
    Returns the reversal entry or None."""
    return None


DEFAULT_AMOUNTS = {Action.VET_NEW: 3, Action.VET_OTHER: 1, Action.COMMENT: 1, Action.PETITION_SIGN: 1}


def credit_amounts() -> dict[str, int]:
    """The amount currently paid per action, as shown in the credits box."""
    return {str(action): amount for action, amount in DEFAULT_AMOUNTS.items()}
