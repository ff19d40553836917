from functools import wraps

from allauth.account.decorators import verified_email_required
from django.shortcuts import render

from care2.users import facts


def member_can_act(view):
    """For views that post, vet, sign or message: a signed-in member with a verified
    e-mail who is not suspended. Readers go to log in; unverified members are asked to
    verify; suspended members get a clear 403 page."""

    @wraps(view)
    def check_suspension(request, *args, **kwargs):
        if request.user.is_suspended:
            return render(request, "users/suspended.html", status=403)
        # The e-mail was just found verified: services checking the member again in
        # this request need not ask the database a second time.
        request.user.email_verified_this_request = True
        return view(request, *args, **kwargs)

    checked = verified_email_required(check_suspension)

    @wraps(view)
    def check(request, *args, **kwargs):
        # The member's cached facts (care2.users.facts, dropped whenever an address
        # changes) say verified: no query. Otherwise allauth's decorator asks, and for
        # an unverified member sends the verification e-mail and says so.
        if request.user.is_authenticated and facts.for_request(request).verified:
            return check_suspension(request, *args, **kwargs)
        return checked(request, *args, **kwargs)

    return check
