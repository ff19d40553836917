"""Run a few lines of Python with Django set up, in a fresh process with its own
environment: for settings read once at import time."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_python(code: str, **env: str) -> str:
    """Run ``code`` after ``django.setup()`` with ``env`` added; return its output."""
    setup = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='care2.settings'; django.setup()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", setup + code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def wait_for(predicate, seconds: float = 60, what: str = "condition"):
    """``predicate()``'s first truthy value, polled until ``seconds`` pass (then the test fails)."""
    import time

    import pytest

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def stop_process(process: subprocess.Popen, log) -> None:
    """Stop a server or worker warmly (SIGTERM, 30 s), then by force; close its log."""
    import signal

    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    log.close()
