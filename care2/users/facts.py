"""What every page asks about the signed-in member, in one cached record.

A member's page needs a few facts that are not on their user row: how many unread
messages they have (the header's inbox count), whether their e-mail is verified (they
may comment, vet, sign) and their permissions (moderation links). Asked each time, that
is three or four queries on every page. They are kept together in one cache entry per
member, read once per request (``for_request``) and deleted after commit by every write
that changes one of them (``facts_changed``): a new or read message, an e-mail address
verified, added or removed, the member's row saved, their groups or permissions changed.

The balance, the name and the suspension are on the user row, which every request loads
anyway, so they are never stale and not kept here.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

#: Part of the key: bump it when the cached shape changes.
FORMAT = 1


@dataclass(frozen=True, slots=True)
class Facts:
    unread: int
    verified: bool
    permissions: frozenset[str]


def _key(pk: int) -> str:
    return f"member:facts:{FORMAT}:{pk}"


def _load(user) -> Facts:
    """Two queries: the counts on the member's row, and their permissions."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.models import Permission
    from django.db.models import Count, Exists, OuterRef, Q

    from care2.users.models import User

    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            unread=Count("messages_received", filter=Q(messages_received__read_at__isnull=True)),
            verified=Exists(EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)),
        )
        .values("unread", "verified")
        .first()
    ) or {"unread": 0, "verified": False}
    # What ModelBackend.get_all_permissions gives (its user and group permissions), read
    # in one query instead of two.
    if not user.is_active:
        permissions = frozenset()
    else:
        permissions = Permission.objects.all()
        if not user.is_superuser:
            permissions = permissions.filter(Q(user=user) | Q(group__user=user))
        permissions = frozenset(
            f"{app}.{codename}"
            for app, codename in permissions.values_list(
                "content_type__app_label", "codename"
            ).distinct()
        )
    return Facts(unread=row["unread"], verified=row["verified"], permissions=permissions)


def member_facts(user) -> Facts:
    """The member's facts, from the cache or read (and then kept)."""
    key = _key(user.pk)
    cached = cache.get(key)
    if isinstance(cached, tuple) and len(cached) == 3:
        unread, verified, permissions = cached
        return Facts(unread=unread, verified=verified, permissions=frozenset(permissions))
    facts = _load(user)
    # Plain ints, bools and a tuple of strings: no class of ours is pickled.
    cache.set(key, (facts.unread, facts.verified, tuple(sorted(facts.permissions))), None)
    return facts


def for_request(request) -> Facts | None:
    """The facts of the request's member (None for a reader), read once per request.

    Also primes the user object, so that ``has_perm`` and the verified-e-mail check ask
    no query in this request."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    facts = getattr(request, "_member_facts", None)
    if facts is None:
        facts = member_facts(user)
        request._member_facts = facts
        if not hasattr(user, "_perm_cache"):
            user._perm_cache = set(facts.permissions)
        if facts.verified:
            user.email_verified_this_request = True
    return facts


def facts_changed(*pks: int) -> None:
    """Forget the facts of these members now and again once the current transaction
    commits: a page read in between may have kept the old ones; after the commit the
    next page reads them fresh."""
    keys = [_key(pk) for pk in pks if pk is not None]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


def facts_changed_for(users: Iterable) -> None:
    facts_changed(*(getattr(user, "pk", user) for user in users))
