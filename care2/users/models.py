import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.urls import reverse
from django.utils import timezone


def time_zone_choices():
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A member. Logs in with e-mail; shown to others only by public name ("Beth S")."""

    username = None
    email = models.EmailField("e-mail address", unique=True)
    first_name = models.CharField("first name", max_length=60)
    last_name = models.CharField("last name", max_length=60, blank=True)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", choices=time_zone_choices
    )
    email_on_tracked_comments = models.BooleanField(
        "e-mail me when someone comments on a story I track", default=False
    )
    email_on_petition_updates = models.BooleanField(
        "e-mail me updates from petitions I signed", default=True
    )
    bio = models.TextField("short bio", max_length=500, blank=True)
    # Square, re-encoded, EXIF-free copies made by care2.users.avatars; empty: initials.
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    avatar_small = models.ImageField(upload_to="avatars/", blank=True)
    # Set when the member deleted their account: the row stays as an anonymous
    # tombstone so threads, counts and the ledger keep their shape.
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    suspended_until = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=300, blank=True)
    # Kept by the credits ledger, atomically with each entry (credits_reconcile checks
    # them against the sum of the entries); here so that every page can show a member's
    # number without a join.
    credits_balance = models.IntegerField(default=0, editable=False)
    credits_earned = models.IntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["first_name"]

    class Meta:
        verbose_name = "member"
        verbose_name_plural = "members"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credits_balance__gte=0), name="user_credits_balance_not_negative"
            )
        ]

    def __str__(self):
        return self.public_name

    @property
    def public_name(self) -> str:
        """First name and last initial, upper-cased as typed: "Beth S"."""
        first = self.first_name.strip()
        last = self.last_name.strip()
        name = f"{first} {last[:1].upper()}".strip() if last else first
        return name or "Member"

    def get_absolute_url(self):
        return reverse("users:profile", args=[self.pk])

    @property
    def is_suspended(self) -> bool:
        """Suspended members can read but not post, vet, sign or message."""
        if self.suspended_until is None:
            return False
        return self.suspended_until > timezone.now()

    @property
    def suspension_is_open_ended(self) -> bool:
        """Suspended until a moderator lifts it (stored as an end far in the future,
        care2.users.services.user_suspend), rather than until a date."""
        from datetime import timedelta

        return self.suspended_until is not None and self.suspended_until > timezone.now() + (
            timedelta(days=365 * 50)
        )

    @property
    def can_act(self) -> bool:
        """May post, vet, save, track, sign, start and redeem (readers are asked to sign
        in first; unverified members to verify). Templates read it as
        ``member_can_act`` (care2.users.context_processors)."""
        return not self.is_suspended

    @property
    def is_new_member(self) -> bool:
        """Within NEW_MEMBER_HOURS of joining: some actions are limited."""
        from datetime import timedelta

        return self.date_joined > timezone.now() - timedelta(hours=settings.NEW_MEMBER_HOURS)

    @property
    def initials(self) -> str:
        letters = [part[:1] for part in (self.first_name.strip(), self.last_name.strip()) if part]
        return "".join(letters).upper() or "?"


class MessageQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Message(models.Model):
    """A personal message in a member's site inbox (sent by the site, e.g. comment tracking).

    ``key`` makes a delivery idempotent: the same event never lands twice in one inbox.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages_received"
    )
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], name="message_unique_per_recipient_key"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="message_unread_idx",
            ),
            models.Index(fields=["recipient", "-created_at"], name="message_inbox_idx"),
        ]

    def __str__(self):
        return self.subject

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class AuditEntry(models.Model):
    """Who did what, when and why: one row per moderator action. Never edited."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=100)
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=300)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self):
        return f"{self.action}: {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValueError("Audit entries are never changed.")
        super().save(*args, **kwargs)
