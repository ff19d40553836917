"""Scale-out on this machine: the same pages through one gunicorn node, through two nodes
at once (a round-robin client: one wrk per node, the connections split between them),
and through two nodes reading from a streaming replica. Reports the ratios and where
the CPU time went (web nodes, PostgreSQL primary and replica, Redis, the load generator),
so a figure measured on these 2 cores can be carried to a bigger box.

    .venv/bin/python bench/scale.py              # 8 s per page and set-up
    BENCH_SECONDS=20 .venv/bin/python bench/scale.py

Starts its own PostgreSQL primary and replica, Redis and nodes in temporary directories
(tests/scale_cluster.py) and removes them afterwards. Writes bench/results/scale.json
and the table in bench/README.md ("Scale-out"). Exits non-zero on any error response.
"""

import contextlib
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.scale_cluster import Cluster, postgres_bindir  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))  # gunicorn workers per node
README = ROOT / "bench" / "README.md"
START, END = "<!-- bench:scale:start -->", "<!-- bench:scale:end -->"
TICK = os.sysconf("SC_CLK_TCK")

SEED = """
import json
from django.conf import settings
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from django.urls import reverse
from tests.comments.factories import CommentFactory
from tests.factories import StoryFactory, UserFactory
from tests.petitions.factories import PetitionFactory
stories = [StoryFactory(published=True) for _ in range(30)]
authors = [UserFactory() for _ in range(10)]
for n in range(100):
    CommentFactory(story=stories[0], author=authors[n % 10])
member = UserFactory()
petition = PetitionFactory()
client = Client()
client.force_login(member)
print(json.dumps({
    "story": stories[0].get_absolute_url(),
    "petition": petition.get_absolute_url(),
    "sign": reverse("petitions:sign", args=[petition.pk]),
    "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
}))
"""

ENV = {
    "PETITION_SIGN_RATE": "",  # all the load comes from one address
    "LOG_LEVEL": "WARNING",
}


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, cutime, cstime: the process and its waited-for children.
        total += sum(int(v) for v in fields[11:15])
    return total / TICK


