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
