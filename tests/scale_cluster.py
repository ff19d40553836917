"""A whole deployment on loopback, for the scale-out test and ``bench/scale.py``: a
PostgreSQL primary and a streaming replica (``pg_basebackup -R``) in temporary
directories on spare ports, a Redis of its own, gunicorn nodes, Celery workers and beat
processes. ``Cluster`` is a context manager: everything it started is stopped and every
directory removed when the block ends, however it ends.

The PostgreSQL server refuses to run as root: as root, its commands run as the
``postgres`` user (``runuser``) in directories that user owns."""

import contextlib
import glob
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_basebackup"))
    if found:
        return Path(found[-1]).parent
    basebackup = shutil.which("pg_basebackup")
    return Path(basebackup).parent if basebackup and shutil.which("initdb") else None


def wait_for(predicate, seconds: float = 60, what: str = "condition", interval: float = 0.2):
    """Poll ``predicate`` until it returns something true; raise with ``what`` after
    ``seconds`` (a bound for a stuck process, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(interval)


class PostgresServer:
    """One PostgreSQL server (primary or standby) in a directory of its own."""

    def __init__(self, bindir: Path, base: Path, name: str):
        self.bindir = bindir
        self.dir = base / name
        self.dir.mkdir()
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")
        self.running = False

    def run(self, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=180)

    def init_primary(self) -> None:
        # initdb's pg_hba.conf with -A trust already lets 127.0.0.1 replicate.
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def clone_from(self, primary: "PostgresServer") -> None:
        """A streaming replica: a base backup with the standby settings written (-R)."""
        self.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                 "-D", str(self.data), "-R", "-X", "stream", "-c", "fast")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c wal_level=replica -c max_wal_senders=5 -c hot_standby=on "
            "-c max_connections=200"
        )
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"),
                 "-w", "start")  # fmt: skip
        self.running = True

    def stop(self) -> None:
        if self.running:
            with contextlib.suppress(subprocess.SubprocessError):
                self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self.running = False

    def url(self, name: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def sql(self, query: str, params=(), database: str = "care2"):
        """Run one statement with autocommit; the rows it returns, if any."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else None

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return (self.dir / "log").read_text()[-3000:]
        return ""


