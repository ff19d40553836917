"""Reads for stories that more than one view uses."""

import copy
import datetime
import functools
import threading
from collections import OrderedDict

from django.core.cache import cache
from django.db import connection, connections, router
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from care2 import rows
from stories.models import Category, Story, Vet


def of_member(sql: str, model, user, output_field=None) -> RawSQL:
    """A subquery on the member's row of ``model`` (a model with ``story`` and ``member``
    keys) for the story of the query it annotates. ``sql`` names the table ``{t}``, the
    story condition ``{s}`` and the member condition ``{m}``. Written out, because the
    ORM's ``Exists``/``Subquery`` cost more to build than to run (a millisecond each on
    every member's story page)."""
    return RawSQL(_member_sql(sql, model), [user.pk], output_field=output_field or BooleanField())


@functools.cache
def _member_sql(sql: str, model) -> str:
    quote = connection.ops.quote_name
    story_column = quote(model._meta.get_field("story").column)
    member_column = quote(model._meta.get_field("member").column)
    table = quote(model._meta.db_table)
    story_pk = f"{quote(Story._meta.db_table)}.{quote(Story._meta.pk.column)}"
    return sql.format(
        t=table, s=f"{table}.{story_column} = {story_pk}", m=f"{table}.{member_column} = %s"
    )


#: The story rows (with category and submitter) this process read last, by generation
#: of the page cache and id: every write that changes what a story page shows bumps the
#: generation, so a row kept under the current one is the row as it is.
_ROWS: OrderedDict[tuple[int, int], Story] = OrderedDict()
_ROWS_LOCK = threading.Lock()
ROWS_KEPT = 1024


def story_row(pk, generation: int) -> Story:
    """The story ``pk`` with its category and submitter (Http404 if there is none), a
    copy of the one this process keeps under ``generation`` or read now (from the primary
    when replicas are configured, since it is kept under the newest generation)."""
    from django.shortcuts import get_object_or_404

    from care2.db_router import filling_from_primary

    try:
        key = (generation, int(pk))
    except (TypeError, ValueError):
        key = None
    story = _ROWS.get(key) if key is not None else None
    if story is None:
        with filling_from_primary():
            story = get_object_or_404(Story.objects.select_related("category", "submitter"), pk=pk)
        if key is not None:
            with _ROWS_LOCK:
                _ROWS[key] = story
                while len(_ROWS) > ROWS_KEPT:
                    _ROWS.popitem(last=False)
    # A copy per request: a view may set attributes on its story (the member's state).
    return copy.copy(story)


def story_id(value) -> int | None:
    """``value`` as a story's id, or None if no story can have it: not an integer, or
    beyond the primary key's column (a URL's ``<int:…>`` takes any digits; the ORM's
    lookups answer such an id with no row, but a statement written by hand would fail
    on it)."""
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    low, high = connection.ops.integer_field_range(Story._meta.pk.get_internal_type())
    if (low is not None and pk < low) or (high is not None and pk > high):
        return None
    return pk


def published_story(pk) -> Story:
    """The published story ``pk`` with its category, or Http404: what
    ``get_object_or_404(Story.objects.select_related("category"), pk=pk,
    status=PUBLISHED)`` gives (its search vector deferred), read with a statement written
    once per database. Every comment's POST reads its story; building the ORM's query
    each time costs several times what running it does."""
    from django.http import Http404

    pk = story_id(pk)
    if pk is None:
        raise Http404("No such story.")
    alias = router.db_for_read(Story)
    db = connections[alias]
    sql, story_names, converters = _published_story_sql(alias)
    with rows.cursor(db) as cursor:
        cursor.execute(sql, [pk, Story.Status.PUBLISHED.value])
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such story.")
    row = list(row)
    for index, column, functions in converters:
        for converter in functions:
            row[index] = converter(row[index], column, db)
    split = len(story_names)
    story = Story.from_db(alias, story_names, row[:split])
    category = Category.from_db(
        alias, [f.attname for f in Category._meta.concrete_fields], row[split:]
    )
    Story._meta.get_field("category").set_cached_value(story, category)
    return story


