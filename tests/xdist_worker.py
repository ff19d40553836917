"""Each pytest-xdist worker gets a Redis database of its own.

Loaded before Django's settings (``make test`` runs ``python -m pytest -p
tests.xdist_worker -n …``), because the settings read ``REDIS_URL`` when they are
imported: pytest-django imports them before any conftest. Processes a test starts (a
Celery worker, a server) inherit the worker's URL. Tests clear the cache
(``cache.clear()`` empties the whole database) and count what is queued on the broker,
so two workers sharing one database would see each other's keys. pytest-django gives
each worker a PostgreSQL test database of its own (``test_<name>_gw0``, …) by itself.
Outside xdist nothing changes.
"""

import os
from urllib.parse import urlsplit, urlunsplit

REDIS_DATABASES = 16  # Redis's default number of databases


def _worker_database_url(url: str, worker: int) -> str:
    """``url`` with its database number moved on by ``worker`` (gw0 keeps its own)."""
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0)
    path = f"/{(database + worker) % REDIS_DATABASES}"
    return urlunsplit(parts._replace(path=path))


# The variables this process moved to its worker's database (tests/test_xdist.py).
MOVED: dict[str, str] = {}

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw"):
    for _name in ("REDIS_URL", "CELERY_BROKER_URL"):
        if os.environ.get(_name, "").startswith("redis://"):
            os.environ[_name] = _worker_database_url(os.environ[_name], int(_worker[2:]))
            MOVED[_name] = os.environ[_name]
