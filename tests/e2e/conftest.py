"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Playwright's sync API runs an event loop in the test's thread, and Django refuses ORM
calls from a thread with a running loop. So: create data *before* ``open_browser()``,
and while the browser is open reach the database only through ``in_thread``.
"""

import os
import shutil
import threading

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str | None:
    return (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    )


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def open_browser(live_server, settings):
    """Returns a function that starts Chromium and gives a page on the live server.

    Call it after creating the test's data. Closed at teardown.
    """
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        pytest.fail("Chromium is not installed: `make test` installs Debian's chromium package.")
    state = {}

    def _open(**context_options):
        if "playwright" not in state:
            state["playwright"] = sync_playwright().start()
            state["browser"] = state["playwright"].chromium.launch(
                executable_path=path, args=CHROMIUM_ARGS, headless=True
            )
        context = state["browser"].new_context(base_url=live_server.url, **context_options)
        context.set_default_timeout(15_000)
        state.setdefault("contexts", []).append(context)
        return context.new_page()

    yield _open
    for context in state.get("contexts", []):
        context.close()
    if "browser" in state:
        state["browser"].close()
        state["playwright"].stop()


def in_thread(fn, *args, **kwargs):
    """Run ``fn`` (ORM work) in a thread of its own, with its own connection."""
    from django.db import connection

    result = {}

    def target():
        try:
            result["value"] = fn(*args, **kwargs)
        except BaseException as error:  # re-raised in the test's thread
            result["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")
