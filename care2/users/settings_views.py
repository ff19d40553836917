from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from care2.images import ImageRejected
from care2.users.avatars import avatar_remove, avatar_set
from care2.users.settings_forms import AvatarForm, ProfileSettingsForm


@login_required
def settings_page(request):
    """A member's settings: names, time zone, bio, e-mail preferences, picture."""
    form = ProfileSettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
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
