"""The embedded default: `make run` on SQLite, tasks eager, serves the front page."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
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
        _check_links_and_error_pages(port, log)
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


def _check_links_and_error_pages(port: int, log) -> None:
    """On a port other than 8000: the site's own 404 page, feed links and e-mailed links on
    that port, and e-mailed links printed whole (a reader clicks them in the terminal)."""
    base = f"http://127.0.0.1:{port}"
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    try:
        opener.open(f"{base}/no-such-page/", timeout=10)
        raise AssertionError("a missing page answered 200")
    except urllib.error.HTTPError as error:
        assert error.code == 404
        page = error.read().decode()
    assert "Page not found" in page and "site-header" in page, page[:500]
    assert "URLconf" not in page and "DEBUG = True" not in page  # not Django's debug page

    with opener.open(f"{base}/static/css/site.css", timeout=10) as response:
        assert response.status == 200

    with opener.open(f"{base}/feeds/stories.rss", timeout=10) as response:
        feed = response.read().decode()
    links = re.findall(r"<link>([^<]+)</link>", feed)
    assert links and all(link.startswith(f"{base}/") for link in links), links[:3]

    with opener.open(f"{base}/petitions/", timeout=10) as response:
        listing = response.read().decode()
    petition_path = re.search(r'href="(/petitions/\d+/[^"/]+/)"', listing).group(1)
    with opener.open(f"{base}{petition_path}", timeout=10) as response:
        petition_page = response.read().decode()
    action = re.search(r'<form method="post" action="([^"#]+)[^"]*"[^>]*sign-form', petition_page)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', petition_page).group(1)
    email = "a.reader.with.a.rather.long.address.for.wrapping@example.org"
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "first_name": "Rita",
            "last_name": "Reader",
            "email": email,
            "country": "GB",
            "show_name": "on",
        }
    ).encode()
    request = urllib.request.Request(
        f"{base}{action.group(1)}", data=form, headers={"Referer": f"{base}{petition_path}"}
    )
    with opener.open(request, timeout=10) as response:
        assert response.status == 200

    deadline = time.monotonic() + 20
    printed = ""
    while time.monotonic() < deadline and "/petitions/withdraw/" not in printed:
        time.sleep(0.3)
        log.seek(0)
        printed = log.read().split(email, 1)[-1]
    confirm = re.search(r"http://\S+/petitions/confirm/\S+", printed)
    withdraw = re.search(r"http://\S+/petitions/withdraw/\S+", printed)
    assert confirm and withdraw, printed[-2000:]
    # Printed whole: no quoted-printable soft break (a trailing "=") inside the link.
    for link in (confirm.group(0), withdraw.group(0)):
        assert link.startswith(f"{base}/") and not link.endswith("="), link
        with opener.open(link, timeout=10) as response:
            assert response.status == 200
