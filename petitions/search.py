"""Full-text search over petitions: title (A), target (A), why it matters (B).

Same design as stories.search: a weighted, GIN-indexed vector kept by
``petitions_reindex`` on PostgreSQL, ranked with a highlighted snippet; simple matching
on SQLite.
"""

from django.db import connection
from django.db.models import Q

from care2.search import ranked, uses_full_text
from petitions.models import Petition

REINDEX_SQL = """
UPDATE petitions_petition AS p SET search_vector =
    setweight(to_tsvector('english', coalesce(p.title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(p.target, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(p.why, '')), 'B')
"""


def petitions_reindex(*, petition_ids=None) -> None:
    if not uses_full_text():
        return
    with connection.cursor() as cursor:
        if petition_ids is None:
            cursor.execute(REINDEX_SQL)
        else:
            cursor.execute(REINDEX_SQL + " WHERE p.id = ANY(%s)", [list(petition_ids)])


def petitions_search(*, text: str = "", category=None, since=None):
    """Visible petitions matching the words, best first, with a ``snippet``."""
    qs = Petition.objects.visible().for_listing()
    if category is not None:
        qs = qs.filter(category=category)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if not text:
        return qs.order_by("-created_at", "-id")
    if uses_full_text():
        return ranked(qs, text, snippet_of="why")
    for word in text.split():
        qs = qs.filter(
            Q(title__icontains=word) | Q(target__icontains=word) | Q(why__icontains=word)
        )
    return qs.order_by("-created_at", "-id")
