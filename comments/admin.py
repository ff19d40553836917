from django.contrib import admin, messages
from django.utils.text import Truncator

from comments import services
from comments.models import Comment, Tracking


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    """Moderators read every comment (removed text included, for the audit) and remove
    them with a reason; nothing is edited or deleted here."""

    list_display = ["excerpt", "author", "story", "status", "removal_reason", "created_at"]
    list_filter = ["status", "removal_reason", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["author", "story"]
    search_fields = ["body", "author__email", "author__first_name", "story__title"]
    date_hierarchy = "created_at"
    raw_id_fields = ["story", "author", "parent", "removed_by"]
    readonly_fields = [
        "story", "author", "parent", "depth", "path", "body", "body_html", "status",
        "created_at", "edited_at", "deleted_at", "removed_at", "removed_by",
        "removal_reason", "removal_note",
    ]  # fmt: skip
    actions = ["remove_as_spam", "remove_as_abuse", "remove_off_topic", "remove_personal_data"]

    @admin.display(description="comment")
    def excerpt(self, obj):
        return Truncator(obj.body).chars(80)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Removal keeps the audit trail; only a superuser deletes rows outright.
        return request.user.is_superuser

    def has_remove_permission(self, request):
        return services.can_moderate(request.user)

    def _remove(self, request, queryset, reason):
        result = services.comments_remove(
            comment_ids=list(queryset.values_list("pk", flat=True)),
            moderator=request.user,
            reason=reason,
            note="admin action",
        )
        label = Comment.RemovalReason(reason).label.lower()
        self.message_user(
            request, f"{result.removed} comments removed ({label}).", messages.SUCCESS
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


@admin.register(Tracking)
class TrackingAdmin(admin.ModelAdmin):
    list_display = ["story", "member", "created_at"]
    list_select_related = ["story", "member"]
    raw_id_fields = ["story", "member"]
    search_fields = ["story__title", "member__email"]
