"""The authentication backends: Django's and allauth's, with the signed-in member read
from their cached record (``care2.users.facts``) instead of a query on every request.

Sign-in itself (``authenticate``) is theirs, unchanged. ``get_user``, which the session
middleware calls to load the member of every request, takes the row and the member's
facts from one cache entry; the entry is dropped by every write to the row, so what it
returns is the row as it is in the database. A member who may not sign in (inactive) is
refused exactly as the parent classes refuse them.
"""

from allauth.account import auth_backends
from django.contrib.auth import backends

from care2.users import facts


class CachedUserMixin:
    def get_user(self, user_id):
        user = facts.member(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(CachedUserMixin, backends.ModelBackend):
    pass


class AuthenticationBackend(CachedUserMixin, auth_backends.AuthenticationBackend):
    pass
