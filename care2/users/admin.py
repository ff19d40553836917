from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import ngettext

from care2.users.models import Message, User
from care2.users.names import clean_name
from care2.users.services import user_suspend, user_unsuspend
from care2.users.timezones import TimeZoneField, offer_current_zone


class _NameChecks:
    """Names with no visible character are refused here as on the site's forms."""

    def clean_first_name(self):
        return clean_name(self.cleaned_data["first_name"], required=True)

    def clean_last_name(self):
        return clean_name(self.cleaned_data.get("last_name", ""), required=False)


class MemberChangeForm(_NameChecks, UserChangeForm):
    time_zone = TimeZoneField()

    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"
        field_classes = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "time_zone" in self.fields:
            offer_current_zone(self)


class MemberCreationForm(_NameChecks, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email", "first_name", "last_name")
        field_classes = {}


class SuspendForm(forms.Form):
    reason = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
    until = forms.DateTimeField(
        required=False,
        help_text="Leave empty to suspend until a moderator lifts it. Format: 2026-12-31 18:00",
    )


class SuspendedFilter(admin.SimpleListFilter):
    title = "suspension"
    parameter_name = "suspended"

    def lookups(self, request, model_admin):
        return [("yes", "Suspended now")]

    def queryset(self, request, queryset):
        from django.utils import timezone

        if self.value() == "yes":
            return queryset.filter(suspended_until__gt=timezone.now())
        return queryset


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = MemberChangeForm
    add_form = MemberCreationForm
    ordering = ["email"]
    list_display = [
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "date_joined",
        "suspension",
    ]
    list_filter = [SuspendedFilter, "is_staff", "is_superuser", "is_active", "groups"]
    readonly_fields = [
        "suspension",
        "suspension_reason",
        "credits_balance",
        "credits_earned",
        "deleted_at",
    ]
    actions = ["suspend", "lift_suspension"]

    @admin.display(description="suspended", ordering="suspended_until")
    def suspension(self, member):
        """'until lifted' for an open-ended suspension (stored as a far-off date)."""
        if not member.is_suspended:
            return "—"
        if member.suspension_is_open_ended:
            return "until lifted"
        return date_format(localtime(member.suspended_until), "DATETIME_FORMAT")

    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Public name", {"fields": ("first_name", "last_name")}),
        ("Preferences", {"fields": ("time_zone", "email_on_tracked_comments")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Moderation", {"fields": ("suspension", "suspension_reason", "deleted_at")}),
        ("Credits", {"fields": ("credits_balance", "credits_earned")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Moderators suspend members; they do not hand out rights or change log-ins.
            fields += [
                "email",
                "is_staff",
                "is_superuser",
                "is_active",
                "groups",
                "user_permissions",
                "last_login",
                "date_joined",
            ]
        return fields

    @admin.action(description="Suspend selected members (give a reason)", permissions=["change"])
    def suspend(self, request, queryset):
        """Asks for a reason and an optional end, then suspends through the service
        (audited; the members' sessions end at their next request)."""
        form = SuspendForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            for user in queryset:
                user_suspend(
                    user=user,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    until=form.cleaned_data["until"],
                )
            count = queryset.count()
            self.message_user(
                request,
                ngettext("%(count)d member suspended.", "%(count)d members suspended.", count)
                % {"count": count},
                messages.SUCCESS,
            )
            return None
        return render(
            request,
            "admin/users/suspend.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "members": queryset,
                "opts": self.model._meta,
            },
        )

    @admin.action(description="Lift the suspension of selected members", permissions=["change"])
    def lift_suspension(self, request, queryset):
        for user in queryset:
            user_unsuspend(user=user, by=request.user, reason="lifted in the admin")
        count = queryset.count()
        self.message_user(
            request,
            ngettext("%(count)d suspension lifted.", "%(count)d suspensions lifted.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "password1", "password2"),
            },
        ),
    )


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "created_at", "read_at"]
    list_select_related = ["recipient"]
    search_fields = ["subject", "recipient__email"]
    raw_id_fields = ["recipient"]
