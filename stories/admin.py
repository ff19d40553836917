from django.contrib import admin, messages
from django.utils.translation import ngettext

from care2.admin import ReasonActionForm, action_reason
from stories import services
from stories.models import Category, Report, Story, Vet


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class VetInline(admin.TabularInline):
    model = Vet
    extra = 0
    fields = ["member", "while_newly_submitted", "created_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


class ReportInline(admin.TabularInline):
    model = Report
    extra = 0
    fields = ["member", "reason", "note", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "category",
        "status",
        "submitter",
        "vet_count",
        "report_count",
        "comment_count",
        "created_at",
    ]
    list_filter = ["status", "category", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["category", "submitter"]
    search_fields = ["title", "summary", "url", "submitter__email"]
    date_hierarchy = "created_at"
    # The status changes only through the actions (the services: dates, credits, audit).
    readonly_fields = [
        "status",
        "vet_count",
        "report_count",
        "comment_count",
        "created_at",
        "published_at",
        "reviewed_at",
        "url_key",
    ]
    raw_id_fields = ["submitter"]
    inlines = [VetInline, ReportInline]
    action_form = ReasonActionForm  # the reason goes to the audit trail
    actions = ["publish", "hide", "reject", "reject_as_spam"]

    def save_model(self, request, obj, form, change):
        """Nothing yet: ``save_related`` writes the story and its tags together through
        the service."""

    def save_related(self, request, form, formsets, change):
        # The service writes the changed columns and the tags, the audit entry, the
        # search index and the page-cache generation (the admin logs the change itself).
        services.story_edit(
            story=form.instance,
            by=request.user,
            fields=[name for name in form.changed_data if name != "tags"],
            tags=form.cleaned_data["tags"] if "tags" in form.changed_data else None,
            admin_log=False,
        )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def _run(self, request, queryset, service, verb):
        ids = list(queryset.values_list("pk", flat=True))
        reason = action_reason(request)
        # The service writes the audit entries and the admin's history of each story.
        result = service(story_ids=ids, by=request.user, reason=reason)
        self.message_user(
            request,
            ngettext("%(count)d story %(verb)s.", "%(count)d stories %(verb)s.", result.changed)
            % {"count": result.changed, "verb": verb},
            messages.SUCCESS,
        )

    @admin.action(description="Publish selected stories", permissions=["change"])
    def publish(self, request, queryset):
        self._run(request, queryset, services.stories_publish, "published")

    @admin.action(description="Hide selected stories", permissions=["change"])
    def hide(self, request, queryset):
        self._run(request, queryset, services.stories_hide, "hidden")

    @admin.action(description="Reject selected stories", permissions=["change"])
    def reject(self, request, queryset):
        self._run(request, queryset, services.stories_reject, "rejected")

    @admin.action(description="Reject selected stories as spam", permissions=["change"])
    def reject_as_spam(self, request, queryset):
        def reject(**kwargs):
            return services.stories_reject(as_spam=True, **kwargs)

        self._run(request, queryset, reject, "rejected as spam")


@admin.register(Vet)
class VetAdmin(admin.ModelAdmin):
    list_display = ["story", "member", "while_newly_submitted", "created_at"]
    list_select_related = ["story", "member"]
    raw_id_fields = ["story", "member"]
    search_fields = ["story__title", "member__email"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["story", "member", "reason", "created_at"]
    list_filter = ["reason"]
    list_select_related = ["story", "member"]
    raw_id_fields = ["story", "member"]
    search_fields = ["story__title", "member__email"]