@functools.cache
def _published_story_sql(alias: str) -> tuple[str, list[str], list[tuple]]:
    db = connections[alias]
    quote = db.ops.quote_name
    story_table, category_table = quote(Story._meta.db_table), quote(Category._meta.db_table)
    story_fields = [f for f in Story._meta.concrete_fields if f.name != "search_vector"]
    fields = [(story_table, f) for f in story_fields] + [
        (category_table, f) for f in Category._meta.concrete_fields
    ]
    category_id = quote(Story._meta.get_field("category").column)
    sql = (
        f"SELECT {', '.join(f'{table}.{quote(f.column)}' for table, f in fields)} "
        f"FROM {story_table} INNER JOIN {category_table} "
        f"ON {category_table}.{quote(Category._meta.pk.column)} = {story_table}.{category_id} "
        f"WHERE {story_table}.{quote(Story._meta.pk.column)} = %s "
        f"AND {story_table}.{quote(Story._meta.get_field('status').column)} = %s"
    )
    converters = []
    for index, (_, field) in enumerate(fields):
        column = field.get_col(field.model._meta.db_table)
        functions = db.ops.get_db_converters(column) + column.get_db_converters(db)
        if functions:
            converters.append((index, column, functions))
    return sql, [f.attname for f in story_fields], converters


def member_story_state(user, story_pk: int, expressions: dict[str, RawSQL]) -> dict:
    """The member's own facts about a story (``of_member`` expressions by name) in one
    statement that builds no ORM query: ``SELECT (e1), (e2), … FROM story WHERE id``."""
    # Where the router sends a read of stories (a replica, unless the thread is pinned).
    db = connections[router.db_for_read(Story)]
    quote = db.ops.quote_name
    table = quote(Story._meta.db_table)
    sql = (
        "SELECT "
        + ", ".join(f"({expression.sql})" for expression in expressions.values())
        + f" FROM {table} WHERE {table}.{quote(Story._meta.pk.column)} = %s"
    )
    params = [param for expression in expressions.values() for param in expression.params]
    with db.cursor() as cursor:
        cursor.execute(sql, [*params, story_pk])
        row = cursor.fetchone()
    state = {}
    for (name, expression), value in zip(expressions.items(), row or (), strict=False):
        field = expression.output_field
        for converter in db.ops.get_db_converters(expression):
            value = converter(value, expression, db)
        state[name] = field.to_python(value) if value is not None else None
    return state


def _recent_count(model, since):
    return Coalesce(
        Subquery(
            model.objects.filter(story=OuterRef("pk"), created_at__gte=since)
            .order_by()
            .values("story")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


MOST_ACTIVE_CACHE_SECONDS = 60


def most_active_today(*, category: Category, exclude: Story | None = None, limit: int = 5):
    """Stories of ``category`` with the most vets and comments in the last 24 hours.

    Comments are counted through the reverse relation ``comments`` that the comments
    app adds to Story, so this layer never imports the one above it.

    A sidebar, not a count anyone relies on: kept per category for a minute
    (MOST_ACTIVE_CACHE_SECONDS), so the story page does not aggregate a day of activity
    over the whole category on every view a member makes.
    """
    key = f"stories:most_active:{category.pk}:{limit}"
    stories = cache.get(key)
    if stories is None:
        stories = _most_active_today(category=category, limit=limit + 1)
        cache.set(key, stories, MOST_ACTIVE_CACHE_SECONDS)
    exclude_pk = exclude.pk if exclude is not None else None
    return [s for s in stories if s.pk != exclude_pk][:limit]


def _most_active_today(*, category: Category, limit: int):
    since = timezone.now() - datetime.timedelta(hours=24)
    activity = _recent_count(Vet, since)
    # EXISTS, one index probe per story: "pk IN (a day of comments)" made PostgreSQL
    # rescan the whole day's comments for every story of the category.
    recently_active = Exists(Vet.objects.filter(story=OuterRef("pk"), created_at__gte=since))
    comment_model = next(
        (f.related_model for f in Story._meta.related_objects if f.name == "comments"), None
    )
    if comment_model is not None:
        activity = activity + _recent_count(comment_model, since)
        recently_active |= Exists(
            comment_model.objects.filter(story=OuterRef("pk"), created_at__gte=since)
        )
    qs = Story.objects.published().filter(recently_active, category=category)
    return list(
        qs.annotate(activity=activity)
        .order_by("-activity", "-published_at")
        .only("pk", "slug", "title", "vet_count", "comment_count")[:limit]
    )


def story_noted_by(*, story: Story):
    """Members who vetted the story, in the order they did."""
    return Vet.objects.filter(story=story).select_related("member").order_by("created_at", "pk")


def categories_with_counts():
    return Category.objects.annotate(
        published=Count("stories", filter=Q(stories__status=Story.Status.PUBLISHED))
    )
