"""Bad input never makes a 500: crawl the demo site as a reader and as a member, follow
every link, add odd query strings to every page, and post odd values into every form.
(This crawl found ``next=0`` making a 500 in three views.)"""

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from care2.users.models import User

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.slow,
]  # crawls: once per make test, not again at a fixed instant

ODD_QUERIES = ["page=abc", "page=-1", "page=999999", "q=%3Cscript%3E", "next=//evil.example"]
ODD_VALUES = ["", "x" * 6000, "<script>alert(1)</script>", "0", "-1", "ñ", "javascript:alert(1)"]
SKIP = ("logout", "/delete", "/static/", "/media/", "/admin/")


def crawl(client: Client, *, limit: int) -> tuple[list, int, int]:
    problems, seen, queue, forms = [], set(), ["/"], {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen or any(part in url for part in SKIP):
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code >= 500:
            problems.append(("GET", url, response.status_code))
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        queue += [href.replace("&amp;", "&") for href in re.findall(r'href="(/[^"#]*)', html)]
        for match in re.finditer(
            r'<form[^>]*method="post"[^>]*action="([^"]*)"[^>]*>(.*?)</form>', html, re.S
        ):
            action = (match.group(1) or url).replace("&amp;", "&")
            names = frozenset(re.findall(r'name="([^"]+)"', match.group(2)))
            # One form of each kind: the same form on another story adds nothing.
            kind = (re.sub(r"\d+", "N", action), names)
            forms.setdefault(kind, (action, names))
    for url in sorted(seen):
        for query in ODD_QUERIES:
            odd = f"{url}{'&' if '?' in url else '?'}{query}"
            if client.get(odd).status_code >= 500:
                problems.append(("GET", odd))
    for action, names in forms.values():
        if any(part in action for part in SKIP):
            continue
        for value in ODD_VALUES:
            data = {name: value for name in names if name != "csrfmiddlewaretoken"}
            status = client.post(action, data).status_code
            if status >= 500:
                problems.append(("POST", action, value[:20], status))
    return problems, len(seen), len(forms)


@pytest.fixture
def demo(settings):
    # The crawl posts many forms quickly: without this the rate limits would answer 429
    # before the forms see the odd values.
    settings.COMMENT_RATE = "100000/m"
    settings.PETITION_SIGN_RATE = ""
    call_command("load_demo", stdout=io.StringIO())


def test_readers_never_get_a_500(demo):
    problems, pages, forms = crawl(Client(), limit=120)
    assert pages >= 60 and forms >= 2
    assert not problems, problems


def test_members_never_get_a_500(demo):
    client = Client()
    client.force_login(User.objects.get(email="demo@care2.example"))
    problems, pages, forms = crawl(client, limit=120)
    assert pages >= 60 and forms >= 6
    assert not problems, problems
