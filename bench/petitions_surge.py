"""A petition signing surge, measured: anonymous sign POSTs per second through gunicorn +
PostgreSQL + the real broker (Redis, with a Celery worker sending the confirmation
e-mails), beside the same server's throughput on a trivial view, in one run. Then every
signature is confirmed through the confirmation POST, and the count is checked.

    .venv/bin/python bench/petitions_surge.py            # 20 s per phase
    BENCH_SECONDS=60 .venv/bin/python bench/petitions_surge.py

Not a test: figures go to bench/results/petitions_surge.json and the table printed at the
end (copied into bench/README.md). It checks, and exits non-zero unless: zero errors,
every 302 is exactly one signature row (none lost, none duplicated), every signature's
confirmation e-mail was sent once the queue drained, and after confirming them all the
petition's count equals its confirmed rows.

The per-IP sign rate limit (PETITION_SIGN_RATE, 5 a minute) is off for this server: the
load comes from one address. Everything else is production settings.
"""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = ROOT / ".venv" / "bin" / "python"
PORT = int(os.environ.get("BENCH_PORT", "8105"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")
ENV = {
    **os.environ,
    "DATABASE_URL": os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/care2_petitions_bench"
    ),
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"),
    "CELERY_TASK_ALWAYS_EAGER": "0",
    "PETITION_SIGN_RATE": "",
    "DJANGO_DEBUG": "0",
    "DB_CONN_MAX_AGE": "60",
    "LOG_LEVEL": "WARNING",
}
os.environ.update(ENV)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "care2.settings")
sys.path.insert(0, str(ROOT))

SIGN_LUA = r"""
local counter = 0
ok, other = 0, 0  -- globals: done() reads them from each thread with t:get()
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
function init(args)
  run, token, cookie, path = args[1], args[2], args[3], args[4]
  headers = {["Content-Type"] = "application/x-www-form-urlencoded",
             ["Cookie"] = "csrftoken=" .. cookie}
end
function request()
  counter = counter + 1
  local body = "csrfmiddlewaretoken=" .. token ..
    "&first_name=Surge&last_name=Signer&country=GB&show_name=on&email=" ..
    run .. "-" .. tid .. "-" .. counter .. "%40bench.example"
  return wrk.format("POST", path, headers, body)
end
function response(status, hdrs, body)
  if status == 302 then ok = ok + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local total_ok, total_other = 0, 0
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_other = total_other + t:get("other")
  end
  io.write(string.format("STATUS302 %d\nSTATUSOTHER %d\n", total_ok, total_other))
end
"""


