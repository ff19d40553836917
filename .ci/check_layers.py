#!/usr/bin/env python3
"""The layer picture checked where import-linter cannot see: templates and strings.

import-linter (``lint-imports``, configured in ``pyproject.toml``) checks Python imports.
References that go through a name instead of an import are checked here, against the same
layers (read from the same ``[tool.importlinter]`` contract, so there is one picture):

- templates: ``{% load lib %}`` (the app whose ``templatetags/`` holds ``lib``),
  ``{% url 'ns:name' %}`` (the app whose ``urls.py`` says ``app_name = "ns"``), and
  ``{% include %}`` / ``{% extends %}`` of another app's template folder;
- Python: ``apps.get_model("label.Model")`` / ``get_model("label", "Model")``, model
  references by string (``ForeignKey("label.Model")``), and ``reverse`` / ``reverse_lazy``
  / ``redirect`` of ``"ns:name"``.

A template belongs to the app that owns its folder (``templates/stories/`` to ``stories``,
``templates/users/`` and allauth's folders to ``care2.users``, ``templates/includes/`` to
``care2``, ``templates/admin/<app>/`` to that app, the admin index to ``moderation``); the
templates at the top of ``templates/`` are the site's frame, composition like
``care2.urls``, and are not checked. A reference may go down, or across to a sibling joined
by ``:``; never up, nor across ``|``.

Run from the repository root: ``python .ci/check_layers.py``; exit status 1 and one line
per violation when the picture is broken.
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Template folders whose owner is not the folder's own name.
TEMPLATE_OWNERS = {
    "users": "care2.users",
    "allauth": "care2.users",
    "socialaccount": "care2.users",
    "account": "care2.users",
    "includes": "care2",
    "admin/index.html": "moderation",
}

LOAD_RE = re.compile(r"{%-?\s*load\s+(.+?)\s*-?%}")
URL_RE = re.compile(r"{%-?\s*url\s+(['\"])([\w-]+):[\w:-]+\1")
INCLUDE_RE = re.compile(r"{%-?\s*(?:include|extends)\s+(['\"])([^'\"]+)\1")
GET_MODEL_RE = re.compile(r"get_model\(\s*(['\"])(\w+)\.\w+\1")
STRING_MODEL_RE = re.compile(
    r"(?:ForeignKey|OneToOneField|ManyToManyField)\(\s*(['\"])(\w+)\.\w+\1"
)
REVERSE_RE = re.compile(r"\b(?:reverse|reverse_lazy|redirect)\(\s*(['\"])([\w-]+):[\w:-]+\1")
# ("label", "Model") passed to any model look-up, and "label.Model" / "label.codename"
# strings (permissions, model names): each names an app by its label.
MODEL_PAIR_RE = re.compile(r"\(\s*(['\"])(\w+)\1\s*,\s*(['\"])[A-Z]\w*\3\s*\)")
LABEL_STRING_RE = re.compile(r"(['\"])(\w+)\.(?:[A-Z]\w*|[a-z]+_\w+)\1")
RELATED_NAME_RE = re.compile(r"related_name\s*=\s*['\"](\w+)['\"]")
QUERY_METHODS = "all|filter|exclude|count|exists|order_by|values|values_list|annotate|aggregate|get|first|last|select_related|prefetch_related|create|update|delete"


@dataclass(frozen=True)
class Layers:
    rank: dict[str, int]  # layer module -> its layer's index, 0 at the top
    independent: dict[str, frozenset[str]]  # layer module -> siblings it may not reach
    ignored: frozenset[str]  # composition modules: not checked

    def owner(self, module: str) -> str | None:
        """The layer module that holds ``module`` (longest prefix), or None."""
        best = None
        for name in self.rank:
            if (module == name or module.startswith(name + ".")) and (
                best is None or len(name) > len(best)
            ):
                best = name
        return best

    def forbidden(self, source: str, target: str) -> bool:
        if source == target:
            return False
        if self.rank[target] < self.rank[source]:
            return True
        return target in self.independent.get(source, frozenset())


def read_layers() -> Layers:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["type"] == "layers")
    rank: dict[str, int] = {}
    independent: dict[str, frozenset[str]] = {}
    for index, layer in enumerate(contract["layers"]):
        if "|" in layer:
            names = [n.strip() for n in layer.split("|")]
            for name in names:
                independent[name] = frozenset(names) - {name}
        else:
            names = [n.strip() for n in layer.split(":")]
        for name in names:
            rank[name] = index
    ignored = frozenset(line.split("->")[0].strip() for line in contract.get("ignore_imports", []))
    return Layers(rank=rank, independent=independent, ignored=ignored)


def _app_layer(layers: Layers, package: str) -> str | None:
    """The layer module standing for an app package ('care2' -> one of care2's modules)."""
    if package in layers.rank:
        return package
    # A package split over layers ('care2': its modules at the bottom, care2.users above)
    # stands for its bottom layer.
    inside = [name for name in layers.rank if name.startswith(package + ".")]
    return max(inside, key=layers.rank.__getitem__, default=None)


def _package_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _catalogues(layers: Layers):
    """Template libraries, URL namespaces and app labels, each to the app that owns it."""
    libraries: dict[str, str] = {}
    namespaces: dict[str, str] = {}
    labels: dict[str, str] = {}
    packages = {layers.owner(n) and n for n in layers.rank}
    roots = sorted({n.split(".")[0] for n in packages if n})
    for root in roots:
        for path in (ROOT / root).rglob("*.py"):
            if ".venv" in path.parts or "migrations" in path.parts:
                continue
            module = _package_of(path)
            if path.parent.name == "templatetags" and path.name != "__init__.py":
                libraries[path.stem] = ".".join(module.split(".")[:-2])
            text = path.read_text()
            if path.name.endswith("urls.py"):
                match = re.search(r"^app_name\s*=\s*['\"](\w+)['\"]", text, re.M)
                if match:
                    namespaces[match.group(1)] = ".".join(module.split(".")[:-1])
            if path.name == "apps.py":
                package = ".".join(module.split(".")[:-1])
                match = re.search(r"^\s+label\s*=\s*['\"](\w+)['\"]", text, re.M)
                labels[match.group(1) if match else package.split(".")[-1]] = package
    return libraries, namespaces, labels


def template_owner(relative: Path) -> str | None:
    parts = relative.parts
    if len(parts) == 1:
        return None  # the site's frame (base.html, error pages): composition
    if parts[0] == "admin":
        if len(parts) == 2:
            return TEMPLATE_OWNERS.get("admin/" + parts[1])
        return TEMPLATE_OWNERS.get(parts[1], parts[1])
    return TEMPLATE_OWNERS.get(parts[0], parts[0])


def check() -> list[str]:
    layers = read_layers()
    libraries, namespaces, labels = _catalogues(layers)
    problems: list[str] = []

    def judge(where: str, source_package: str, target_package: str, what: str) -> None:
        source = layers.owner(source_package) or _app_layer(layers, source_package)
        target = _app_layer(layers, target_package)
        if source is None or target is None:
            return
        if source in layers.rank and target in layers.rank and layers.forbidden(source, target):
            problems.append(f"{where}: {source_package} may not reach {target_package} ({what})")

    templates = ROOT / "templates"
    for path in sorted(templates.rglob("*.html")) + sorted(templates.rglob("*.txt")):
        relative = path.relative_to(templates)
        owner = template_owner(relative)
        if owner is None:
            continue
        text = path.read_text()
        for number, line in enumerate(text.splitlines(), 1):
            where = f"templates/{relative}:{number}"
            for match in LOAD_RE.finditer(line):
                names = match.group(1).split()
                if "from" in names:
                    names = names[names.index("from") + 1 :]
                for name in names:
                    if name in libraries:
                        judge(where, owner, libraries[name], f"{{% load {name} %}}")
            for match in URL_RE.finditer(line):
                namespace = match.group(2)
                if namespace in namespaces:
                    judge(where, owner, namespaces[namespace], f"{{% url '{namespace}:…' %}}")
            for match in INCLUDE_RE.finditer(line):
                target = template_owner(Path(match.group(2)))
                if target is not None:
                    judge(where, owner, target, f"template {match.group(2)}")

    # A reverse relation an upper app's model adds to a lower one ("member.stories") is an
    # upward reference when a lower module queries through it.
    related: dict[str, str] = {}
    for package in labels.values():
        models = ROOT / package.replace(".", "/") / "models.py"
        if models.exists():
            for match in RELATED_NAME_RE.finditer(models.read_text()):
                related.setdefault(match.group(1), package)
    related_re = re.compile(
        r"\.(" + "|".join(map(re.escape, sorted(related))) + r")\.(?:" + QUERY_METHODS + r")\("
    )

    for root in sorted({n.split(".")[0] for n in layers.rank}):
        for path in sorted((ROOT / root).rglob("*.py")):
            module = _package_of(path)
            if any(module == i or module.startswith(i + ".") for i in layers.ignored):
                continue
            source = layers.owner(module)
            if source is None:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                where = f"{path.relative_to(ROOT)}:{number}"
                for regex, kind in (
                    (GET_MODEL_RE, "get_model"),
                    (STRING_MODEL_RE, "model"),
                    (MODEL_PAIR_RE, "model look-up"),
                    (LABEL_STRING_RE, "name"),
                ):
                    for match in regex.finditer(line):
                        label = match.group(2)
                        if label in labels:
                            judge(where, module, labels[label], f"{kind} '{label}.…'")
                for match in related_re.finditer(line):
                    target = related[match.group(1)]
                    judge(where, module, target, f"related manager '.{match.group(1)}'")
                for match in REVERSE_RE.finditer(line):
                    namespace = match.group(2)
                    if namespace in namespaces:
                        judge(where, module, namespaces[namespace], f"url '{namespace}:…'")
    return problems


def main() -> int:
    problems = check()
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} reference(s) against the layers (pyproject.toml).")
        return 1
    print("Templates and strings keep the layers.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
