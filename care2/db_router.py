"""Where each query goes when read replicas are configured (``DATABASE_REPLICA_URLS``).

django-multidb-router's pinning router sends writes to the primary ("default") and
reads to a replica, unless the thread is pinned to the primary: by its middleware for a
request that writes or that carries the cookie a recent write set, by ``use_primary_db``,
or by a Celery task (``care2.celery`` pins every task). One rule is added: a read inside
a transaction on the primary goes to the primary too. Such a read belongs with the
transaction's writes (a row it locks, a row it just wrote, a count it checks before an
``UPDATE``); on a replica it would see neither the transaction's own writes nor, under
lag, the latest committed ones.
"""

import contextlib

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from multidb import PinningReplicaRouter as _PinningReplicaRouter
from multidb import pinning


class PinningReplicaRouter(_PinningReplicaRouter):
    def db_for_read(self, model, **hints):
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return super().db_for_read(model, **hints)


@contextlib.contextmanager
def filling_from_primary():
    """Reads on the primary while something that goes into a shared cache is built (a
    page, a comment thread, a story row, the API's JSON).

    The cache's generation is bumped as soon as a write commits, when a replica may not
    have that write yet; built from the replica, the entry would be kept under the new
    generation, stale until the next write. With no replica configured (or a thread
    already pinned, such as a client that just wrote) it changes nothing. Cache hits
    never get here."""
    if not settings.REPLICA_DATABASES or pinning.this_thread_is_pinned():
        yield
        return
    pinning.pin_this_thread()
    try:
        yield
    finally:
        pinning.unpin_this_thread()
