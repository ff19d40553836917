"""A database outage: every request gets our 503 page with Retry-After (readers, members,
the admin, POSTs), and the site recovers by itself when the database is back."""

import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django.db.utils import OperationalError
from django.test import Client
from django.urls import reverse

from tests.conftest import require_service
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def database_down():
    """Every query on this thread's connection fails as with PostgreSQL stopped."""

    def refuse(execute, sql, params, many, context):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    with connection.execute_wrapper(refuse):
        yield


def assert_503(response):
    assert response.status_code == 503, response.status_code
    assert response["Retry-After"] == "30"
    assert "Temporarily unavailable" in response.content.decode()


@pytest.mark.django_db
def test_every_request_gets_the_503_page_while_the_database_is_down(published_story, moderator):
    member = UserFactory(time_zone="Europe/Paris")
    reader = Client(raise_request_exception=False)
    signed_in = Client(raise_request_exception=False)
    signed_in.force_login(member)
    admin = Client(raise_request_exception=False)
    admin.force_login(moderator)
    with database_down():
        assert_503(reader.get("/"))
        assert_503(reader.get(published_story.get_absolute_url()))
        # A member's session and user are read by middleware, before any view.
        assert_503(signed_in.get("/"))
        assert_503(
            signed_in.post(
                reverse("comments:add", args=[published_story.pk]), {"body": "Kept by the browser"}
            )
        )
        assert_503(admin.get("/admin/"))
    # Back: the same member, still signed in, posts again.
    response = signed_in.post(
        reverse("comments:add", args=[published_story.pk]), {"body": "Kept by the browser"}
    )
    assert response.status_code == 302
    assert published_story.comments.get().body == "Kept by the browser"


def test_the_503_page_needs_no_database():
    """No django_db mark: pytest-django refuses any database access in this test."""
    from care2.middleware import database_unavailable_response

    response = database_unavailable_response(OperationalError("down"))
    assert_503(response)


# --- a real PostgreSQL stopped and started under a running gunicorn ------------------


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """A PostgreSQL cluster of the test's own (initdb into a temporary directory, a spare
    port), stopped and started at will. The server refuses to run as root: as root it
    runs as the ``postgres`` user."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="care2-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")

    def _run(self, *args):
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self):
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def start(self):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"),
                  "-w", "start")  # fmt: skip

    def stop(self):
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, name="postgres"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self):
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def postgres_cluster():
    bindir = _postgres_bin()
    require_service(
        bindir is not None, "the PostgreSQL server (initdb, pg_ctl)", "apt-get install postgresql"
    )
    cluster = PostgresCluster(bindir)
    cluster.init()
    cluster.start()
    yield cluster
    cluster.remove()


SETUP = """
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from tests.factories import StoryFactory, UserFactory
story = StoryFactory(published=True)
member = UserFactory(time_zone="Europe/Paris")
moderator = UserFactory(is_staff=True)
moderator.groups.add(Group.objects.get(name="Moderators"))
def cookie(user):
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value
print(story.pk, story.get_absolute_url(), cookie(member), cookie(moderator))
"""


def _request(port, path, *, session=None, data=None):
    headers = {"Host": "127.0.0.1"}
    if session:
        headers["Cookie"] = f"sessionid={session}; csrftoken={'c' * 32}"
    if data is not None:
        headers["X-CSRFToken"] = "c" * 32
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=urllib.parse.urlencode(data).encode() if data is not None else None,
        headers=headers,
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.slow
def test_a_real_postgresql_outage_gives_503s_and_the_site_recovers(postgres_cluster, tmp_path):
    import urllib.parse  # noqa: F401 - used by _request

    database = postgres_cluster.url("care2_outage")
    subprocess.run(
        [str(postgres_cluster.bindir / "createdb"), "-h", "127.0.0.1", "-p",
         str(postgres_cluster.port), "-U", "postgres", "care2_outage"],
        check=True, capture_output=True,
    )  # fmt: skip
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "DJANGO_DEBUG": "0",
        "DB_CONN_MAX_AGE": "600",  # persistent connections: the outage kills them
        "READER_PAGE_CACHE_SECONDS": "0",  # every reader request reaches the database
        "DJANGO_PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher",
        "LOG_FORMAT": "json",
    }
    setup = subprocess.run(
        [sys.executable, "-c",
         "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='care2.settings'; django.setup()\n"
         + SETUP],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    story_pk, story_url, member, moderator = setup.stdout.split()[-4:]
    port = _free_port()
    log = open(tmp_path / "gunicorn.log", "w+")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "care2.wsgi:application", "-w", "2",
         "--threads", "2", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    comment_url = reverse("comments:add", args=[int(story_pk)])
    traffic_statuses: list[int] = []
    stop_traffic = threading.Event()

    def traffic():
        while not stop_traffic.is_set():
            for session in (None, member):
                with contextlib.suppress(OSError):
                    traffic_statuses.append(_request(port, "/", session=session)[0])

    try:
        deadline = time.monotonic() + 60
        while _request_or_none(port) != 200:
            assert time.monotonic() < deadline, log_text(log)
            time.sleep(0.2)
        assert _request(port, "/", session=member)[0] == 200
        assert _request(port, "/admin/", session=moderator)[0] == 200

        thread = threading.Thread(target=traffic)
        thread.start()
        while len(traffic_statuses) < 10:
            time.sleep(0.05)
        postgres_cluster.stop()  # mid-traffic
        outage_seen = len(traffic_statuses)
        while len(traffic_statuses) < outage_seen + 10:
            time.sleep(0.05)

        for path, session in ((story_url, None), ("/", None), ("/", member), (story_url, member),
                              ("/admin/", moderator)):  # fmt: skip
            status, headers, body = _request(port, path, session=session)
            assert status == 503, (path, status, body[:300], log_text(log))
            assert headers["Retry-After"] == "30"
            assert "Temporarily unavailable" in body
        status, headers, body = _request(
            port, comment_url, session=member, data={"body": "Sent while the database was down"}
        )
        assert status == 503 and headers["Retry-After"] == "30", (status, log_text(log))

        postgres_cluster.start()
        back = len(traffic_statuses)
        while len(traffic_statuses) < back + 10:
            time.sleep(0.05)
        stop_traffic.set()
        thread.join(timeout=60)
        # Never a 500: before, during and after the outage, only pages or our 503.
        assert set(traffic_statuses) <= {200, 503}, sorted(set(traffic_statuses))
        assert 503 in traffic_statuses[outage_seen:back]
        assert traffic_statuses[-4:] == [200] * 4  # recovered without a restart

        assert _request(port, "/", session=member)[0] == 200  # still signed in
        assert _request(port, "/admin/", session=moderator)[0] == 200
        status, headers, _ = _request(
            port, comment_url, session=member, data={"body": "Sent again once it was back"}
        )
        assert status == 302, (status, log_text(log))
        assert "Sent again once it was back" in _request(port, story_url)[2]
        assert "Sent while the database was down" not in _request(port, story_url)[2]
    finally:
        stop_traffic.set()
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _request_or_none(port):
    try:
        return _request(port, "/healthz")[0]
    except OSError:
        return None


def log_text(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()[-3000:]
