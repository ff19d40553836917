from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext

from care2.admin import ReasonActionForm
from petitions import selectors, services
from petitions.models import Petition, PetitionUpdate, Signature


class HiddenFilter(admin.SimpleListFilter):
    title = "visibility"
    parameter_name = "hidden"

    def lookups(self, request, model_admin):
        return [("yes", "Hidden"), ("no", "Visible")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(hidden_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(hidden_at__isnull=True)
        return queryset


class UpdateInline(admin.TabularInline):
    model = PetitionUpdate
    extra = 0
    fields = ["title", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class PetitionAdminForm(forms.ModelForm):
    """The change form says what the service would refuse, on the field (the admin
    builds the form's fields and model from ``PetitionAdmin``)."""

    def clean_deadline(self):
        deadline = self.cleaned_data.get("deadline")
        if "deadline" in self.changed_data:
            try:
                services.petition_deadline_check(deadline)
            except services.PetitionError as error:
                raise forms.ValidationError(error.message, code=error.code) from None
        return deadline


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
    form = PetitionAdminForm
    list_display = [
        "title",
        "status",
        "is_hidden",
        "creator",
        "category",
        "signatures",
        "goal",
        "created_at",
    ]
    list_filter = ["status", HiddenFilter, "category", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["creator", "category"]
    search_fields = ["title", "target", "creator__email"]
    date_hierarchy = "created_at"
    raw_id_fields = ["creator", "story"]
    # Status, hiding and pictures change only through the actions and the site's forms
    # (the services: dates, counts, audit, the image checker).
    readonly_fields = [
        "status",
        "hidden_reason",
        "image",
        "image_thumb",
        "signatures",
        "busiest_addresses",
        "goal",
        "created_at",
        "closed_at",
        "hidden_at",
        "emails_erased_at",
        "why_html",
    ]
    inlines = [UpdateInline]
    action_form = ReasonActionForm
    actions = ["hide", "unhide", "close"]

    def save_model(self, request, obj, form, change):
        # The service writes the changed columns (the page's text sanitized again), the
        # audit entry, the search index and the page-cache generation; the admin logs
        # the change itself.
        services.petition_edit(
            petition=obj, by=request.user, fields=form.changed_data, admin_log=False
        )

    def get_queryset(self, request):
        return super().get_queryset(request).with_count()

    @admin.display(description="signatures", ordering="confirmed_count")
    def signatures(self, obj):
        return obj.confirmed_count

    @admin.display(description="hidden", boolean=True)
    def is_hidden(self, obj):
        return obj.is_hidden

    @admin.display(description="busiest addresses")
    def busiest_addresses(self, obj):
        rows = selectors.busiest_ips(petition=obj)
        if not rows:
            return "No signatures yet."
        changelist = reverse("admin:petitions_signature_changelist")
        return format_html(
            "<table><thead><tr><th>Address</th><th>Signatures</th><th>First</th><th>Last</th>"
            "</tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                '<tr><td><a href="{}?petition__id__exact={}&amp;ip={}">{}</a></td>'
                "<td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (changelist, obj.pk, row["ip"], row["ip"], row["n"], row["first"], row["last"])
                    for row in rows
                ),
            ),
        )

    def _reason(self, request):
        return (request.POST.get("reason") or "").strip()

    @admin.action(description="Hide selected petitions (give a reason)", permissions=["change"])
    def hide(self, request, queryset):
        reason = self._reason(request)
        if not reason:
            self.message_user(request, "Give a reason to hide petitions.", messages.ERROR)
            return
        ids = list(queryset.values_list("pk", flat=True))
        result = services.petitions_hide(petition_ids=ids, reason=reason, by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d petition hidden.", "%(count)d petitions hidden.", result.changed)
            % {"count": result.changed},
            messages.SUCCESS,
        )

    @admin.action(description="Show selected petitions again", permissions=["change"])
    def unhide(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        result = services.petitions_unhide(
            petition_ids=ids, by=request.user, reason=self._reason(request)
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d petition shown again.",
                "%(count)d petitions shown again.",
                result.changed,
            )
            % {"count": result.changed},
            messages.SUCCESS,
        )

    @admin.action(description="Close selected petitions", permissions=["change"])
    def close(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        result = services.petitions_close(
            petition_ids=ids, by=request.user, reason=self._reason(request)
        )
        self.message_user(
            request,
            ngettext("%(count)d petition closed.", "%(count)d petitions closed.", result.changed)
            % {"count": result.changed},
            messages.SUCCESS,
        )


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = ["petition", "public_name", "email", "country", "status", "ip", "created_at"]
    list_filter = ["status", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["petition"]
    search_fields = ["=email", "petition__title", "=ip"]
    raw_id_fields = ["petition", "member"]
    readonly_fields = [
        "petition",
        "member",
        "status",
        "ip",
        "created_at",
        "confirmed_at",
        "invalidated_at",
    ]
    action_form = ReasonActionForm
    actions = ["invalidate"]

    def lookup_allowed(self, lookup, value, request=None):
        if lookup in {"petition__id__exact", "ip"}:
            return True
        return super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Signatures never vanish silently: invalidate them, and the count follows.
        return False

    @admin.action(
        description="Invalidate selected signatures (give a reason)", permissions=["change"]
    )
    def invalidate(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        changed = services.signatures_invalidate(
            signature_ids=ids, by=request.user, reason=self._reason(request)
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d signature invalidated.", "%(count)d signatures invalidated.", changed
            )
            % {"count": changed},
            messages.SUCCESS,
        )

    def _reason(self, request):
        return (request.POST.get("reason") or "").strip()
