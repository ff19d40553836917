from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm

from care2.models import OutboxMessage


class ReasonActionForm(ActionForm):
    """The admin's action bar with a box for the reason, which the audit trail keeps
    (hiding, rejecting, invalidating...)."""

    reason = forms.CharField(required=False, max_length=300, label="Reason")


def action_reason(request, default: str = "") -> str:
    """The reason a moderator typed in the action bar (or ``default``)."""
    return (request.POST.get("reason") or "").strip() or default


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["task_name", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["task_name", "args", "created_at", "sent_at", "attempts", "last_error"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
