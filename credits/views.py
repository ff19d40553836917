from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from credits import selectors, services
from credits.forms import RedeemForm
from credits.models import Cause

HISTORY_PER_PAGE = 25


def learn_more(request):
    """How butterfly credits are earned, capped and spent, with the causes."""
    return render(
        request,
        "credits/learn_more.html",
        {
            "rules": services.credit_rules(),
            "causes": list(selectors.causes_for_members()),
            "cap_time_zone": settings.TIME_ZONE.replace("_", " "),
        },
    )


@login_required
def my_credits(request):
    """The member's balance, lifetime total, 90-day chart and history."""
    page = Paginator(selectors.member_history(member=request.user), HISTORY_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "credits/my_credits.html",
        {
            "chart": selectors.earned_per_day(member=request.user),
            "page_obj": page,
            "entries": page.object_list,
        },
    )


def leaderboard(request):
    """Members who earned the most credits this week and in all."""
    return render(
        request,
        "credits/leaderboard.html",
        {
            "this_week": selectors.leaderboard_this_week(),
            "all_time": selectors.leaderboard_all_time(),
        },
    )


def causes(request):
    """The causes members can spend their credits on."""
    return render(request, "credits/causes.html", {"causes": list(selectors.causes_for_members())})


def cause_detail(request, slug):
    """One cause, with the form to redeem credits for it."""
    cause = get_object_or_404(Cause.objects.active(), slug=slug)
    if request.method == "POST" and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    form = RedeemForm(request.POST or None)
    if form.is_bound and "token" in form.errors:
        # A tampered or stale form: show a fresh one rather than an error about a field
        # the member cannot see.
        messages.error(request, "Please confirm again: the form had expired.")
        form = RedeemForm()
    elif form.is_bound and form.is_valid():
        try:
            services.cause_redeem(
                member=request.user, cause=cause, token=str(form.cleaned_data["token"])
            )
        except services.CreditError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, f"Thank you! You spent {cause.cost} credits on “{cause.title}”."
            )
            return redirect("credits:mine")
    # Credits the member still lacks: the form shows disabled with that number (the
    # service above still refuses a redemption the balance cannot pay).
    shortfall = 0
    if request.user.is_authenticated:
        shortfall = max(0, cause.cost - request.user.credits_balance)
    if shortfall:
        form.fields["confirm"].widget.attrs.update(
            {"disabled": True, "aria-describedby": "redeem-shortfall"}
        )
    return render(
        request,
        "credits/cause_detail.html",
        {"cause": cause, "form": form, "shortfall": shortfall},
    )
