"""The admin log-in goes through allauth's log-in, so its rate limits guard it too."""

from functools import wraps

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme, urlencode


def protect_admin_login(admin_login):
    @wraps(admin_login)
    def view(request, *args, **kwargs):
        if request.method == "GET" and request.user.is_authenticated:
            # Staff go on to the admin; other members see the admin's own log-in page,
            # which tells them this account may not enter (and shows no admin data).
            return admin_login(request, *args, **kwargs)
        next_url = request.GET.get(REDIRECT_FIELD_NAME) or "/admin/"
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = "/admin/"
        login_url = resolve_url(settings.LOGIN_URL)
        return HttpResponseRedirect(f"{login_url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")

    return view
