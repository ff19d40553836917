from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from petitions.countries import country_name
from stories.models import Category, Story


def petition_moderator(user) -> bool:
    """May change petitions, so opens hidden ones too."""
    return user.has_perm("petitions.change_petition")


class PetitionQuerySet(models.QuerySet):
    def visible(self):
        """Petitions a reader may open: not hidden by a moderator."""
        return self.filter(hidden_at__isnull=True)

    def visible_to(self, user):
        """Petitions ``user`` may open: those not hidden, a hidden one to its creator, and
        every one to a moderator (who may change petitions). ``Petition.is_visible_to``
        is this rule for one petition."""
        if not user.is_authenticated:
            return self.visible()
        if petition_moderator(user):
            return self.all()
        return self.filter(models.Q(hidden_at__isnull=True) | models.Q(creator=user))

    def open(self):
        return self.visible().filter(status=Petition.Status.OPEN)

    def victories(self):
        return self.visible().filter(status=Petition.Status.VICTORY)

    def with_count(self):
        """Annotate ``confirmed_count``: the sum of the petition's counter shards."""
        shard_sum = (
            CountShard.objects.filter(petition=models.OuterRef("pk"))
            .order_by()
            .values("petition")
            .annotate(total=models.Sum("count"))
            .values("total")
        )
        return self.annotate(
            confirmed_count=Coalesce(
                models.Subquery(shard_sum, output_field=models.IntegerField()), models.Value(0)
            )
        )

    def for_listing(self):
        return self.select_related("category", "creator").with_count()


class Petition(models.Model):
    """A member's petition: a demand addressed to a target, signed by members and readers."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        VICTORY = "victory", "Victory"

    title = models.CharField(max_length=150)
    slug = models.SlugField(max_length=80)
    target = models.CharField("whom it addresses", max_length=200)
    why = models.TextField("why it matters", max_length=10_000)
    # ``why`` sanitized once when it is written (the start service, the admin's edit
    # page) by petitions.text: what the page renders.
    why_html = models.TextField(editable=False)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="petitions")
    story = models.ForeignKey(
        Story, on_delete=models.SET_NULL, null=True, blank=True, related_name="petitions"
    )
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="petitions_started"
    )
    image = models.ImageField(upload_to="petitions/%Y/%m/", blank=True)
    image_thumb = models.ImageField(upload_to="petitions/%Y/%m/", blank=True)
    image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The picture as uploaded, until petitions.tasks.process_image_task has re-encoded it
    # into ``image`` and ``image_thumb`` (then it is deleted); the page shows a placeholder.
    image_upload = models.FileField(max_length=200, blank=True, editable=False)
    goal = models.PositiveIntegerField(default=1000)
    deadline = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    victory_message = models.TextField(blank=True, max_length=5000)
    closed_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=300, blank=True)
    # Set once the signers' e-mail addresses have been erased (PETITION_ERASE_EMAILS_AFTER_DAYS).
    emails_erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Weighted full-text vector, kept by petitions.search.petitions_reindex (PostgreSQL).
    search_vector = SearchVectorField(null=True, editable=False)
    # From the start form: the same form submitted twice starts one petition.
    submission_key = models.UUIDField(null=True, blank=True, editable=False)

    objects = PetitionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="petition_status_created_idx"),
            models.Index(fields=["category", "status"], name="petition_category_idx"),
            models.Index(fields=["status", "deadline"], name="petition_deadline_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(title=""), name="petition_title_not_empty"),
            models.CheckConstraint(condition=models.Q(goal__gte=1), name="petition_goal_positive"),
            models.CheckConstraint(
                condition=models.Q(status="open") | models.Q(closed_at__isnull=False),
                name="petition_closed_has_closed_at",
            ),
            models.UniqueConstraint(
                fields=["creator", "submission_key"],
                condition=models.Q(submission_key__isnull=False),
                name="petition_once_per_submission",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.title)[:80].strip("-") or "petition"
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("petitions:detail", args=[self.pk, self.slug])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN and self.hidden_at is None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    def is_visible_to(self, user) -> bool:
        """Whether ``Petition.objects.visible_to(user)`` holds this petition, for one
        already loaded: the permission is looked up only for a hidden petition that is
        not the member's own."""
        if not self.is_hidden:
            return True
        return user.is_authenticated and (user.pk == self.creator_id or petition_moderator(user))

    @property
    def is_victory(self) -> bool:
        return self.status == self.Status.VICTORY

    @property
    def image_pending(self) -> bool:
        """An image was uploaded and is still being prepared."""
        return bool(self.image_upload) and not self.image


