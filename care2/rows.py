"""A new model row inserted with a statement written once, for the hottest writes (a
comment, an outbox message): building the ORM's INSERT each time costs more than the
statement does."""

import functools
import re
from collections.abc import Callable

from django.db import connection
from django.db.models import signals


def cursor(db=connection):
    """A cursor for a statement written once and run on every request: on PostgreSQL
    one that binds its values on the server, so the server can prepare the statement
    (``care2.postgresql``); elsewhere the database's usual cursor."""
    bound = getattr(db, "bound_cursor", None)
    return bound() if bound is not None else db.cursor()


@functools.cache
def cast_placeholders(alias: str, fields: tuple) -> str:
    """``%s::type, …`` for ``fields`` (PostgreSQL): values that go in through a SELECT
    are cast to their columns' types, without a length (an explicit cast to varchar(n)
    would cut an over-long value short; the column's own check refuses it)."""
    return ", ".join("%s::" + re.sub(r"\(.*\)", "", f.cast_db_type(connection)) for f in fields)


def insert(
    instance,
    sql: str,
    columns: list,
    *,
    leading=(),
    trailing=(),
    completed: Callable | None = None,
):
    """What ``instance.save(force_insert=True)`` does, through ``sql``: it takes the
    ``leading`` parameters, the values of ``columns`` in order, then the ``trailing``
    ones, and returns the new row's id first (None if it inserted nothing; then
    ``instance`` is returned unsaved, and no ``post_save`` is sent). The save signals are
    sent as ``save()`` sends them; ``completed(instance, row)`` runs once the id is set,
    before ``post_save``, with the whole row the statement returned."""
    model = type(instance)
    signals.pre_save.send(sender=model, instance=instance, raw=False, using=connection.alias)
    values = [f.get_db_prep_save(f.pre_save(instance, add=True), connection) for f in columns]
    with cursor() as rows_cursor:
        rows_cursor.execute(sql, [*leading, *values, *trailing])
        row = rows_cursor.fetchone()
    if row is None:
        return instance
    instance.pk = row[0]
    if completed is not None:
        completed(instance, row)
    instance._state.adding, instance._state.db = False, connection.alias
    signals.post_save.send(
        sender=model, instance=instance, created=True, raw=False, using=connection.alias
    )
    return instance