def tree(root: int) -> list[int]:
    """``root`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def postmaster(server) -> int:
    return int((server.data / "postmaster.pid").read_text().split()[0])


def wrk_args(url: str, connections: int, threads: int, cookie: str, post: list[str] | None):
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{SECONDS}s", "--timeout", "30s",
            "--latency"]  # fmt: skip
    if cookie:
        args += ["-H", f"Cookie: {cookie}"]
    if post:
        args += ["-s", str(ROOT / "bench" / "post.lua"), url, "--", *post]
    else:
        args.append(url)
    return args


def parse(out: str) -> dict:
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    other = re.search(r"STATUSOTHER (\d+)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50": re.search(r"50%\s+([\d.]+\w+)", out).group(1),
        "p99": re.search(r"99%\s+([\d.]+\w+)", out).group(1),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0)
        + (int(other.group(1)) if other else 0)
        + (1 if "Socket errors" in out else 0),
    }


def measure(cluster: Cluster, nodes: list[str], page: dict, groups: dict[str, list[int]]):
    """One wrk per node at once, the connections split between them; the CPU each part
    of the deployment used meanwhile."""
    per_node = max(1, CONNECTIONS // len(nodes))
    threads = max(1, 2 // len(nodes))
    procs_before = {name: tree_all(pids) for name, pids in groups.items()}
    before = {name: cpu_seconds(pids) for name, pids in procs_before.items()}
    started = time.monotonic()
    runs = []
    for base in nodes:
        post = None
        if page.get("post"):
            post = [f"{int(time.time())}{len(runs)}", page["path"], page["cookie"], page["form"],
                    "&email=scale-{n}%40bench.example"]  # fmt: skip
        runs.append(subprocess.Popen(
            wrk_args(base + page["path"], per_node, threads, page.get("cookie", ""), post),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        ))  # fmt: skip
    outs, wrk_cpu = [], 0.0
    for run in runs:
        _, status, usage = os.wait4(run.pid, 0)
        run.returncode = os.waitstatus_to_exitcode(status)
        outs.append(run.stdout.read())
        wrk_cpu += usage.ru_utime + usage.ru_stime
    wall = time.monotonic() - started
    after = {name: cpu_seconds(tree_all(pids)) for name, pids in groups.items()}
    parsed = [parse(out) for out in outs]
    requests = sum(p["requests"] for p in parsed)
    cpu = {name: round(after[name] - before[name], 2) for name in groups}
    cpu["wrk"] = round(wrk_cpu, 2)
    server_cpu = sum(v for k, v in cpu.items() if k != "wrk")
    return {
        "rps": round(requests / SECONDS, 1),
        "p50": [p["p50"] for p in parsed],
        "p99": [p["p99"] for p in parsed],
        "errors": sum(p["errors"] for p in parsed),
        "cpu_seconds": cpu,
        "cores_busy": round(sum(cpu.values()) / wall, 2),
        # Requests per core-second of the servers (web, PostgreSQL, Redis; not wrk).
        "per_server_core": round(requests / server_cpu, 1) if server_cpu else None,
    }


def tree_all(roots: list[int]) -> list[int]:
    return [pid for root in roots for pid in tree(root)]


def csrf(base: str, path: str, cookie: str = "") -> tuple[str, str]:
    import urllib.request

    request = urllib.request.Request(base + path, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        html = response.read().decode()
        cookies = {}
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return cookies["csrftoken"], token


def main() -> int:
    if not shutil.which("wrk"):
        print("needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    bindir = postgres_bindir()
    if bindir is None:
        print("needs the PostgreSQL server: apt-get install postgresql", file=sys.stderr)
        return 2
    setups = {
        "one node": {"nodes": 1, "replica": False},
        "two nodes": {"nodes": 2, "replica": False},
        "two nodes, reads on the replica": {"nodes": 2, "replica": True},
    }
    results: dict[str, dict[str, dict]] = {}
    with Cluster(bindir) as cluster:
        cluster.start_databases(replica=True)
        cluster.start_redis()
        seed = json.loads(cluster.django(SEED, DATABASE_REPLICA_URLS="").splitlines()[-1])
        member = f"sessionid={seed['session']}"
        for label, setup in setups.items():
            extra = dict(ENV)
            if not setup["replica"]:
                extra["DATABASE_REPLICA_URLS"] = ""
            nodes = [
                cluster.node(f"{label}-{n}".replace(" ", "-").replace(",", ""),
                             workers=WORKERS, **extra)
                for n in range(setup["nodes"])
            ]  # fmt: skip
            groups = {
                "web": [cluster.processes[name].process.pid for name in cluster.processes
                        if name.startswith(label.replace(" ", "-").replace(",", ""))],
                "primary": [postmaster(cluster.primary)],
                "replica": [postmaster(cluster.replica)],
                "redis": [cluster.processes["redis"].process.pid],
            }  # fmt: skip
            member_csrf, _ = csrf(nodes[0], seed["story"], member)
            reader_csrf, reader_token = csrf(nodes[0], seed["petition"])
            pages = {
                "`/healthz`": {"path": "/healthz"},
                "front page (reader)": {"path": "/"},
                "story, 100 comments (reader)": {"path": seed["story"]},
                "story, 100 comments (member)": {
                    "path": seed["story"], "cookie": f"{member}; csrftoken={member_csrf}"
                },
                "front page (member)": {"path": "/", "cookie": f"{member}; csrftoken={member_csrf}"},
                "petition page (reader)": {"path": seed["petition"]},
                "petition sign POST (reader)": {
                    "path": seed["sign"], "post": True, "cookie": f"csrftoken={reader_csrf}",
                    "form": f"csrfmiddlewaretoken={reader_token}&first_name=Scale"
                            "&last_name=Signer&country=GB&show_name=on",
                },
            }  # fmt: skip
            results[label] = {}
            for name, page in pages.items():
                for base in nodes:  # warm each node's workers and the page cache
                    csrf_safe_get(base + page["path"], page.get("cookie", ""))
                results[label][name] = measure(cluster, nodes, page, groups)
                print(label, "|", name, "|", results[label][name], flush=True)
            for name in list(cluster.processes):
                if name.startswith(label.replace(" ", "-").replace(",", "")):
                    cluster.processes.pop(name).stop()
    report = {
        "date": datetime.date.today().isoformat(),
        "cores": os.cpu_count(),
        "seconds": SECONDS,
        "connections": CONNECTIONS,
        "workers_per_node": WORKERS,
        "results": results,
    }
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "scale.json").write_text(json.dumps(report, indent=2))
    table = render(report)
    print("\n" + table)
    write_readme(table)
    errors = [(s, p) for s, pages in results.items() for p, r in pages.items() if r["errors"]]
    if errors:
        print(f"FAILED: error responses in {errors}", file=sys.stderr)
        return 1
    return 0


def csrf_safe_get(url: str, cookie: str) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    # A GET of a POST-only URL (the sign form) answers 405: nothing to warm.
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(request, timeout=30).read()


def render(report: dict) -> str:
    results = report["results"]
    one, two, replica = (
        results["one node"],
        results["two nodes"],
        results["two nodes, reads on the replica"],
    )
    lines = [
        f"{report['date']}, {report['cores']} cores shared by everything; "
        f"{report['workers_per_node']} gunicorn workers per node; wrk with "
        f"{report['connections']} connections in all for {report['seconds']} s "
        "(with two nodes, one wrk per node at once, half the connections each).",
        "",
        "| request | one node | two nodes | ratio | two nodes + replica | ratio | "
        "requests per server core-second (one node) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for page in one:
        a, b, c = one[page]["rps"], two[page]["rps"], replica[page]["rps"]
        lines.append(
            f"| {page} | {a:.0f}/s | {b:.0f}/s | {b / a:.2f} | {c:.0f}/s | {c / a:.2f} "
            f"| {one[page]['per_server_core']} |"
        )
    lines += ["", "Where the CPU time went (core-seconds during each run; cores busy = all "
              "parts over the wall time):", "",
              "| set-up | request | web | primary | replica | Redis | wrk | cores busy |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for setup, pages in results.items():
        for page, r in pages.items():
            cpu = r["cpu_seconds"]
            lines.append(
                f"| {setup} | {page} | {cpu['web']} | {cpu['primary']} | {cpu['replica']} "
                f"| {cpu['redis']} | {cpu['wrk']} | {r['cores_busy']} |"
            )
    return "\n".join(lines)


def write_readme(table: str) -> None:
    text = README.read_text()
    if START in text and END in text:
        block = f"{START}\n{table}\n{END}"
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
        README.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
