"""The suite at a fixed instant: ``TEST_CLOCK=2026-03-09T04:01:00Z pytest …``.

Dates on the site follow the member's time zone (America/New_York by default), so a rule
or a test that counts "days" as 24-hour spans, or "today" in UTC, breaks at some hours of
the year and not others. With ``TEST_CLOCK`` set, every test starts at that instant (the
clock then runs on, so waits and timeouts behave) and a hidden dependence on the hour
fails every time rather than once a year. ``make test`` runs the fast tests once so, at an
instant chosen to be hard (see ``CLOCK_INSTANT`` in the Makefile).

Tests that talk to other processes (a server, a worker, a browser) keep the real clock:
those processes cannot share a travelled one. Mark any other such test ``real_clock``.
"""

import os

import pytest

INSTANT = os.environ.get("TEST_CLOCK", "").strip()


def pytest_report_header(config):
    return f"clock: every test starts at {INSTANT}" if INSTANT else None


@pytest.fixture(autouse=True)
def _travelled_clock(request):
    if not INSTANT or request.node.get_closest_marker("real_clock"):
        yield
        return
    import time_machine

    with time_machine.travel(INSTANT, tick=True):
        yield


# Modules whose tests run the site or a worker in another process.
OTHER_PROCESS_MODULES = {"test_make_run", "test_project", "test_resilience", "test_worker"}


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & {"live_server", "open_browser"} or (
            item.module is not None
            and item.module.__name__.rsplit(".", 1)[-1] in OTHER_PROCESS_MODULES
        ):
            item.add_marker(pytest.mark.real_clock)
