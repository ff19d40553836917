"""Full-text ranking shared by the searchable apps (stories, petitions).

PostgreSQL full text (English, websearch syntax) where the database has it; each app
falls back to simple matching on SQLite (``make run``).
"""

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import F

# The snippet marks matches with these control characters, turned into
# <mark> after escaping the text (search.views), so the snippet needs no trust.
START_SEL, STOP_SEL = "\x02", "\x03"


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def ranked(qs, text: str, *, snippet_of: str):
    """``qs`` narrowed to rows whose ``search_vector`` matches ``text``, best first, each
    with a ``snippet`` of the field ``snippet_of`` around the matches."""
    query = SearchQuery(text, config="english", search_type="websearch")
    return (
        qs.filter(search_vector=query)
        .annotate(
            rank=SearchRank(F("search_vector"), query),
            snippet=SearchHeadline(
                snippet_of,
                query,
                config="english",
                start_sel=START_SEL,
                stop_sel=STOP_SEL,
                max_words=35,
                min_words=15,
            ),
        )
        .order_by("-rank", "-created_at")
    )
