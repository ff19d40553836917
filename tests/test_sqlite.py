"""SQLite under `make run` (runserver, several threads): parallel writes wait for one
another (WAL, a busy timeout, transactions that take the write lock when they begin),
and no saved write is ever answered as a failure."""

import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.subprocess_django import django_python

ROOT = Path(__file__).resolve().parent.parent
POSTS = 20

SETUP = f"""
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.conf import settings
from django.test import Client
from tests.comments.factories import TrackingFactory
from tests.factories import StoryFactory, UserFactory
story = StoryFactory(published=True)
for _ in range(5):  # every comment also writes a personal message to each tracker
    TrackingFactory(story=story)
cookies = []
for _ in range({POSTS}):
    client = Client()
    client.force_login(UserFactory())
    cookies.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
print(story.pk, *cookies)
"""


def _sqlite_env(tmp_path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER"}
    }
    return {
        **env,
        "SQLITE_PATH": str(tmp_path / "care2.sqlite3"),
        "DJANGO_DEBUG": "1",  # as `make run`
        "COMMENT_RATE": "100/m",
        "DJANGO_PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher",
        "LOG_LEVEL": "WARNING",
    }


def test_sqlite_gets_wal_a_busy_timeout_and_immediate_transactions(tmp_path):
    out = django_python(
        "from django.db import connection; from django.conf import settings;"
        "o = settings.DATABASES['default']['OPTIONS'];"
        "print(o['transaction_mode'], o['timeout']);"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]);"
        "c.execute('PRAGMA busy_timeout'); print(c.fetchone()[0])",
        **{k: v for k, v in _sqlite_env(tmp_path).items() if k in {"SQLITE_PATH"}},
        DATABASE_URL="",
    )
    assert out.split() == ["IMMEDIATE", "20", "wal", "20000"]


def test_twenty_parallel_comment_posts_all_answer_success_once_saved(tmp_path):
    env = _sqlite_env(tmp_path)
    setup = subprocess.run(
        [sys.executable, "-c",
         "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='care2.settings'; django.setup()\n"
         + SETUP],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    story_pk, *sessions = setup.stdout.split()[-(POSTS + 1) :]
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp_path / "server.log", "w+")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/comments/story/{story_pk}/add/"
    results: dict[int, int] = {}
    start = threading.Barrier(POSTS)

    def post(n: int, session: str) -> None:
        request = urllib.request.Request(
            url,
            data=urllib.parse.urlencode({"body": f"Parallel comment {n}"}).encode(),
            headers={
                "Cookie": f"sessionid={session}; csrftoken={'c' * 32}",
                "X-CSRFToken": "c" * 32,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        opener = urllib.request.build_opener(_NoRedirect)
        start.wait()
        try:
            with opener.open(request, timeout=120) as response:
                results[n] = response.status
        except urllib.error.HTTPError as error:
            results[n] = error.code

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, _tail(log)
                time.sleep(0.2)
        threads = [
            threading.Thread(target=post, args=(n, session)) for n, session in enumerate(sessions)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
    finally:
        server.terminate()
        server.wait(timeout=30)
    saved = django_python(
        "from comments.models import Comment;"
        "print(*sorted(int(b.rsplit(' ', 1)[1]) for b in Comment.objects.values_list('body', flat=True)))",
        **{k: v for k, v in env.items() if k == "SQLITE_PATH"},
        DATABASE_URL="",
    ).split()
    saved = {int(n) for n in saved}
    answered_ok = {n for n, status in results.items() if status == 302}
    # Every saved comment was answered as saved; and with the waits, all of them were.
    assert saved <= answered_ok, (sorted(results.items()), _tail(log))
    assert answered_ok == saved == set(range(POSTS)), (sorted(results.items()), _tail(log))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _tail(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()[-3000:]
