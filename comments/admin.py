from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import Truncator
from django.utils.translation import ngettext

from care2.sanitize import comment_text
from comments import services
from comments.forms import ModerateForm
from comments.models import Comment, CommentReport, Tracking


class ReportsFilter(admin.SimpleListFilter):
    """The moderators' queue: the dashboard on the admin index links here."""

    title = "reports"
    parameter_name = "reports"

    WAITING = "waiting"
    HIDDEN = "hidden"
    ANY = "any"

    def lookups(self, request, model_admin):
        return [
            (self.WAITING, "Waiting for a decision"),
            (self.HIDDEN, "Hidden after reports"),
            (self.ANY, "Reported at least once"),
        ]

    def queryset(self, request, queryset):
        if self.value() == self.WAITING:
            return queryset.filter(
                Q(status=Comment.Status.VISIBLE) | Q(status=Comment.Status.HIDDEN),
                report_count__gt=0,
                reviewed_at__isnull=True,
            )
        if self.value() == self.HIDDEN:
            return queryset.filter(status=Comment.Status.HIDDEN)
        if self.value() == self.ANY:
            return queryset.filter(report_count__gt=0)
        return queryset


class ReportInline(admin.TabularInline):
    model = CommentReport
    extra = 0
    fields = ["member", "reason", "note", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    """Moderators read every comment (removed text included, for the audit) and decide
    on reported ones: remove with a reason, restore, or dismiss the reports. Nothing is
    edited here; every decision goes through comments.services and is audited."""

    list_display = [
        "excerpt", "author", "story", "status", "report_count", "removal_reason", "created_at",
    ]  # fmt: skip
    list_filter = [
        ReportsFilter,
        "status",
        "removal_reason",
        ("created_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["author", "story"]
    search_fields = ["body", "author__email", "author__first_name", "story__title"]
    date_hierarchy = "created_at"
    raw_id_fields = ["story", "author", "parent", "removed_by"]
    readonly_fields = [
        "story", "author", "parent", "depth", "path", "body", "body_html", "status",
        "report_count", "hidden_at", "reviewed_at",
        "created_at", "edited_at", "deleted_at", "removed_at", "removed_by",
        "removal_reason", "removal_note",
    ]  # fmt: skip
    inlines = [ReportInline]
    actions = [
        "remove_as_spam",
        "remove_as_abuse",
        "remove_off_topic",
        "remove_personal_data",
        "restore",
        "dismiss_reports",
    ]

    @admin.display(description="comment")
    def excerpt(self, obj):
        # As the thread shows it, without markup (links as "text (url)").
        return Truncator(comment_text(obj.body_html)).chars(80)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Removal keeps the audit trail; only a superuser deletes rows outright.
        return request.user.is_superuser

    def has_remove_permission(self, request):
        return services.can_moderate(request.user)

    # --- one comment: the "Decide" page --------------------------------------------

    def get_urls(self):
        return [
            path(
                "<int:object_id>/moderate/",
                self.admin_site.admin_view(self.moderate_view),
                name="comments_comment_moderate",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_moderate": services.can_moderate(request.user),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def moderate_view(self, request, object_id):
        """Decide on one comment: remove it with a reason, restore it, or dismiss its
        reports (GET shows the choices, POST decides)."""
        if not services.can_moderate(request.user):
            raise PermissionDenied
        comment = get_object_or_404(Comment.objects.select_related("story", "author"), pk=object_id)
        form = ModerateForm(request.POST or None, comment=comment)
        if request.method == "POST" and form.is_valid():
            decision, note = form.cleaned_data["decision"], form.cleaned_data["note"]
            try:
                if decision == ModerateForm.Decision.REMOVE:
                    services.comment_remove(
                        comment=comment,
                        moderator=request.user,
                        reason=form.cleaned_data["reason"],
                        note=note,
                    )
                    done = "The comment is removed."
                elif decision == ModerateForm.Decision.RESTORE:
                    services.comments_restore(
                        comment_ids=[comment.pk], moderator=request.user, reason=note
                    )
                    done = "The comment is restored."
                else:
                    services.comment_reports_dismiss(
                        comment_ids=[comment.pk], moderator=request.user, reason=note
                    )
                    done = "The reports are dismissed; the comment stays."
            except services.CommentError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, done, messages.SUCCESS)
                return redirect(reverse("admin:comments_comment_change", args=[comment.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Decide on a comment",
            "comment": comment,
            "form": form,
            "reports": comment.reports.select_related("member"),
        }
        return TemplateResponse(request, "admin/comments/comment/moderate.html", context)

    # --- bulk actions ------------------------------------------------------------

    def _remove(self, request, queryset, reason):
        result = services.comments_remove(
            comment_ids=list(queryset.values_list("pk", flat=True)),
            moderator=request.user,
            reason=reason,
            note="admin bulk action",
        )
        label = Comment.RemovalReason(reason).label.lower()
        self.message_user(
            request,
            ngettext(
                "%(count)d comment removed (%(label)s).",
                "%(count)d comments removed (%(label)s).",
                result.removed,
            )
            % {"count": result.removed, "label": label},
            messages.SUCCESS,
        )

    @admin.action(
        description="Remove selected comments as spam (reverses their credits)",
        permissions=["remove"],
    )
    def remove_as_spam(self, request, queryset):
        self._remove(request, queryset, Comment.RemovalReason.SPAM)

    @admin.action(description="Remove selected comments as abusive", permissions=["remove"])
    def remove_as_abuse(self, request, queryset):
        self._remove(request, queryset, Comment.RemovalReason.ABUSE)

    @admin.action(description="Remove selected comments as off topic", permissions=["remove"])
    def remove_off_topic(self, request, queryset):
        self._remove(request, queryset, Comment.RemovalReason.OFF_TOPIC)

    @admin.action(
        description="Remove selected comments: personal information", permissions=["remove"]
    )
    def remove_personal_data(self, request, queryset):
        self._remove(request, queryset, Comment.RemovalReason.PERSONAL_DATA)

    @admin.action(
        description="Restore selected hidden comments (reports no longer hide them)",
        permissions=["remove"],
    )
    def restore(self, request, queryset):
        result = services.comments_restore(
            comment_ids=list(queryset.values_list("pk", flat=True)),
            moderator=request.user,
            reason="admin bulk action",
        )
        self.message_user(
            request,
            ngettext("%(count)d comment restored.", "%(count)d comments restored.", result.changed)
            % {"count": result.changed},
            messages.SUCCESS,
        )

    @admin.action(
        description="Dismiss the reports of selected comments (they stay)",
        permissions=["remove"],
    )
    def dismiss_reports(self, request, queryset):
        result = services.comment_reports_dismiss(
            comment_ids=list(queryset.values_list("pk", flat=True)),
            moderator=request.user,
            reason="admin bulk action",
        )
        self.message_user(
            request,
            ngettext(
                "Reports dismissed on %(count)d comment.",
                "Reports dismissed on %(count)d comments.",
                result.changed,
            )
            % {"count": result.changed},
            messages.SUCCESS,
        )


@admin.register(CommentReport)
class CommentReportAdmin(admin.ModelAdmin):
    """Members' reports, read-only: moderators decide on the comment, not the report."""

    list_display = ["comment", "member", "reason", "created_at"]
    list_filter = ["reason", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["comment__author", "member"]
    raw_id_fields = ["comment", "member"]
    search_fields = ["comment__body", "member__email", "note"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Tracking)
class TrackingAdmin(admin.ModelAdmin):
    list_display = ["story", "member", "created_at"]
    list_select_related = ["story", "member"]
    raw_id_fields = ["story", "member"]
    search_fields = ["story__title", "member__email"]
