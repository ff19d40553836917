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

from django.db import DEFAULT_DB_ALIAS, connections
from multidb import PinningReplicaRouter as _PinningReplicaRouter


class PinningReplicaRouter(_PinningReplicaRouter):
    def db_for_read(self, model, **hints):
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return super().db_for_read(model, **hints)
