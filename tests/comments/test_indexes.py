"""Every comment is written into each index of its table: the table keeps no index that
another one already serves, and every foreign key can still be followed by an index."""

import pytest
from django.db import connection

from comments.models import Comment

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner"),
]


def indexes() -> dict[str, dict]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Comment._meta.db_table)
    return {name: c for name, c in found.items() if c["index"]}


def test_every_foreign_key_leads_an_index_and_no_index_repeats_a_longer_ones_lead():
    found = indexes()
    leading = {}
    for name, index in found.items():
        leading.setdefault(index["columns"][0], []).append(name)
    for field in Comment._meta.concrete_fields:
        if field.is_relation:
            assert leading.get(field.column), f"{field.column} has no index"
    for name, index in found.items():
        column = index["columns"][0]
        longer = [
            other
            for other in leading[column]
            if len(found[other]["columns"]) > 1 and not found[other]["unique"]
        ]
        if len(index["columns"]) == 1 and not index["unique"] and name in leading[column]:
            assert not longer, f"{name} repeats the lead of {longer}"


def test_the_optional_keys_are_indexed_only_where_they_are_set():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
            [Comment._meta.db_table],
        )
        definitions = dict(cursor.fetchall())
    assert "WHERE (parent_id IS NOT NULL)" in definitions["comment_parent_idx"]
    assert "WHERE (removed_by_id IS NOT NULL)" in definitions["comment_removed_by_idx"]


@pytest.mark.parametrize(
    "where, index",
    [
        ("parent_id = 1", "comment_parent_idx"),  # a comment's replies, a cascade
        ("removed_by_id = 1", "comment_removed_by_idx"),  # a moderator deleted
        ("story_id = 1", "comment_"),  # the story's thread or its dated index
        ("author_id = 1", "comment_author_idx"),  # a member's comments, a member deleted
    ],
)
def test_each_key_is_found_through_an_index(where, index):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN SELECT id FROM {Comment._meta.db_table} WHERE {where}")
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert f"on {index}" in plan or f"using {index}" in plan.lower(), plan
