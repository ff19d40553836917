"""Django's PostgreSQL backend with a health check that needs no round trip when it can.

With ``CONN_HEALTH_CHECKS`` Django checks a kept connection at the first query of every
request with ``SELECT 1``: a round trip to the server on every page and post, about a
tenth of a comment POST's database work here. An idle connection that the server has
closed or is closing (a restart, ``pg_terminate_backend``, an idle timeout) has something
to read: the server's termination notice, or the end of the stream. So an idle connection
with nothing to read and no transaction open is as it was left, and needs no query; any
other is checked with Django's ``SELECT 1``, as before. (A server that vanished without a
word, its host gone, shows nothing either way: the first query fails, the request gets
the database-unavailable page, and the connection is closed after it, as with Django's
check, whose ``SELECT 1`` would wait the same timeout.)
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status == pq.TransactionStatus.IDLE:
            try:
                pending, _, _ = select.select([connection.fileno()], [], [], 0)
            except (OSError, ValueError):
                return False
            if not pending:
                return True
        return super().is_usable()