class Signature(models.Model):
    """One person's signature on one petition.

    Members' signatures count at once; readers' once they confirm the link e-mailed to
    them. One per e-mail address (normalized) per petition, and one per member.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for e-mail confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        INVALIDATED = "invalidated", "Invalidated by a moderator"

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="signatures")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="petition_signatures",
    )
    first_name = models.CharField(max_length=60)
    last_name = models.CharField(max_length=60, blank=True)
    # Lower-cased and trimmed by the service; NULL once erased after the petition closed.
    email = models.EmailField(max_length=254, null=True, blank=True)
    country = models.CharField(max_length=2, blank=True)
    comment = models.TextField(max_length=1000, blank=True)
    show_name = models.BooleanField("show my name", default=True)
    allow_contact = models.BooleanField("let the creator contact me by e-mail", default=False)
    hear_more = models.BooleanField("send me the creator's updates", default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # When the confirmation e-mail went out. A pending signature without it is work the
    # broker missed (it was down): a periodic sweep sends it again. The signature row is
    # its own outbox, so the sign request writes nothing more.
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    invalidated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), "petition", name="signature_once_per_email"),
            models.UniqueConstraint(
                fields=["petition", "member"],
                condition=models.Q(member__isnull=False),
                name="signature_once_per_member",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="confirmed") | models.Q(confirmed_at__isnull=False),
                name="signature_confirmed_has_date",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(confirmation_sent_at__isnull=True, status="pending"),
                name="signature_unsent_idx",
            ),
            models.Index(
                fields=["petition", "-confirmed_at"],
                condition=models.Q(status="confirmed"),
                name="signature_confirmed_idx",
            ),
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="pending"),
                name="signature_pending_idx",
            ),
            # The signers' comments on the petition page: the newest few that say
            # something, without walking every silent signature of a busy petition.
            models.Index(
                fields=["petition", "-confirmed_at"],
                condition=models.Q(status="confirmed") & ~models.Q(comment=""),
                name="signature_commented_idx",
            ),
            models.Index(fields=["petition", "ip"], name="signature_petition_ip_idx"),
            models.Index(fields=["email"], name="signature_email_idx"),
        ]

    def __str__(self):
        return f"{self.display_name} on {self.petition_id}"

    @property
    def public_name(self) -> str:
        """First name and last initial, as members are shown: "Beth S"."""
        first = self.first_name.strip()
        last = self.last_name.strip()
        return (f"{first} {last[:1].upper()}".strip() if last else first) or "A supporter"

    @property
    def display_name(self) -> str:
        """The name others see: the public name, or "A supporter" when hidden."""
        return self.public_name if self.show_name else "A supporter"

    @property
    def country_name(self) -> str:
        return country_name(self.country)

    @property
    def is_confirmed(self) -> bool:
        return self.status == self.Status.CONFIRMED


class CountShard(models.Model):
    """Part of a petition's confirmed count.

    Each confirmation adds one to a randomly chosen shard of its petition, in the same
    transaction, so the count is exact without every signer waiting on one hot row (the
    petition row is never updated on the sign path). The count is the sum of the shards;
    ``petitions_reconcile`` checks it against the confirmed rows.
    """

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="count_shards")
    shard = models.PositiveSmallIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["petition", "shard"], name="count_shard_unique"),
        ]

    def __str__(self):
        return f"{self.petition_id}#{self.shard}: {self.count}"


class PetitionUpdate(models.Model):
    """News from the creator, dated, shown on the page and sent to signers who asked."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="updates")
    title = models.CharField(max_length=150)
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)
    # From the update form: the same form submitted twice posts one update.
    submission_key = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "submission_key"],
                condition=models.Q(submission_key__isnull=False),
                name="petition_update_once_per_submission",
            ),
        ]

    def __str__(self):
        return self.title
