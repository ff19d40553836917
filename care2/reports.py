"""Members' reports of a problem with something on the site: one rule for every kind.

Stories and comments keep their own report models (``stories.Report``,
``comments.CommentReport``); each app describes its kind once with a ``Reportable`` and
files every report through ``report_file``, so the rule cannot drift between them:

- the member must be able to act: signed in, e-mail verified, not suspended;
- nobody reports their own item;
- the reason is one of the report model's choices;
- the reported row is locked first, so reports of one item queue there and each one
  sees the count the others left; an item no longer on the site is refused;
- one report per member per item, by the report model's unique constraint;
- the report count changes with ``F()``, and the item is hidden by a conditional
  ``UPDATE`` once the count reaches the threshold, unless a moderator already decided.

This module sits at the bottom of the layers: it knows no app's models, only what a
``Reportable`` tells it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from allauth.account.utils import has_verified_email
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q

SUSPENDED_MESSAGE = "Your account is suspended: you can read, but not report."
UNVERIFIED_MESSAGE = "Please verify your e-mail address before you report."
REASON_MESSAGE = "Choose a reason for your report."
NOTE_MAX_LENGTH = 300


@dataclass(frozen=True)
class Reportable:
    """How one kind of item is reported and hidden."""

    #: The item's model (``Story``) and its report model (``Report``), whose foreign key
    #: to the item is ``item_field`` and whose ``Reason`` choices are the valid reasons.
    model: type[models.Model]
    report_model: type[models.Model]
    item_field: str
    #: The item's author, who may not report it (``"submitter"``, ``"author"``).
    author_field: str
    #: Items that may still be reported (on the site).
    reportable: Q
    #: Items that reports may hide: shown, and not decided on by a moderator yet.
    hideable: Q
    #: The fields set when reports hide an item (called at the time of the report).
    hide: Callable[[], dict]
    #: The number of reports that hides an item (read at each report: it is a setting).
    hide_at: Callable[[], int]
    #: The app's own error, raised with the message shown to the member.
    error: type[Exception]
    own_message: str
    duplicate_message: str
    gone_message: str
    suspended_message: str = SUSPENDED_MESSAGE
    unverified_message: str = UNVERIFIED_MESSAGE
    #: Item fields read back after the report (besides the count and the hidden fields).
    refresh: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Filed:
    """A report that was taken, and whether it was the one that hid the item."""

    report: models.Model
    hidden: bool


def report_refusal(kind: Reportable, *, member, item, reason: str) -> str | None:
    """Why ``member`` may not report ``item`` with ``reason`` (None: they may). Checked
    before anything is written; pages may use it to say so before the form."""
    if not getattr(member, "is_authenticated", False):
        return kind.unverified_message
    if member.is_suspended:
        return kind.suspended_message
    if reason not in kind.report_model.Reason.values:
        return REASON_MESSAGE
    if getattr(item, f"{kind.author_field}_id") == member.pk:
        return kind.own_message
    # A request the member_can_act decorator let through was verified already.
    if not (getattr(member, "email_verified_this_request", False) or has_verified_email(member)):
        return kind.unverified_message
    return None


def report_file(kind: Reportable, *, member, item, reason: str, note: str = "") -> Filed:
    """File ``member``'s report of ``item`` (see the module's rule). Raises
    ``kind.error`` with a message for the member when the report is refused; a caller's
    transaction, if any, includes the report and the hiding."""
    refusal = report_refusal(kind, member=member, item=item, reason=reason)
    if refusal is not None:
        raise kind.error(refusal)
    items = kind.model.objects.filter(pk=item.pk)
    hide = kind.hide()
    with transaction.atomic():
        # Lock the item first: reports of one item queue here, so the count and the
        # hiding below see each other's writes.
        if not items.select_for_update().filter(kind.reportable).values_list("pk").first():
            raise kind.error(kind.gone_message)
        try:
            with transaction.atomic():
                report = kind.report_model.objects.create(
                    **{kind.item_field: item},
                    member=member,
                    reason=reason,
                    note=(note or "").strip()[:NOTE_MAX_LENGTH],
                )
        except IntegrityError:
            raise kind.error(kind.duplicate_message) from None
        items.update(report_count=F("report_count") + 1)
        hidden = bool(
            items.filter(kind.hideable, report_count__gte=max(1, kind.hide_at())).update(**hide)
        )
    item.refresh_from_db(fields=list(dict.fromkeys(["report_count", *hide, *kind.refresh])))
    return Filed(report=report, hidden=hidden)
