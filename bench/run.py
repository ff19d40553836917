"""Measure pages through gunicorn (2 workers) on PostgreSQL + Redis with wrk, beside a
trivial view of the same server in the same run. Writes bench/results/latest.json.

    make bench                     # defaults: 10,000 stories, 10 s per URL
    BENCH_SECONDS=30 make bench
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = ROOT / ".venv" / "bin" / "python"
PORT = int(os.environ.get("BENCH_PORT", "8100"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
ENV = {
    **os.environ,
    "DATABASE_URL": os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/care2_bench"
    ),
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
    "DJANGO_DEBUG": "0",
    "DB_CONN_MAX_AGE": "60",
}


def sh(*args, **kwargs):
    return subprocess.run(args, cwd=ROOT, env=ENV, check=True, **kwargs)


def ensure_database():
    import psycopg

    url = ENV["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def wrk(path: str) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{SECONDS}s",
            "--latency",
            f"http://127.0.0.1:{PORT}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "path": path,
        "rps": rps,
        "p50": p50,
        "p99": p99,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def main():
    if not shutil.which("wrk"):
        sh("bash", "-c", "apt-get update -q && apt-get install -y -q wrk")
    ensure_database()
    sh(str(PY), "manage.py", "migrate", "--noinput", "-v0")
    sh(str(PY), "bench/build_data.py")
    hot = (
        subprocess.run(
            [
                str(PY),
                "manage.py",
                "shell",
                "-c",
                "from stories.models import Story; print(Story.objects.get(url_key='bench.example/1').get_absolute_url())",
            ],
            cwd=ROOT,
            env=ENV,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "care2.wsgi:application",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{PORT}",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=ENV,
        start_new_session=True,
    )
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        results = [
            wrk(path) for path in ("/healthz", "/", "/newly-submitted/", hot, hot + "noted-by/")
        ]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "latest.json").write_text(json.dumps(results, indent=2))
    print("\n| page | requests/s | p50 | p99 | non-2xx |\n| --- | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| `{r['path']}` | {r['rps']:.0f} | {r['p50']} | {r['p99']} | {r['non_2xx']} |")


if __name__ == "__main__":
    sys.exit(main())
