"""Browsers a member signed in from: "from where they usually are".

A successful sign-in leaves a signed cookie naming the account (by a keyed hash of its
e-mail, not the address itself) and a random id for the browser. Wrong passwords are
then counted per account *and* browser for a browser that carries a valid cookie for the
account, and per account for all others (care2.users.adapters.AccountAdapter): anyone
guessing from elsewhere can pause password sign-in for strangers' browsers, but not
for the owner's own.
"""

import secrets

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac

COOKIE = "care2_device"
SALT = "care2.users.devices"
MAX_AGE = 60 * 60 * 24 * 365


def _account(login: str) -> str:
    return salted_hmac(SALT, login.strip().lower(), algorithm="sha256").hexdigest()[:32]


def device_cookie(login: str, device: str | None = None) -> tuple[str, str]:
    """The cookie value for ``login`` on a browser (a new id unless ``device`` is given)."""
    device = device or secrets.token_urlsafe(12)
    return signing.dumps({"a": _account(login), "d": device}, salt=SALT, compress=True), device


def _read(request) -> dict | None:
    value = request.COOKIES.get(COOKIE) if request is not None else None
    if not value:
        return None
    try:
        data = signing.loads(value, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    return data if isinstance(data, dict) else None


def known_device(request, login: str) -> str | None:
    """The browser's id when it signed in to ``login``'s account before, else None."""
    data = _read(request)
    if not data or not login or data.get("a") != _account(login):
        return None
    device = data.get("d")
    return device if isinstance(device, str) and device else None


def remember(request, response, user) -> None:
    """After a sign-in: this browser is one the member uses (the id is kept if any)."""
    if response is None or not getattr(user, "email", ""):
        return
    data = _read(request) or {}
    value, _ = device_cookie(user.email, data.get("d") if isinstance(data.get("d"), str) else None)
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )
