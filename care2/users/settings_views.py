from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from care2.images import ImageRejected
from care2.pagecache import pages_changed
from care2.users.avatars import avatar_remove, avatar_set
from care2.users.settings_forms import AvatarForm, ProfileSettingsForm


@login_required
def settings_page(request):
    """A member's settings: names, time zone, bio, e-mail preferences, picture."""
    form = ProfileSettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            if {"first_name", "last_name"} & set(form.changed_data):
                pages_changed()  # the name shows on cached pages and comment threads
        messages.success(request, "Your settings are saved.")
        return redirect("settings:index")
    return render(request, "users/settings.html", {"form": form, "avatar_form": AvatarForm()})


@login_required
@require_POST
def avatar_upload(request):
    """Upload a new picture; a bad file gets a clear message and nothing is stored."""
    form = AvatarForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            avatar_set(user=request.user, upload=form.cleaned_data["avatar"])
        except ImageRejected as error:
            form.add_error("avatar", str(error))
        else:
            messages.success(request, "Your picture is updated.")
            return redirect("settings:index")
    return render(
        request,
        "users/settings.html",
        {"form": ProfileSettingsForm(instance=request.user), "avatar_form": form},
        status=400,
    )


@login_required
@require_POST
def avatar_delete(request):
    avatar_remove(user=request.user)
    messages.success(request, "Your picture is removed; your initials show instead.")
    return redirect("settings:index")


@login_required
def data_download(request):
    """Download my data: everything the site holds about me, as JSON."""
    import json

    from django.http import HttpResponse

    from care2.users.privacy import member_export

    data = member_export(user=request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="my-care2-data.json"'
    return response


@login_required
def account_delete(request):
    """Delete my account: confirmed with the password (or the e-mail, for members who
    only ever logged in with Facebook)."""
    from django.contrib.auth import logout

    from care2.users.privacy import member_delete
    from care2.users.settings_forms import DeleteAccountForm

    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        member_delete(user=request.user)
        logout(request)
        messages.success(
            request, "Your account is deleted. Thank you for being part of the network."
        )
        return redirect("/")  # the front page
    return render(request, "users/account_delete.html", {"form": form})
