"""Django's PostgreSQL backend with a health check that needs no round trip when it can,
and a cursor for the hottest statements that lets the server prepare them.

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

``bound_cursor()``: Django's cursors bind parameters on the client (the values are
quoted into the SQL text), so the server parses and plans every statement anew. The
statements written once for the hottest writes (``care2.rows``) go through a cursor that
sends the values apart from the statement instead; psycopg then prepares a statement the
connection has run ``prepare_threshold`` times (OPTIONS; settings turn it off behind
PgBouncer), and the server runs it from its plan. It is Django's cursor wrapper all the
same: errors are Django's, and the queries are counted and logged as any other.
"""

import select

from django.db.backends.postgresql import base, operations
from django.utils.asyncio import async_unsafe
from psycopg import ClientCursor, errors, pq


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        """A bound cursor's statement with its values in it, as Django shows statements
        under server-side binding (logged and counted queries only)."""
        if not isinstance(cursor, ClientCursor):
            try:
                return self.compose_sql(sql, params)
            except errors.DataError:
                pass
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    @async_unsafe
    def bound_cursor(self):
        """A cursor (Django's wrapper) whose parameters are bound on the server."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = base.ServerBindingCursor(self.connection)
            # As Django's create_cursor: the connection's time zone for timestamps read.
            loader = self.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, base.Format.TEXT)
            if self.timezone != loader.timezone:
                base.register_tzloader(self.timezone, cursor)
            return self._prepare_cursor(cursor)

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
