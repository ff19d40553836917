"""What every request asks about the signed-in member, in one cached record.

A member's request needs their user row (Django's session authentication loads it) and,
on every page, a few facts that are not on it: how many unread messages they have (the
header's inbox count), whether their e-mail is verified (they may comment, vet, sign) and
their permissions (moderation links). Asked each time, that is four or five queries on
every page. The row and the facts are kept together in one cache entry per member: the
authentication backends (``care2.users.backends``) read it, one cache round trip for the
whole request, and build the user from it (``member``). The entry is deleted, now and
again after commit, by every write that changes any of it (``facts_changed``): the
member's row saved or deleted, the credit ledger's ``F()`` updates of the balance, a new
or read message, an e-mail address verified, added or removed, their groups or
permissions changed.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache as once

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction

#: Part of the key: bump it when the cached shape changes.
FORMAT = 2


@dataclass(frozen=True, slots=True)
class Facts:
    unread: int
    verified: bool
    permissions: frozenset[str]


@once
def _row_fields() -> tuple[str, ...]:
    """The user row's columns, in the order the entry keeps their values."""
    from care2.users.models import User

    return tuple(field.attname for field in User._meta.concrete_fields)


@once
def _schema() -> str:
    """Part of the key: a new column (a deploy) never reads an entry kept without it."""
    return hashlib.blake2b(",".join(_row_fields()).encode(), digest_size=4).hexdigest()


def _key(pk) -> str:
    return f"member:facts:{FORMAT}:{_schema()}:{pk}"


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


def _keep(user, facts: Facts) -> None:
    # Plain values (ints, strings, bools, datetimes) and tuples: no class of ours is
    # pickled, so a deploy that changes a class never meets an old pickle of it.
    row = tuple(getattr(user, name) for name in _row_fields())
    record = (row, facts.unread, facts.verified, tuple(sorted(facts.permissions)))
    cache.set(_key(user.pk), record, None)


def _prime(user, facts: Facts):
    """Hang the facts on the user object, so that ``has_perm``, the verified-e-mail check
    and ``for_request`` ask nothing more in this request."""
    user._member_facts = facts
    if not hasattr(user, "_perm_cache"):
        user._perm_cache = set(facts.permissions)
    if facts.verified:
        user.email_verified_this_request = True
    return user


def member(pk):
    """The member ``pk`` with their facts, from the cache (no query) or read and then
    kept (three queries); None if there is no such user."""
    from care2.pagecache import GENERATION_KEY
    from care2.users.models import User

    # The page cache's generation comes in the same round trip: every member page needs
    # it (care2.pagecache.request_generation).
    key = _key(pk)
    found = cache.get_many([key, GENERATION_KEY])
    cached = found.get(key)
    if isinstance(cached, tuple) and len(cached) == 4:
        row, unread, verified, permissions = cached
        user = User.from_db(DEFAULT_DB_ALIAS, _row_fields(), row)
        facts = Facts(unread=unread, verified=verified, permissions=frozenset(permissions))
    else:
        try:
            user = User._default_manager.get(pk=pk)
        except (User.DoesNotExist, ValueError, TypeError):
            return None
        facts = _load(user)
        _keep(user, facts)
    user._page_generation = found.get(GENERATION_KEY)
    return _prime(user, facts)


def member_facts(user) -> Facts:
    """The member's facts: those the user object came with, else from the cache or read
    (and then kept with the row)."""
    facts = getattr(user, "_member_facts", None)
    if facts is not None:
        return facts
    # Kept with the row as read now, not with this object's (which may be older).
    fresh = member(user.pk)
    return fresh._member_facts if fresh is not None else _load(user)


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
        _prime(user, facts)
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