def ensure_database():
    import psycopg

    url = ENV["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def wrk(url: str, *extra: str) -> dict:
    proc = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", *extra],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        raise RuntimeError(f"wrk failed: {proc.stderr or proc.stdout}")
    out = proc.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    result = {
        "url": url,
        "rps": rps,
        "requests": total,
        "p50": re.search(r"50%\s+([\d.]+\w+)", out).group(1),
        "p99": re.search(r"99%\s+([\d.]+\w+)", out).group(1),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
    }
    if m := re.search(r"STATUS302 (\d+)\s+STATUSOTHER (\d+)", out):
        result["status_302"], result["status_other"] = int(m.group(1)), int(m.group(2))
    return result


def csrf_for(url: str) -> tuple[str, str]:
    """The CSRF cookie and form token a browser would get from the petition page."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(url, timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    cookie = next(c.value for c in jar if c.name == "csrftoken")
    return cookie, token


def confirm_all(paths: list[str], cookie: str, token: str) -> dict:
    """POST every confirmation link (as signers pressing the button), CONNECTIONS at once."""
    local = threading.local()
    body = f"csrfmiddlewaretoken={token}"
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={cookie}",
    }

    def post(path):
        for _attempt in range(3):
            conn = getattr(local, "conn", None) or HTTPConnection("127.0.0.1", PORT, timeout=30)
            local.conn = conn
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    local.conn = None
                return response.status
            except OSError:
                conn.close()
                local.conn = None
        return 0

    started = time.perf_counter()
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        statuses = list(pool.map(post, paths))
    elapsed = time.perf_counter() - started
    return {
        "confirmed_302": statuses.count(302),
        "other": len(statuses) - statuses.count(302),
        "seconds": round(elapsed, 2),
        "rps": round(len(paths) / elapsed, 1),
    }


def main() -> int:
    ensure_database()
    subprocess.run([str(PY), "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, check=True)

    import django

    django.setup()
    import redis
    from django.db import connection

    from care2.celery import app as celery_app
    from care2.users.models import User
    from petitions import services
    from petitions.models import Petition, Signature
    from stories.models import Category

    creator, _ = User.objects.get_or_create(
        email="surge-creator@bench.example", defaults={"first_name": "Surge", "last_name": "Bench"}
    )
    category, _ = Category.objects.get_or_create(
        slug="bench-surge", defaults={"name": "Bench surge"}
    )
    petition, _ = Petition.objects.get_or_create(
        title="Revoke the surge: a petition for the bench",
        defaults={
            "target": "The load generator",
            "why": "Measuring the sign path.",
            "why_html": "Measuring the sign path.",
            "category": category,
            "creator": creator,
            "goal": 10_000_000,
        },
    )
    celery_app.control.purge()
    run = f"r{int(time.time())}"
    log = Path(tempfile.mkdtemp(prefix="petitions-surge-")) / "worker.log"
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "care2.wsgi:application",
            "-w",
            WORKERS,
            "-b",
            f"127.0.0.1:{PORT}",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=ENV,
        stdout=(log.parent / "gunicorn.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "care2",
            "worker",
            "-c",
            "1",
            "--loglevel=WARNING",
            "-n",
            f"surge-{run}@%h",
        ],
        cwd=ROOT,
        env=ENV,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    results: dict = {"seconds": SECONDS, "connections": CONNECTIONS, "gunicorn_workers": WORKERS}
    try:
        base = f"http://127.0.0.1:{PORT}"
        for _ in range(60):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        cookie, token = csrf_for(f"{base}{petition.get_absolute_url()}")
        results["trivial"] = wrk("/healthz", f"{base}/healthz")
        script = Path(tempfile.mkdtemp()) / "sign.lua"
        script.write_text(SIGN_LUA)
        sign_path = f"/petitions/{petition.pk}/sign/"
        results["sign"] = wrk(
            sign_path, "-s", str(script), f"{base}{sign_path}", "--", run, token, cookie, sign_path
        )

        # The queue drains: one confirmation e-mail per signature. (Requests in flight
        # when wrk stopped still complete on the server: count rows once they have.)
        rows = Signature.objects.filter(petition=petition, email__startswith=f"{run}-")
        queue = redis.Redis.from_url(ENV["REDIS_URL"])
        started = time.perf_counter()
        sent = n_rows = 0
        while time.perf_counter() - started < 300:
            time.sleep(1)
            n_rows = rows.count()
            sent = log.read_text(errors="replace").count("Please confirm your signature")
            if queue.llen("celery") == 0 and sent >= n_rows:
                break
        results["queue"] = {
            "emails_sent": sent,
            "drain_seconds_after_surge": round(time.perf_counter() - started, 1),
        }
        results["rows"] = {
            "signature_rows": n_rows,
            "distinct_emails": rows.values("email").distinct().count(),
        }

        # Everyone confirms: the count moves through the sharded counter.
        before = services.petition_count(petition_id=petition.pk)
        paths = [
            services.confirmation_urls(signature=s)["confirm"]
            for s in rows.filter(status="pending").only("pk")
        ]
        connection.close()
        results["confirm"] = confirm_all(paths, cookie, token)
        after = services.petition_count(petition_id=petition.pk)
        confirmed_rows = Signature.objects.filter(petition=petition, status="confirmed").count()
        results["count"] = {
            "before": before,
            "after": after,
            "confirmed_rows": confirmed_rows,
            "reconcile_mismatches": len(services.petitions_reconcile()),
        }
    finally:
        for proc in (server, worker):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in (server, worker):
            proc.wait(timeout=60)

    sign, trivial = results["sign"], results["trivial"]
    checks = {
        "zero sign errors": sign["non_2xx"] == 0 and not sign["socket_errors"],
        # Every 302 has its row; at most one more row per connection, for the requests in
        # flight when wrk stopped (the server finished them; wrk no longer listened).
        "no lost signature": sign.get("status_302", -1)
        <= results["rows"]["signature_rows"]
        <= sign.get("status_302", -1) + CONNECTIONS,
        "no duplicates": results["rows"]["distinct_emails"] == results["rows"]["signature_rows"],
        "every e-mail sent": results["queue"]["emails_sent"] >= results["rows"]["signature_rows"],
        "all confirmed": results["confirm"]["confirmed_302"] == results["rows"]["signature_rows"],
        "count exact": results["count"]["after"] == results["count"]["confirmed_rows"]
        and results["count"]["after"] - results["count"]["before"]
        == results["rows"]["signature_rows"]
        and results["count"]["reconcile_mismatches"] == 0,
    }
    results["checks"] = checks
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "petitions_surge.json").write_text(json.dumps(results, indent=2))

    print("\n| request | per second | p50 | p99 | requests | errors | vs. trivial |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, r in (("`/healthz` (trivial view)", trivial), ("anonymous sign POST", sign)):
        errors = r["non_2xx"] + (1 if r["socket_errors"] else 0)
        print(
            f"| {label} | {r['rps']:.0f} | {r['p50']} | {r['p99']} | {r['requests']} | {errors} "
            f"| {r['rps'] / trivial['rps']:.2f} |"
        )
    c = results["confirm"]
    print(
        f"| confirm POST (Python client) | {c['rps']:.0f} | | | {c['confirmed_302'] + c['other']} "
        f"| {c['other']} | |"
    )
    print(f"\nrows {results['rows']}, queue {results['queue']}, count {results['count']}")
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAIL'}] {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
