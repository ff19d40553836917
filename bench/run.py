"""`make bench`: build the large data set, then measure pages and posts through gunicorn
(2 workers) on PostgreSQL + Redis with wrk, beside a trivial view of the same server in
the same run (measured again after every row: each row is compared with the trivial view
just before and after it). Writes bench/results/latest.json and the results table in
bench/README.md.

    make bench                     # defaults: 10 s per URL, 16 connections
    BENCH_SECONDS=30 make bench
    BENCH_ONLY=comment,sign make bench   # only these rows (and the trivial view); the
                                         # table is printed, README.md is left as it is

Exits non-zero on any error response, on a socket error, or when `credits_reconcile`,
`petitions_reconcile` or `comments_reconcile` finds drift afterwards. Targets missed are
reported, not fatal.
"""

import datetime
import json
import os
import platform
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
# /healthz is measured again after every row, as long as a row by default: a row's ratio
# is to the trivial view just before and just after it (their mean), as the VM's speed
# drifts during a run.
TRIVIAL_SECONDS = int(os.environ.get("BENCH_TRIVIAL_SECONDS", str(SECONDS)))
BASE = f"http://127.0.0.1:{PORT}"
ENV = {
    **os.environ,
    "DATABASE_URL": os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/care2_bench"
    ),
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
    "DJANGO_DEBUG": "0",
    "DB_CONN_MAX_AGE": "60",
    "LOG_LEVEL": "WARNING",
    "CELERY_TASK_ALWAYS_EAGER": "0",
    # All the load comes from one address and a few members: the per-IP sign limit is off
    # and the per-member comment limit raised, for the bench server only.
    "PETITION_SIGN_RATE": "",
    "COMMENT_RATE": "100000/m",
}
LOG = ROOT / "bench" / "results" / "gunicorn.log"
README = ROOT / "bench" / "README.md"
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"

# (key, label, target ratio to the trivial view or None)
TARGETS = {
    "front": 0.5,
    "category": 0.5,
    "story_100": 0.35,
    "story_2000": 0.1,
    "story_100_member": 0.5,
    "story_2000_member": 0.2,
    "front_member": 0.5,
    "sign": 0.5,
    "petition": 0.8,
    "petition_member": 0.5,
    "surge": 0.6,
    "comment": 0.25,
}
MIN_SIGNATURES_PER_SECOND = 300
ONLY = {key for key in os.environ.get("BENCH_ONLY", "").replace(" ", "").split(",") if key}
unknown = ONLY - set(TARGETS) - {"trivial"}
if unknown:
    sys.exit(f"BENCH_ONLY: no such row {', '.join(sorted(unknown))} (rows: {', '.join(TARGETS)})")


def wanted(key: str) -> bool:
    return not ONLY or key in ONLY or key == "trivial"


def sh(*args, **kwargs):
    return subprocess.run(args, cwd=ROOT, env=ENV, check=True, **kwargs)


