"""A crawler that fills in and submits every form on the site, with Django's test Client.

It follows links breadth-first from its start pages and reads each HTML page with the
standard library's parser: its links, its forms (those without an ``action`` post to the
page's own URL, as a browser does) and its visible text. Then it submits each kind of form
once with sensible values (from the field's type, name, current value and ``<select>``
options, keeping the form's CSRF token) and again with hostile ones, and finally visits
the pages again, now that the hostile values are stored.

It records every 5xx, and every page whose visible text shows a link or paragraph tag as
text: the site stores comments as sanitized HTML, so such text means stored markup was
escaped a second time (a member who typed ``<b>`` still sees ``<b>``: only links to
``http(s)`` addresses and ``<p>``/``<br>`` count, and the hostile values never type those).
"""

import datetime
import io
import re
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve
from PIL import Image

# Markup from stored content shown as text: the escaped form of a link to an http(s)
# address (quoted as the sanitizer writes it), of a closing </a>, or of <p> / <br>.
# Matched against the page's text after the parser decoded its character references,
# so ``&lt;a href=&quot;https://…`` and ``&lt;a href="https://…`` both show up here as
# ``<a href="https://…``; a double-escaped ``&amp;lt;`` shows up as ``&lt;``.
ESCAPED_MARKUP = re.compile(
    r"""(?:<|&lt;)\s*(?:a\s[^<>]*?href\s*=\s*(?:"|'|&quot;|&\#34;|&\#39;|&\#x27;)\s*https?://"""
    r"""|/a\s*(?:>|&gt;)|/?p\s*(?:>|&gt;)|br\s*/?\s*(?:>|&gt;))""",
    re.IGNORECASE,
)

