from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from credits import services
from credits.forms import AdjustmentForm, CauseAdminForm
from credits.models import Cause, CreditEntry, CreditRule


@admin.register(CreditRule)
class CreditRuleAdmin(admin.ModelAdmin):
    """Moderators change what each action pays; past entries keep what they paid."""

    list_display = ["action", "amount", "daily_cap", "updated_at"]
    list_editable = ["amount", "daily_cap"]
    fields = ["action", "amount", "daily_cap", "updated_at"]
    readonly_fields = ["updated_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "action"] if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Every rule change is audited, with the values before and after (the list's
        inline edits come through here too): the service writes both."""
        services.credit_rule_update(rule=obj, by=request.user, admin_log=False)


@admin.register(CreditEntry)
class CreditEntryAdmin(admin.ModelAdmin):
    """The ledger, read-only. "Add" records a moderator adjustment (a new entry)."""

    list_display = ["created_at", "member", "kind", "action", "amount", "earned", "key", "note"]
    list_filter = ["kind", "action", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["member"]
    search_fields = ["key", "note", "member__email", "member__first_name", "member__last_name"]
    date_hierarchy = "created_at"
    fields = [
        "member",
        "kind",
        "action",
        "amount",
        "earned",
        "content_type",
        "object_id",
        "key",
        "reverses",
        "note",
        "created_by",
        "created_at",
    ]
    readonly_fields = fields
    show_full_result_count = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            return AdjustmentForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["member", "amount", "note"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            entry = services.credit_adjust(
                member=form.cleaned_data["member"],
                amount=form.cleaned_data["amount"],
                note=form.cleaned_data["note"],
                moderator=request.user,  # the service writes the audit entry too
                admin_log=False,  # the add form logs this save itself
            )
        except services.CreditError as error:
            # Only when another write got in between validating the form and saving.
            obj._adjust_error = error.message
            return
        obj.__dict__.update(entry.__dict__)

    def save_related(self, request, form, formsets, change):
        pass

    def log_addition(self, request, obj, message):
        if getattr(obj, "_adjust_error", None) is None:
            return super().log_addition(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(obj, "_adjust_error", None) is not None:
            self.message_user(request, obj._adjust_error, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:credits_creditentry_add"))
        return super().response_add(request, obj, post_url_continue)


@admin.register(Cause)
class CauseAdmin(admin.ModelAdmin):
    """Causes members spend credits on ("Plant a tree — 500 credits")."""

    form = CauseAdminForm
    list_display = ["title", "cost", "stock", "redeemed_count", "remaining", "is_active", "order"]
    list_editable = ["is_active", "order"]
    list_filter = ["is_active"]
    search_fields = ["title", "description"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["redeemed_count", "created_at"]
    fields = [
        "title",
        "slug",
        "description",
        "image",
        "image_alt",
        "cost",
        "stock",
        "redeemed_count",
        "is_active",
        "order",
        "created_at",
    ]

    def has_delete_permission(self, request, obj=None):
        # Redemptions point at the cause: retire it (untick "active") instead.
        return False

    def save_model(self, request, obj, form, change):
        # The service writes the changed columns (never the redeemed count), the audit
        # entry and the page-cache generation; the admin logs the save itself.
        try:
            services.cause_edit(
                cause=obj, by=request.user, fields=form.changed_data, admin_log=False
            )
        except services.CreditError as error:
            # Only when redemptions got in between validating the form and saving.
            obj._edit_error = error.message

    def log_change(self, request, obj, message):
        if getattr(obj, "_edit_error", None) is None:
            return super().log_change(request, obj, message)
        return None

    def response_change(self, request, obj):
        if getattr(obj, "_edit_error", None) is not None:
            self.message_user(request, obj._edit_error, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:credits_cause_change", args=[obj.pk]))
        return super().response_change(request, obj)
