"""The embedded default: `make run` on SQLite, tasks eager, serves the front page."""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_run_serves_demo_content_on_sqlite(tmp_path):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL"}
    }
    env["SQLITE_PATH"] = str(tmp_path / "smoke.sqlite3")
    log = open(tmp_path / "make-run.log", "w+")  # noqa: SIM115 - closed in finally
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        body = None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        log.seek(0)
        output = log.read()
        assert body is not None, f"make run did not serve the front page:\n{output[-3000:]}"
        assert "Beavers reintroduced to a river valley cut flood peaks" in body
        assert f"http://127.0.0.1:{port}/" in output
        assert "demo@care2.example" in output and "moderator@care2.example" in output
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()

    # Loading the demo again changes nothing.
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "load_demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Stories: 0 created" in result.stdout