TEXT_TYPES = {"text", "search", "textarea", "tel"}
NOT_SENT = {"submit", "button", "image", "reset"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
DATE_NAME = re.compile(r"(date|deadline|until|_at)(_0)?$")


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (40, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png_bytes()


def png_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("crawl.png", PNG, content_type="image/png")


def not_an_image() -> SimpleUploadedFile:
    return SimpleUploadedFile("crawl.png", b"this is not an image\n" * 4, content_type="image/png")


def route(url: str) -> str:
    """The URL pattern a URL matches ("tags/<str:slug>/"): pages of one pattern are one
    kind of page, and forms posting to one pattern one kind of form."""
    path = urlsplit(url).path
    try:
        return resolve(path).route
    except Resolver404:
        return re.sub(r"\d+", "N", path)


def page_kind(url: str) -> tuple:
    """Pages of one pattern with the same query parameters are one kind; in the admin,
    where every filter and sort order is a link, a changelist sorted or filtered in any
    way is one kind."""
    path, query = urlsplit(url).path, urlsplit(url).query
    keys = frozenset(key.split("=")[0] for key in query.split("&") if key)
    return (route(url), bool(keys) if path.startswith("/admin/") else keys)


# --- reading pages --------------------------------------------------------------------


@dataclass
class Field:
    tag: str  # input, textarea, select or button
    name: str
    type: str
    value: str = ""
    checked: bool = False
    options: list = field(default_factory=list)  # [(value, selected)] of a <select>
    multiple: bool = False
    maxlength: int | None = None


@dataclass
class Form:
    page: str  # the URL of the page the form is on
    action: str  # where it submits: the page's own URL when it has no action
    method: str
    fields: list

    @property
    def names(self) -> frozenset:
        return frozenset(f.name for f in self.fields if f.name)

    @property
    def kind(self) -> tuple:
        """One form of each kind is enough: the same form on another story adds nothing,
        nor does a search form keeping another filter in a hidden field."""
        names = self.names
        if self.method == "get":
            names = frozenset(f.name for f in self.fields if f.name and f.type != "hidden")
        return (self.method, route(self.action), names)

    def describe(self) -> str:
        where = "" if self.action == self.page else f" (on {self.page})"
        return f"{self.method.upper()} {self.action}{where}"


class PageParser(HTMLParser):
    """Links, forms and visible text of one page."""

    HIDDEN_TEXT = {"script", "style", "textarea", "template", "option"}

    def __init__(self, url: str):
        super().__init__(convert_charrefs=True)
        self.url = url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self.text: list[str] = []
        self._form: Form | None = None
        self._textarea: Field | None = None
        self._select: Field | None = None
        self._option: list | None = None
        self._hidden_depth = 0

    def _resolve(self, href: str) -> str | None:
        url = urljoin(self.url, href.strip()).split("#", 1)[0]
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not url.startswith("/"):
            return None  # another site, mailto:, javascript:
        return url

    def handle_starttag(self, tag, attrs):
        a = {key: value if value is not None else "" for key, value in attrs}
        if tag in self.HIDDEN_TEXT:
            self._hidden_depth += 1
        if tag in ("a", "link", "area") and a.get("href"):
            url = self._resolve(a["href"])
            if url:
                self.links.append(url)
        if tag == "form":
            action = a.get("action") or ""
            self._form = Form(
                page=self.url,
                action=self._resolve(action) if action else self.url,
                method=(a.get("method") or "get").lower(),
                fields=[],
            )
            return
        if self._form is None or "disabled" in a:
            return
        name = a.get("name", "")
        maxlength = int(a["maxlength"]) if a.get("maxlength", "").isdigit() else None
        if tag == "input":
            self._form.fields.append(
                Field(
                    "input",
                    name,
                    (a.get("type") or "text").lower(),
                    a.get("value", ""),
                    "checked" in a,
                    maxlength=maxlength,
                )
            )
        elif tag == "textarea":
            self._textarea = Field("textarea", name, "textarea", maxlength=maxlength)
            self._form.fields.append(self._textarea)
        elif tag == "select":
            self._select = Field("select", name, "select", multiple="multiple" in a)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a, ""]
            self._select.options.append(self._option)
        elif tag == "button":
            self._form.fields.append(
                Field("button", name, (a.get("type") or "submit").lower(), a.get("value", ""))
            )

    def handle_endtag(self, tag):
        if tag in self.HIDDEN_TEXT and self._hidden_depth:
            self._hidden_depth -= 1
        if tag == "form" and self._form is not None:
            for select in (f for f in self._form.fields if f.tag == "select"):
                # An <option> without a value attribute submits its text.
                select.options = [
                    (text.strip() if value is None else value, selected)
                    for value, selected, text in select.options
                ]
            self.forms.append(self._form)
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data
        elif self._option is not None:
            self._option[2] += data
        if not self._hidden_depth:
            self.text.append(data)


def escaped_markup(text_nodes) -> list[str]:
    """Snippets of visible text that show stored markup as text."""
    found = []
    for text in text_nodes:
        for match in ESCAPED_MARKUP.finditer(text):
            found.append(" ".join(text[max(0, match.start() - 30) : match.end() + 40].split()))
    return found


# --- filling forms --------------------------------------------------------------------

# "{}" is the field's sensible value: a hostile character inside text that passes the
# other checks reaches the database, and so every page that shows it.
HOSTILE_TEXT = ["", "x" * 6000, "<a href=x>", "{} <a href=x>", "{}\x01\u202e"]
HOSTILE_TYPED = {
    "date": ["9999-12-31", "2026-02-30", "\x01"],
    "number": ["-1", "abc", "9" * 40],
    "email": ["<a href=x>@example.org", "\x01@example.org"],
    "url": ["javascript:alert(1)", "https://example.org/\x01"],
    "select": ["\x01", "-1"],
    "hidden": ["-1", "abc\x01"],
    "password": ["", "\x01"],
    "file": [not_an_image, None],
}


def field_kind(f: Field) -> str:
    """The family of hostile values a field gets."""
    if f.type == "date" or (f.type in TEXT_TYPES and DATE_NAME.search(f.name)):
        return "date"
    if f.type in ("number", "range"):
        return "number"
    if f.type in TEXT_TYPES:
        return "text"
    return f.type if f.type in HOSTILE_TYPED else "other"


class Filler:
    """Sensible values by field type and name; a fresh number in each so that a link,
    e-mail or title never repeats (the site refuses a link submitted twice)."""

    def __init__(self, password: str):
        self.password = password
        self.counter = 0

    def sensible(self, f: Field) -> object:
        n = self.counter
        name = f.name.lower()
        kind = field_kind(f)
        if f.type == "file":
            return png_file()
        if f.type == "password":
            return self.password
        if kind == "date":
            return (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
        if f.type in ("datetime-local",):
            return "2030-01-01T10:00"
        if f.type == "time" or name.endswith("_1"):
            return "10:00"
        if kind == "number" or name in ("goal", "page"):
            return "100"
        if f.type == "email" or "email" in name:
            return f"crawl{n}@example.com"
        if f.type == "url" or name in ("url", "link", "website"):
            return f"https://example.org/crawl/{n}"
        if "tag" in name:
            return "crawl, community"
        if name == "q":
            return "garden"
        if "first_name" in name or name == "name":
            return "Crawl"
        if "last_name" in name:
            return "Tester"
        if "title" in name or "subject" in name:
            value = f"A sensible crawl title number {n}"
        else:
            value = f"Sensible words number {n} about a community garden that feeds families."
        return value[: f.maxlength] if f.maxlength else value

    def values(self, form: Form, *, skip_selected: set[str]) -> dict[str, list]:
        """What a browser sends for the form as shown, with empty fields filled in and the
        first submit button pressed."""
        self.counter += 1
        data: dict[str, list] = {}
        radios: dict[str, list[Field]] = {}
        pressed = False
        for f in form.fields:
            if not f.name:
                continue
            if f.type in NOT_SENT or f.tag == "button":
                if f.type == "submit" and not pressed:
                    data.setdefault(f.name, []).append(f.value)
                    pressed = True
                continue
            if f.type == "radio":
                radios.setdefault(f.name, []).append(f)
            elif f.type == "checkbox":
                if f.checked:
                    data.setdefault(f.name, []).append(f.value or "on")
            elif f.tag == "select":
                chosen = [v for v, selected in f.options if selected and v]
                if not chosen and not f.multiple:
                    # "Choose a category" (an empty value) shows selected: choose one.
                    chosen = [v for v, _ in f.options if v][:1] or [v for v, _ in f.options][:1]
                data[f.name] = chosen
            elif f.type == "hidden" and UUID.fullmatch(f.value):
                # A one-time key against double submission: a browser gets a new one each
                # time it shows the form (the same key would return the first result).
                data.setdefault(f.name, []).append(str(uuid.uuid4()))
            elif f.type == "hidden" or (f.value.strip() and f.type != "file"):
                data.setdefault(f.name, []).append(f.value)
            else:
                data.setdefault(f.name, []).append(self.sensible(f))
        for name, group in radios.items():
            chosen = [f for f in group if f.checked] or group[:1]
            data[name] = [chosen[0].value or "on"]
        # An admin changelist's action form: select one row (never the persona's own).
        rows = [f.value for f in form.fields if f.name == "_selected_action"]
        rows = [value for value in rows if value not in skip_selected] or rows
        if rows:
            data["_selected_action"] = rows[:1]
        return data

    def variants(self, form: Form, *, skip_selected: set[str]):
        """(label, data): the sensible submission, then hostile ones. Text fields get each
        hostile text at once; fields of each other type get each hostile value of their
        type at once, the rest of the form staying sensible (so the value gets past the
        other fields' validation)."""
        yield "sensible", self.values(form, skip_selected=skip_selected)
        actions = [f for f in form.fields if f.name == "action" and f.tag == "select"]
        if actions and any(f.name == "_selected_action" for f in form.fields):
            for value, _ in actions[0].options[1:]:
                data = self.values(form, skip_selected=skip_selected)
                data["action"] = [value]
                yield f"action={value}", data
        fields = [f for f in form.fields if f.name and f.name != "csrfmiddlewaretoken"]
        texts = [f for f in fields if field_kind(f) == "text"]
        if texts:
            for hostile in HOSTILE_TEXT:
                data = self.values(form, skip_selected=skip_selected)
                for f in texts:
                    sensible = self.sensible(f)
                    value = hostile.format(sensible) if "{}" in hostile else hostile
                    data[f.name] = [value]
                yield f"{','.join(f.name for f in texts)}={hostile[:12]!r}", data
        for kind, hostiles in HOSTILE_TYPED.items():
            targets = [f for f in fields if field_kind(f) == kind]
            if not targets:
                continue
            for hostile in hostiles:
                data = self.values(form, skip_selected=skip_selected)
                for f in targets:
                    value = hostile() if callable(hostile) else hostile
                    data[f.name] = [] if value is None else [value]
                label = hostile.__name__ if callable(hostile) else repr(hostile)[:14]
                yield f"{','.join(sorted({f.name for f in targets}))}={label}", data


# --- the crawl ------------------------------------------------------------------------


@dataclass
class Persona:
    name: str
    client: Client
    password: str = ""
    user_pk: int | None = None
    login: object = None  # callable logging the client in again, or None for readers


@dataclass
class Result:
    problems: list = field(default_factory=list)
    pages: set = field(default_factory=set)
    forms: dict = field(default_factory=dict)
    posts: int = 0
    sessions_ended: list = field(default_factory=list)

    def report(self) -> str:
        return "\n".join(self.problems)


SKIP = ("/static/", "/media/", "/admin/jsi18n/")


class Crawler:
    def __init__(self, persona: Persona, *, max_pages: int = 400, per_kind: int = 3):
        self.persona = persona
        self.client = persona.client
        self.max_pages = max_pages
        self.per_kind = per_kind
        self.filler = Filler(persona.password)
        self.result = Result()
        pk = persona.user_pk
        # Links and forms that would end the persona: never mid-crawl, only at the end.
        self.ending = ["logout", "/delete-account/"] + (
            [f"/admin/users/user/{pk}/delete/", f"/admin/users/user/{pk}/password/"] if pk else []
        )
        self.skip_selected = {str(pk)} if pk else set()
        self._markup_reported: set[str] = set()

    def _ends_persona(self, url: str) -> bool:
        return any(part in url for part in self.ending)

    def _problem(self, line: str) -> None:
        line = f"[{self.persona.name}] {line}"
        if line not in self.result.problems:
            self.result.problems.append(line)

    def _check(self, label: str, response) -> PageParser | None:
        """Record a 5xx or markup shown as text; the parsed page when it is HTML."""
        if response.status_code >= 500:
            error = ""
            if getattr(response, "exc_info", None):
                error = f": {response.exc_info[0].__name__}: {str(response.exc_info[1])[:120]}"
            self._problem(f"{label} → {response.status_code}{error}")
            return None
        if "html" not in response.get("Content-Type", "") or not getattr(response, "content", None):
            return None
        url = response.request["PATH_INFO"]
        if response.request.get("QUERY_STRING"):
            url += "?" + response.request["QUERY_STRING"]
        page = PageParser(url)
        page.feed(response.content.decode(errors="replace"))
        shown = escaped_markup(page.text)
        if shown and url not in self._markup_reported:
            # Once per page: the same page reached again by another form says nothing new.
            self._markup_reported.add(url)
            via = "" if label == f"GET {url}" else f" (after {label})"
            self._problem(f"GET {url}{via} shows markup as text: …{shown[0]}…")
        return page

    def _session_ended(self) -> bool:
        return self.persona.login is not None and "_auth_user_id" not in self.client.session

    # -- phase 1 and 3: following links

    def visit(self, start: list[str], *, limit: int) -> set[str]:
        seen, counts, queue = set(), {}, list(start)
        while queue and len(seen) < limit:
            url = queue.pop(0)
            if url in seen or any(part in url for part in SKIP):
                continue
            if self._ends_persona(url):
                self._ending_pages.setdefault(route(url), url)
                continue
            kind = page_kind(url)
            if counts.get(kind, 0) >= self.per_kind and url not in start:
                continue
            counts[kind] = counts.get(kind, 0) + 1
            seen.add(url)
            response = self.client.get(url)
            if response.status_code in (301, 302, 303, 307, 308):
                queue.append(urljoin(url, response["Location"]))
            page = self._check(f"GET {url}", response)
            if page is None:
                continue
            queue += page.links
            for form in page.forms:
                self._found(form)
        self.result.pages |= seen
        return seen

    def _found(self, form: Form) -> None:
        if form.kind not in self.result.forms:
            self.result.forms[form.kind] = form
            self._pending.append(form)

    # -- phase 2: submitting forms

    def submit(self, form: Form, *, sensible_last: bool = False) -> list[str]:
        """Every variant of one form; the URLs the submissions ended on. A form that ends
        the persona gets its hostile values first, so only the last submission can."""
        landed = []
        variants = list(self.filler.variants(form, skip_selected=self.skip_selected))
        if sensible_last:
            variants = variants[1:] + variants[:1]
        for label, data in variants:
            where = f"{form.describe()} [{label}]"
            if form.method == "get":
                query = {k: [v for v in vs if isinstance(v, str)] for k, vs in data.items()}
                url = f"{urlsplit(form.action).path}?{urlencode(query, doseq=True)}"
                response = self.client.get(url, follow=True)
            else:
                response = self.client.post(form.action, data, follow=True)
                self.result.posts += 1
            page = self._check(where, response)
            if page is not None:
                if response.redirect_chain:
                    landed.append(page.url)
                # Forms that only a submission shows (an admin action asking for a reason,
                # a confirmation) are submitted too.
                for found in page.forms:
                    self._found(found)
            if form.method == "post" and not sensible_last and self._session_ended():
                self.result.sessions_ended.append(where)
                self.persona.login()
        return landed

    def _submit_pending(self) -> list[str]:
        landed = []
        while self._pending:
            form = self._pending.pop(0)
            if self._ends_persona(form.action):
                self._deferred.append(form)
            else:
                landed += self.submit(form)
        return landed

    def run(self, start: list[str]) -> Result:
        self._pending, self._deferred, self._ending_pages = [], [], {}
        self.visit(start, limit=self.max_pages)
        landed = self._submit_pending()
        # The pages again, now holding what the forms stored, and where the forms led;
        # then the forms only those pages have (editing a comment the crawl posted).
        again = list(dict.fromkeys(start + sorted(self.result.pages) + landed))
        self.visit(again, limit=len(again))
        self._submit_pending()
        # Last, what ends the persona: the account deletion before logging out.
        for url in self._ending_pages.values():
            page = self._check(f"GET {url}", self.client.get(url))
            for form in page.forms if page else []:
                self._found(form)
        self._deferred += self._pending
        for form in sorted(self._deferred, key=lambda f: "logout" in f.action):
            self.submit(form, sensible_last=True)
        return self.result
