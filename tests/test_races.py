"""The one race harness (tests/races.py) that the concurrency tests share."""

import pathlib
import threading

import pytest

from tests.races import race, race_calls

TESTS = pathlib.Path(__file__).parent


class Refusal(Exception):
    def __init__(self, message):
        self.message = message


def test_calls_run_at_once_and_every_outcome_is_kept():
    together = threading.Barrier(3, timeout=30)  # passes only if all three run at once

    def call(n):
        together.wait()
        if n == 1:
            raise Refusal("no")
        if n == 2:
            raise ValueError("boom")
        return n * 10

    outcomes = race(call, [(0,), (1,), (2,)], refused=Refusal)
    assert sorted(outcomes) == [("error", "ValueError('boom')"), ("ok", 0), ("refused", "no")]


@pytest.mark.django_db(transaction=True)
def test_each_thread_uses_its_own_connection_and_closes_it():
    from django.db import connection

    def backend_pid():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    outcomes = race_calls([backend_pid] * 3)
    assert [kind for kind, _ in outcomes] == ["ok"] * 3
    assert len({pid for _, pid in outcomes}) == 3


def test_no_test_writes_its_own_thread_race():
    """Database races go through tests/races.py (the SQLite test races HTTP posts to a
    separate server process, with its own join timeout)."""
    own = {TESTS / "races.py", TESTS / "test_races.py", TESTS / "test_sqlite.py"}
    copies = [
        str(path.relative_to(TESTS))
        for path in TESTS.rglob("*.py")
        if path not in own and "threading.Barrier(" in path.read_text()
    ]
    assert copies == []
