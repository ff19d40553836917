from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from taggit.managers import TaggableManager


class Category(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("stories:category", args=[self.slug])


def story_moderator(user) -> bool:
    """May change stories, so opens them whatever their status."""
    return user.has_perm("stories.change_story")


class StoryQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Story.Status.PUBLISHED)

    def newly_submitted(self):
        return self.filter(status=Story.Status.NEW)

    def visible(self):
        """Stories a reader may open: on the front page or waiting for vets."""
        return self.filter(status__in=Story.VISIBLE_STATUSES)

    def visible_to(self, user):
        """Stories ``user`` may open: the visible ones, and every one for a moderator
        (who may change stories). ``Story.is_visible_to`` is this rule for one story."""
        return self.all() if story_moderator(user) else self.visible()

    def for_listing(self):
        return self.select_related("category", "submitter").prefetch_related("tags")


class Story(models.Model):
    """A news story a member submitted: a link to the source with a summary."""

    class Status(models.TextChoices):
        NEW = "new", "Newly submitted"
        PUBLISHED = "published", "Published"
        HIDDEN = "hidden", "Hidden"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"

    # What a reader may open: on the front page or waiting for vets.
    VISIBLE_STATUSES = (Status.NEW, Status.PUBLISHED)

    title = models.CharField(max_length=150)
    slug = models.SlugField(max_length=80, allow_unicode=False)
    url = models.URLField("source URL", max_length=500)
    # Lower-cased host, no fragment or trailing slash: finds a re-submitted link.
    url_key = models.CharField(max_length=500, db_index=True, editable=False)
    summary = models.TextField(max_length=2000)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="stories")
    tags = TaggableManager(blank=True)
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stories"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    # Set when a moderator decides on a story; reports no longer hide it after that.
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # Denormalized counters: changed only with F() in the transaction that adds the row.
    vet_count = models.PositiveIntegerField(default=0, editable=False)
    report_count = models.PositiveIntegerField(default=0, editable=False)
    comment_count = models.PositiveIntegerField(default=0, editable=False)
    # Weighted full-text vector (title and tags A, summary B, source domain C), kept by
    # stories.search.stories_reindex on PostgreSQL; GIN-indexed by a migration.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = StoryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "stories"
        indexes = [
            # Listings order by (time, id) descending: the indexes match that exactly,
            # so a page is an index scan, not a sort of every published story.
            models.Index(
                fields=["status", "-published_at", "-id"], name="story_status_published_idx"
            ),
            models.Index(fields=["status", "-created_at", "-id"], name="story_status_created_idx"),
            models.Index(
                fields=["category", "status", "-published_at", "-id"], name="story_category_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(title=""), name="story_title_not_empty"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.title)[:80].strip("-") or "story"
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("stories:detail", args=[self.pk, self.slug])

    @property
    def is_newly_submitted(self) -> bool:
        return self.status == self.Status.NEW

    @property
    def is_visible(self) -> bool:
        return self.status in self.VISIBLE_STATUSES

    def is_visible_to(self, user) -> bool:
        """Whether ``Story.objects.visible_to(user)`` holds this story, for a story
        already loaded: the permission is looked up only for a story readers can't open."""
        return self.is_visible or story_moderator(user)


class Vet(models.Model):
    """A member's "Note it": vouching for a story. Once per member per story."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vets"
    )
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="vets")
    # Whether the story was still newly submitted: such vets earn more credits.
    while_newly_submitted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "story"], name="vet_once_per_member"),
        ]
        indexes = [models.Index(fields=["story", "created_at"], name="vet_story_created_idx")]

    def __str__(self):
        return f"{self.member} noted {self.story}"


class Report(models.Model):
    """A member's report of a problem with a story. Once per member per story."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam"
        OFFENSIVE = "offensive", "Offensive"
        OLD_NEWS = "old_news", "Old news"
        BROKEN_LINK = "broken_link", "Broken link"
        OTHER = "other", "Other"

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="story_reports"
    )
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["member", "story"], name="report_once_per_member"),
        ]

    def __str__(self):
        return f"{self.get_reason_display()}: {self.story}"


class SavedStory(models.Model):
    """A story a member saved to read later."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_stories"
    )
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="saves")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "story"], name="saved_story_once"),
        ]

    def __str__(self):
        return f"{self.member} saved {self.story}"


class StoryVisit(models.Model):
    """When a member last opened a story: comments newer than that are marked new."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="story_visits"
    )
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="visits")
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "story"], name="story_visit_once"),
        ]

    def __str__(self):
        return f"{self.member} last read {self.story} at {self.last_seen_at:%Y-%m-%d %H:%M}"