def ensure_database():
    import psycopg

    url = ENV["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def wrk(path: str, *extra: str, headers: dict | None = None, seconds: int | None = None) -> dict:
    seconds = seconds or SECONDS
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "30s", "--latency"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    proc = subprocess.run([*args, *extra], capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"wrk failed on {path}: {proc.stderr or proc.stdout}")
    out = proc.stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    result = {
        "path": path,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50": re.search(r"50%\s+([\d.]+\w+)", out).group(1),
        "p99": re.search(r"99%\s+([\d.]+\w+)", out).group(1),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }
    if m := re.search(r"STATUS302 (\d+)\s+STATUSOTHER (\d+)", out):
        result["status_302"], result["status_other"] = int(m.group(1)), int(m.group(2))
    result["errors"] = result["non_2xx"] + result.get("status_other", 0)
    return result


def wrk_script(path: str, script: str, *args: str) -> dict:
    """wrk on ``path`` driven by ``bench/<script>``, which gets ``args`` after "--"."""
    return wrk(path, "-s", str(ROOT / "bench" / script), BASE + path, "--", *args)


def get(path: str, cookie: str = "") -> tuple[int, str, dict]:
    request = urllib.request.Request(BASE + path, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        cookies = {}
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.read().decode(), cookies


def csrf(path: str, cookie: str = "") -> tuple[str, str]:
    """A CSRF cookie and form token pair, as a browser gets them from the page."""
    _, html, cookies = get(path, cookie)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return cookies["csrftoken"], token


def surge_rows(run: str) -> int:
    """Signature rows the surge run wrote (its e-mails carry the run's id)."""
    import psycopg

    with psycopg.connect(ENV["DATABASE_URL"]) as conn:
        return conn.execute(
            "SELECT count(*) FROM petitions_signature WHERE email LIKE %s",
            [f"surge-{run}-%"],
        ).fetchone()[0]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    except OSError:
        mem = 0
    pg = subprocess.run(
        [str(PY), "manage.py", "shell", "-c", "from django.db import connection;"
         "print(connection.cursor().connection.info.server_version)"],
        cwd=ROOT, env=ENV, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1:]  # fmt: skip
    pg_version = f"{int(pg[0]) // 10000}" if pg and pg[0].isdigit() else "?"
    try:
        import redis

        redis_version = redis.Redis.from_url(ENV["REDIS_URL"]).info()["redis_version"]
    except Exception:  # noqa: BLE001 - the description only
        redis_version = "?"
    import django

    return (
        f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, PostgreSQL {pg_version}, "
        f"Redis {redis_version}, Python {platform.python_version()}, Django {django.get_version()}"
    )


def reconcile() -> dict:
    out = {}
    for command in ("credits_reconcile", "petitions_reconcile", "comments_reconcile"):
        proc = subprocess.run(
            [str(PY), "manage.py", command], cwd=ROOT, env=ENV, capture_output=True, text=True
        )
        last = (proc.stdout.strip().split("\r")[-1].splitlines() or [""])[-1]
        out[command] = {"ok": proc.returncode == 0, "output": last or proc.stderr.strip()}
    return out


def main() -> int:
    if not shutil.which("wrk"):
        sh("bash", "-c", "apt-get update -q && apt-get install -y -q wrk")
    ensure_database()
    sh(str(PY), "manage.py", "migrate", "--noinput", "-v0")
    sh(str(PY), "bench/build_data.py")
    LOG.parent.mkdir(exist_ok=True)
    t = json.loads(
        subprocess.run(
            [str(PY), "bench/build_data.py", "--targets"],
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
        # The request log (one JSON line per request) goes to a file, as in production;
        # a terminal would slow the server down.
        stdout=LOG.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    run_id = str(int(time.time()))
    results: dict[str, dict] = {}
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"{BASE}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        session = f"{t['session_cookie']}={t['session']}"
        member_csrf, _ = csrf(t["story_post"], session)
        member_cookie = f"{session}; csrftoken={member_csrf}"
        reader_csrf, reader_token = csrf(t["petition"])

        trivial_last = []

        def beside(key):
            """The trivial view again, right after row ``key``: the row is compared with
            the mean of the trivial view's rate before and after it."""
            after = wrk("/healthz", BASE + "/healthz", seconds=TRIVIAL_SECONDS)["rps"]
            results[key]["trivial_rps"] = (trivial_last[-1] + after) / 2
            trivial_last.append(after)

        def page(key, path, cookie=""):
            if not wanted(key):
                return
            get(path, cookie)  # warm: the reader cache, the worker's templates
            get(path, cookie)
            headers = {"Cookie": cookie} if cookie else {}
            results[key] = wrk(path, BASE + path, headers=headers)
            if key == "trivial":
                results[key]["trivial_rps"] = results[key]["rps"]
                trivial_last.append(results[key]["rps"])
            else:
                beside(key)

        page("trivial", "/healthz")
        page("front", "/")
        page("category", t["category"])
        page("story_100", t["story_100"])
        page("story_2000", t["story_2000"])
        page("story_100_member", t["story_100"], member_cookie)
        page("story_2000_member", t["story_2000"], member_cookie)
        page("front_member", "/", member_cookie)
        page("petition", t["petition"])
        page("petition_member", t["petition"], member_cookie)
        sign_form = (
            f"csrfmiddlewaretoken={reader_token}"
            "&first_name=Surge&last_name=Signer&country=GB&show_name=on"
        )
        if wanted("sign"):
            results["sign"] = wrk_script(
                t["petition_sign"],
                "post.lua",
                run_id,
                t["petition_sign"],
                f"csrftoken={reader_csrf}",
                sign_form,
                "&email=surge-{n}%40bench.example",
            )
            beside("sign")
        # The surge: readers viewing the petition page and signing, 9 to 1, in one run;
        # afterwards every answered signature must be exactly one row (at most one more
        # per connection: requests in flight when wrk stopped, which the server finished).
        surge_run = f"{run_id}m"
        if wanted("surge"):
            results["surge"] = wrk_script(
                t["petition"],
                "surge.lua",
                surge_run,
                t["petition"],
                t["petition_sign"],
                f"csrftoken={reader_csrf}",
                sign_form,
            )
            rows = surge_rows(surge_run)
            signed = results["surge"].get("status_302", 0)
            results["surge"]["rows"] = rows
            if not signed <= rows <= signed + CONNECTIONS:
                results["surge"]["errors"] += 1
                results["surge"]["count_error"] = f"{signed} signatures answered, {rows} rows"
            beside("surge")
        if wanted("comment"):
            # Last: every comment makes all cached reader pages stale. Members comment on one
            # story, each with their own session and CSRF pair, the next one on each request
            # (a real member posts now and then; a hot story gets many members' comments).
            commenters = []
            for session_key in t["commenter_sessions"]:
                cookie = f"{t['session_cookie']}={session_key}"
                csrf_cookie, token = csrf(t["story_post"], cookie)
                commenters.append(f"{cookie}; csrftoken={csrf_cookie}|{token}")
            results["comment"] = wrk_script(
                t["comment_post"],
                "comment.lua",
                run_id,
                t["comment_post"],
                "body=Measured+by+the+bench%3A+a+comment+of+an+ordinary+length+about+the+river.",
                *commenters,
            )
            beside("comment")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    checks = reconcile()
    report = {
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "seconds": SECONDS,
        "connections": CONNECTIONS,
        "targets": t,
        "results": results,
        "reconcile": checks,
    }
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    table = render_table(report)
    print("\n" + table)
    if not ONLY:  # the table of record is a whole run
        (ROOT / "bench" / "results" / "latest.json").write_text(json.dumps(report, indent=2))
        write_readme(table)
    failures = [k for k, r in results.items() if r["errors"] or r["socket_errors"]]
    failures += [k for k, c in checks.items() if not c["ok"]]
    if failures:
        print(f"FAILED: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


def render_table(report: dict) -> str:
    t, results = report["targets"], report["results"]
    labels = {
        "trivial": "`/healthz` (trivial view)",
        "front": "front page `/` (reader)",
        "category": f"category page `{t['category']}` (reader)",
        "story_100": f"story page, {t['story_100_comments']:,} comments (reader)",
        "story_2000": f"story page, {t['story_2000_comments']:,} comments (reader)",
        "story_100_member": f"story page, {t['story_100_comments']:,} comments (member)",
        "story_2000_member": f"story page, {t['story_2000_comments']:,} comments (member)",
        "front_member": "front page `/` (member)",
        "petition": "petition page, 200,000 signatures (reader)",
        "petition_member": "petition page, 200,000 signatures (member)",
        "surge": "surge mix: 9 petition page views to 1 sign, readers, one wrk run",
        "sign": "anonymous petition sign POST",
        "comment": "comment POST (member)",
    }
    lines = [
        f"{report['date']}, {report['machine']}; wrk -t2 -c{report['connections']} "
        f"-d{report['seconds']}s on the same cores; each row is compared with the trivial "
        f"view measured just before and just after it ({TRIVIAL_SECONDS} s each, the mean).",
        "",
        "| request | requests/s | p50 | p99 | errors | trivial beside it | vs. trivial | target "
        "| met? |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |",
    ]
    for key, label in labels.items():
        r = results.get(key)
        if r is None:
            continue
        trivial = r.get("trivial_rps") or results["trivial"]["rps"]
        ratio = r["rps"] / trivial
        target = TARGETS.get(key)
        met, target_text = "", ""
        if target is not None:
            ok = ratio >= target
            target_text = f"≥ {target}"
            if key == "sign":
                ok = ok and r["rps"] >= MIN_SIGNATURES_PER_SECOND
                target_text += f" and ≥ {MIN_SIGNATURES_PER_SECOND}/s"
            met = "yes" if ok else "**no**"
        errors = r["errors"] + (1 if r["socket_errors"] else 0)
        if key == "surge":
            label += f" ({r.get('status_302', 0):,} signed, {r.get('rows', 0):,} rows after)"
        lines.append(
            f"| {label} | {r['rps']:.0f} | {r['p50']} | {r['p99']} | {errors} | {trivial:.0f} "
            f"| {ratio:.2f} | {target_text} | {met} |"
        )
    lines.append("")
    for command, check in report["reconcile"].items():
        lines.append(f"- `{command}`: {'ok' if check['ok'] else 'DRIFT'} ({check['output']})")
    return "\n".join(lines)


def write_readme(table: str) -> None:
    text = README.read_text()
    block = f"{START}\n{table}\n{END}"
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.replace("## Results\n", f"## Results\n\n{block}\n", 1)
    README.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
