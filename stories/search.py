"""Full-text search over stories: title, tags, summary and source domain.

On PostgreSQL a weighted vector is stored in ``Story.search_vector`` (GIN-indexed) and
ranked with ``ts_rank``; snippets come from ``ts_headline``. On SQLite (`make run`) a
simpler case-insensitive match answers.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q

from care2.search import ranked, uses_full_text
from stories.models import Story

REINDEX_SQL = """
UPDATE stories_story AS s SET search_vector =
    setweight(to_tsvector('english', coalesce(s.title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce((
        SELECT string_agg(t.name, ' ') FROM taggit_taggeditem ti
        JOIN taggit_tag t ON t.id = ti.tag_id
        WHERE ti.object_id = s.id AND ti.content_type_id = %s), '')), 'A') ||
    setweight(to_tsvector('english', coalesce(s.summary, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(split_part(s.url_key, '/', 1), '')), 'C')
"""


def stories_reindex(*, story_ids=None) -> None:
    """Recompute the search vector of these stories (all when None)."""
    if not uses_full_text():
        return
    content_type = ContentType.objects.get_for_model(Story).pk
    with connection.cursor() as cursor:
        if story_ids is None:
            cursor.execute(REINDEX_SQL, [content_type])
        else:
            cursor.execute(REINDEX_SQL + " WHERE s.id = ANY(%s)", [content_type, list(story_ids)])


def stories_search(*, text: str = "", tag: str = "", domain: str = "", category=None, since=None):
    """Visible stories matching the words, ranked (best first), with a highlighted
    ``snippet`` of the summary."""
    qs = Story.objects.visible().select_related("category", "submitter")
    if tag:
        qs = qs.filter(tags__name__iexact=tag)
    if domain:
        domain = domain.lower().removeprefix("www.")
        qs = qs.filter(
            Q(url_key__startswith=f"{domain}/")
            | Q(url_key=domain)
            | Q(url_key__startswith=f"{domain}?")
        )
    if category is not None:
        qs = qs.filter(category=category)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if not text:
        return qs.order_by("-created_at", "-id")
    if uses_full_text():
        return ranked(qs, text, snippet_of="summary")
    words = text.split()
    for word in words:
        qs = qs.filter(
            Q(title__icontains=word) | Q(summary__icontains=word) | Q(tags__name__iexact=word)
        )
    return qs.distinct().order_by("-created_at", "-id")