class Process:
    """A long-running process of the deployment (gunicorn, a worker, beat), in a
    process group of its own, its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logs: Path):
        self.name = name
        self.log_path = logs / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as when the machine under it dies: no clean-up runs."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        # Leftover children of the group (a gunicorn worker) go too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()


class Cluster(contextlib.ExitStack):
    """The deployment. Enter it, then call ``start_databases()``, ``start_redis()``,
    ``node()``, ``worker()``, ``beat()``; leaving the block stops them all (last started,
    first stopped) and removes the temporary directory."""

    def __init__(self, bindir: Path):
        super().__init__()
        self.bindir = bindir
        self.base = Path(tempfile.mkdtemp(prefix="care2-scale-"))
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
        self.base.chmod(0o755)
        self.logs = self.base / "logs"
        self.logs.mkdir()
        self.mails = self.base / "mails"
        self.mails.mkdir()
        self.processes: dict[str, Process] = {}
        self.callback(shutil.rmtree, self.base, ignore_errors=True)
        self.primary: PostgresServer | None = None
        self.replica: PostgresServer | None = None
        self.redis_port: int | None = None

    # --- data stores ---------------------------------------------------------------

    def start_databases(self, *, replica: bool = True, database: str = "care2") -> None:
        self.primary = PostgresServer(self.bindir, self.base, "primary")
        self.primary.init_primary()
        self.primary.start()
        self.callback(self.primary.stop)
        self.primary.sql(f'CREATE DATABASE "{database}"', database="postgres")
        if replica:
            self.replica = PostgresServer(self.bindir, self.base, "replica")
            self.replica.clone_from(self.primary)
            self.replica.start()
            self.callback(self.replica.stop)

    def start_redis(self) -> str:
        self.redis_port = free_port()
        self.spawn(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.base)],
            dict(os.environ),
        )  # fmt: skip
        wait_for(lambda: _connects(self.redis_port), 20, "redis-server")
        return self.redis_url

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/1"

    def replica_caught_up(self) -> bool:
        """The replica has replayed everything the primary wrote so far."""
        (lsn,) = self.primary.sql("SELECT pg_current_wal_lsn()::text")[0]
        rows = self.replica.sql(
            "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn], database="postgres"
        )
        return bool(rows[0][0])

    # --- processes -----------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        """The environment every process of the site gets (production settings)."""
        env = {
            **os.environ,
            "DATABASE_URL": self.primary.url("care2"),
            "DATABASE_REPLICA_URLS": self.replica.url("care2") if self.replica else "",
            "REDIS_URL": self.redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "DJANGO_DEBUG": "0",
            "DB_CONN_MAX_AGE": "60",
            "EMAIL_FILE_PATH": str(self.mails),
            "DJANGO_PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher",
            "LOG_FORMAT": "json",
        }
        env.pop("TEST_CLOCK", None)
        env.update(extra)
        return env

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> Process:
        process = Process(name, argv, env, self.logs)
        self.processes[name] = process
        self.callback(process.stop)
        return process

    def django(self, code: str, **extra: str) -> str:
        """Run Python with Django set up against the cluster; its standard output."""
        setup = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='care2.settings'; "
        result = subprocess.run(
            [sys.executable, "-c", setup + "django.setup()\n" + code],
            cwd=ROOT, env=self.env(**extra), capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if result.returncode:
            raise RuntimeError(f"Django script failed:\n{result.stderr[-4000:]}")
        return result.stdout

    def node(self, name: str, *, workers: int = 2, threads: int = 1, **extra: str) -> str:
        """A gunicorn web node; returns its base URL once /healthz answers."""
        port = free_port()
        process = self.spawn(
            name,
            [str(BIN / "gunicorn"), "care2.wsgi:application", "-w", str(workers),
             "--threads", str(threads), "-b", f"127.0.0.1:{port}",
             "--access-logfile", "/dev/null"],
            self.env(**extra),
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"

        def up():
            assert process.alive(), process.output()[-3000:]
            return _status(base + "/healthz") == 200

        wait_for(up, 60, f"{name} to answer /healthz")
        return base

    def worker(self, name: str, queues: str, **extra: str) -> Process:
        return self.spawn(
            name,
            [str(BIN / "celery"), "-A", "care2", "worker", "--pool=solo", "--concurrency=1",
             "-Q", queues, "-n", f"{name}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel=INFO"],
            self.env(**extra),
        )  # fmt: skip

    def beat(
        self, name: str, *, scheduler: str | None = None, lock: bool = True, **extra: str
    ) -> Process:
        """A beat process; ``scheduler`` replaces the configured one (celery-redbeat), and
        ``lock=False`` runs celery-redbeat without its lock (to break the test on purpose:
        there is no setting for that)."""
        arguments = ["beat", "--loglevel=INFO", "-s", str(self.base / f"{name}-schedule"),
                     *(["--scheduler", scheduler] if scheduler else [])]  # fmt: skip
        argv = [str(BIN / "celery"), "-A", "care2", *arguments]
        if not lock:
            code = (
                "from care2.celery import app; app.conf.redbeat_lock_key = None; "
                f"app.start({arguments!r})"
            )
            argv = [sys.executable, "-c", code]
        return self.spawn(name, argv, self.env(**extra))

    def mail_messages(self) -> list[str]:
        """Every e-mail the site has sent so far (the file backend writes one file per
        connection, messages separated by a line of 79 dashes)."""
        messages = []
        for path in sorted(self.mails.glob("*.log")):
            for part in path.read_text().split("-" * 79):
                if part.strip():
                    messages.append(part.strip())
        return messages


def _connects(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A browser behind a load balancer, with stdlib ``urllib``: one cookie jar for
    every node (cookies ignore the port, as a browser's do for one host name), the CSRF
    token sent back as a form does, redirects returned rather than followed, and the
    ``X-Forwarded-For`` the balancer appends for this client's address."""

    def __init__(self, client_ip: str):
        self.client_ip = client_ip
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def drop_cookie(self, name: str) -> None:
        for cookie in [c for c in self.jar if c.name == name]:
            self.jar.clear(cookie.domain, cookie.path, cookie.name)

    def request(self, url: str, data: dict | None = None) -> tuple[int, dict, str]:
        headers = {"X-Forwarded-For": self.client_ip}
        body = None
        if data is not None:
            data = {"csrfmiddlewaretoken": self.cookie("csrftoken") or "", **data}
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(url, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def get(self, url: str) -> tuple[int, dict, str]:
        return self.request(url)

    def post(self, url: str, data: dict) -> tuple[int, dict, str]:
        """POST a form, after a page gave the CSRF cookie (as a browser has it)."""
        assert self.cookie("csrftoken"), "GET the form's page first: no CSRF cookie yet"
        return self.request(url, data)


def link_in(message: str, pattern: str) -> str:
    """The path of the first link in an e-mail that matches ``pattern``."""
    found = re.search(r"https?://[^/\s]+(/" + pattern + r"[^\s>]*)", message)
    if not found:
        raise AssertionError(f"no link matching {pattern!r} in:\n{message[:2000]}")
    return found.group(1)
