from django.apps import apps
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from care2.users.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit trail: who did what, when and why. Read-only for everyone, superusers
    included: entries are written by the moderation services, never by hand."""

    list_display = ["created_at", "actor", "action", "target_link", "reason"]
    list_filter = ["action", ("created_at", admin.DateFieldListFilter), "target_type"]
    list_select_related = ["actor"]
    search_fields = [
        "action",
        "target_repr",
        "target_id",
        "reason",
        "actor__email",
        "actor__first_name",
        "actor__last_name",
    ]
    date_hierarchy = "created_at"
    fields = ["created_at", "actor", "action", "target_type", "target_id", "target_link", "reason"]
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="target")
    def target_link(self, obj):
        """The target's own admin page when it still exists there; its name otherwise."""
        try:
            model = apps.get_model(obj.target_type)
            url = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_change",
                args=[obj.target_id],
            )
        except (LookupError, ValueError, NoReverseMatch):
            return obj.target_repr
        return format_html('<a href="{}">{}</a>', url, obj.target_repr)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
