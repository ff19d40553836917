"""The butterfly-credits ledger: rules, immutable entries, and the causes credits buy.

A member's ``credits_balance`` and ``credits_earned`` (on the User row) are caches of the
ledger: ``credits_balance`` is the sum of ``CreditEntry.amount`` and ``credits_earned``
the sum of ``CreditEntry.earned`` over the member's entries. The services in
``credits.services`` change both in the transaction that writes the entry, and
``manage.py credits_reconcile`` checks them.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify


class Action(models.TextChoices):
    """What a member is paid for. The values are part of the callers' contract."""

    VET_NEW = "vet_new", "Vetting a newly submitted story"
    VET_OTHER = "vet_other", "Vetting any other story"
    COMMENT = "comment", "Leaving a comment"
    PETITION_SIGN = "petition_sign", "Signing a petition"


# The defaults the issue gives; the data migration seeds these, and the services fall
# back to them when a row is missing (a transactional test flushes seeded rows).
# (amount, daily cap per member: the number of paid actions per day, None for no cap)
DEFAULT_RULES: dict[str, tuple[int, int | None]] = {
    Action.VET_NEW: (3, 50),
    Action.VET_OTHER: (1, 50),
    Action.COMMENT: (1, 20),
    Action.PETITION_SIGN: (1, None),
}


class CreditRule(models.Model):
    """How much one action pays, and how many of them pay per member per day.

    Moderators edit these in the admin. Entries copy the amount when they are written, so
    changing a rule never changes what was already paid.
    """

    action = models.CharField(max_length=32, choices=Action.choices, unique=True)
    amount = models.PositiveIntegerField(help_text="Credits paid for one action.")
    daily_cap = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How many of these actions pay per member per day (site time zone). "
        "Past the cap the action still happens and pays nothing. Empty: no cap.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["action"]
        verbose_name = "credit rule"

    def __str__(self):
        return f"{self.get_action_display()}: {self.amount}"


class CreditEntryQuerySet(models.QuerySet):
    def awards(self):
        return self.filter(kind=CreditEntry.Kind.AWARD)

    def for_history(self):
        return self.select_related("content_type").order_by("-created_at", "-pk")


class CreditEntry(models.Model):
    """One line of the ledger. Written once, never changed or deleted.

    ``amount`` is what the entry does to the member's balance; ``earned`` what it does to
    their lifetime total (the number after their name). An award adds to both, a
    redemption only spends, a reversal takes back what an award earned (and from the
    balance as much as is left of it: a balance never goes below zero).
    """

    class Kind(models.TextChoices):
        AWARD = "award", "Award"
        REVERSAL = "reversal", "Reversal"
        REDEMPTION = "redemption", "Redemption"
        ADJUSTMENT = "adjustment", "Moderator adjustment"

    # Kept (detached from the person) when a member deletes their account: the only
    # change the database trigger allows on an entry is setting these two to NULL.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="credit_entries",
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    action = models.CharField(max_length=32, choices=Action.choices, blank=True)
    amount = models.IntegerField(help_text="Change to the member's balance.")
    earned = models.IntegerField(help_text="Change to the member's lifetime total.")
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    # The idempotency key: the same key is never paid (or reversed, or spent) twice.
    key = models.CharField(max_length=200, unique=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal"
    )
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The moderator who made an adjustment.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = CreditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "credit entry"
        verbose_name_plural = "credit entries"
        indexes = [
            models.Index(fields=["member", "-created_at"], name="credit_entry_member_idx"),
            models.Index(
                fields=["member", "action", "created_at"],
                condition=models.Q(kind="award"),
                name="credit_entry_cap_idx",
            ),
            models.Index(fields=["content_type", "object_id"], name="credit_entry_target_idx"),
            models.Index(fields=["created_at"], name="credit_entry_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount=0, earned=0), name="credit_entry_not_empty"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="award")
                | models.Q(amount__gt=0, earned=models.F("amount")),
                name="credit_entry_award_positive",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="redemption") | models.Q(amount__lt=0, earned=0),
                name="credit_entry_redemption_spends",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="reversal")
                | models.Q(amount__lte=0, earned__lt=0, reverses__isnull=False),
                name="credit_entry_reversal_negative",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount:+d} ({self.key})"

    def save(self, *args, **kwargs):
        # Append-only: an entry is written once. (The PostgreSQL trigger enforces the
        # same for queryset updates and raw SQL.)
        if not self._state.adding:
            raise ValueError("Credit entries are immutable: write a new entry instead.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Credit entries are never deleted.")

    @property
    def description(self) -> str:
        """What the member reads in their history."""
        if self.kind == self.Kind.AWARD:
            return self.get_action_display()
        if self.kind == self.Kind.REVERSAL:
            reason = f": {self.note}" if self.note else ""
            return f"Reversed{reason}"
        if self.kind == self.Kind.REDEMPTION:
            return f"Redeemed for {self.note}" if self.note else "Redeemed for a cause"
        return f"Adjusted by a moderator{': ' + self.note if self.note else ''}"


class CauseQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Cause(models.Model):
    """Something members can spend credits on ("Plant a tree — 500 credits")."""

    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField()
    image = models.ImageField(upload_to="causes/", blank=True)
    image_alt = models.CharField("image description", max_length=200, blank=True)
    cost = models.PositiveIntegerField(help_text="Credits one redemption costs.")
    stock = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many redemptions there are in all. Empty: no limit."
    )
    redeemed_count = models.PositiveIntegerField(default=0, editable=False)
    is_active = models.BooleanField(default=True, help_text="Shown to members and redeemable.")
    order = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CauseQuerySet.as_manager()

    class Meta:
        ordering = ["order", "cost", "title"]
        constraints = [
            models.CheckConstraint(condition=models.Q(cost__gt=0), name="cause_cost_positive"),
            models.CheckConstraint(
                condition=models.Q(stock__isnull=True)
                | models.Q(redeemed_count__lte=models.F("stock")),
                name="cause_within_stock",
            ),
        ]

    def __str__(self):
        return f"{self.title} — {self.cost} credits"

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.title)[:80].strip("-") or "cause"
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("credits:cause", args=[self.slug])

    @property
    def remaining(self) -> int | None:
        return None if self.stock is None else max(0, self.stock - self.redeemed_count)

    @property
    def is_available(self) -> bool:
        return self.is_active and (self.stock is None or self.redeemed_count < self.stock)
