"""What a reader's browser remembers of the petitions it signed on.

A reader has no account, so the petition page cannot know that they signed: it would
offer them the sign form again, as if their signature had not counted. The browser
keeps a signed cookie instead (Django's ``set_signed_cookie``: it cannot be forged or
edited) listing the petitions signed from it, each pending (signed, the e-mail link not
yet followed) or confirmed. The petition page shows such a reader what they did, with
the form still there, folded, for someone else signing on the same device.

The cookie says what this browser did, not who signed: it holds petition ids and
nothing about the signer. A page for a reader with the cookie is rendered for them, not
taken from the readers' cache, and never put into it.
"""

from django.conf import settings

COOKIE = "signed_petitions"
SALT = "petitions.reader_signatures"
MAX_AGE = 365 * 24 * 60 * 60
#: The most petitions one cookie remembers (the newest are kept).
KEPT = 50
PENDING, CONFIRMED = "p", "c"


def remembered(request) -> dict[int, str]:
    """Petition id → PENDING or CONFIRMED, for this browser (empty when the cookie is
    missing, expired or not ours)."""
    value = request.get_signed_cookie(COOKIE, default="", salt=SALT, max_age=MAX_AGE)
    signed = {}
    for item in value.split(","):
        number, state = item[:-1], item[-1:]
        if number.isdigit() and state in (PENDING, CONFIRMED):
            signed[int(number)] = state
    return signed


def state_for(request, petition_id: int) -> str | None:
    if COOKIE not in request.COOKIES:
        return None
    return remembered(request).get(int(petition_id))


def remember(request, response, petition_id: int, state: str | None) -> None:
    """Record on ``response`` that this browser's signature on the petition is now
    ``state`` (None: withdrawn, forgotten)."""
    if state is None and COOKIE not in request.COOKIES:
        return  # nothing remembered, nothing to forget
    signed = remembered(request)
    signed.pop(int(petition_id), None)
    if state is not None:
        signed[int(petition_id)] = state
    if not signed:
        response.delete_cookie(COOKIE, samesite="Lax")
        return
    items = list(signed.items())[-KEPT:]
    response.set_signed_cookie(
        COOKIE,
        ",".join(f"{number}{value}" for number, value in items),
        salt=SALT,
        max_age=MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
