"""The layer picture (README's Architecture, pyproject's [tool.importlinter]) holds: Python
imports (import-linter) and the references import-linter cannot see (templates, model and
URL names in strings: .ci/check_layers.py). CI runs both too (make check-layers)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _check_layers():
    spec = importlib.util.spec_from_file_location("check_layers", ROOT / ".ci" / "check_layers.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_imports_keep_the_layers():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_templates_and_strings_keep_the_layers():
    assert _check_layers().check() == []


def test_the_template_check_sees_an_upward_reference(tmp_path, monkeypatch):
    """A lower app's template loading an upper app's tags, linking to its URLs, or a lower
    module naming an upper model is reported."""
    check_layers = _check_layers()
    root = tmp_path / "repo"
    (root / "templates" / "users").mkdir(parents=True)
    (root / "templates" / "users" / "page.html").write_text(
        "{% load petitions_tags %}\n<a href=\"{% url 'stories:front' %}\">x</a>\n"
    )
    for package in ("care2", "care2/users", "stories", "petitions", "petitions/templatetags"):
        (root / package).mkdir(parents=True, exist_ok=True)
    (root / "care2" / "apps.py").write_text('name = "care2"\n')
    (root / "care2" / "users" / "apps.py").write_text('    label = "users"\n')
    (root / "care2" / "users" / "views.py").write_text('apps.get_model("stories", "Vet")\n')
    (root / "stories" / "apps.py").write_text("")
    (root / "stories" / "urls.py").write_text('app_name = "stories"\n')
    (root / "petitions" / "apps.py").write_text("")
    (root / "petitions" / "templatetags" / "petitions_tags.py").write_text("")
    (root / "pyproject.toml").write_text(
        '[tool.importlinter]\nroot_packages = ["care2"]\n'
        '[[tool.importlinter.contracts]]\nname = "l"\ntype = "layers"\n'
        'layers = ["petitions", "stories", "care2.users", "care2.apps"]\n'
    )
    monkeypatch.setattr(check_layers, "ROOT", root)
    problems = check_layers.check()
    assert problems == [
        "templates/users/page.html:1: care2.users may not reach petitions ({% load petitions_tags %})",
        "templates/users/page.html:2: care2.users may not reach stories ({% url 'stories:…' %})",
        "care2/users/views.py:1: care2.users.views may not reach stories (model look-up 'stories.…')",
    ]


def test_every_care2_module_is_in_a_layer():
    """care2's modules are listed one by one in the contract (care2.users sits above them):
    a new one must be listed too, or its imports would go unchecked."""
    layers = _check_layers().read_layers()
    composition = {"settings", "urls", "celery", "wsgi", "users", "__init__"}
    modules = {
        path.stem if path.is_file() else path.name
        for path in (ROOT / "care2").iterdir()
        if (path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists()))
    } - composition
    assert {f"care2.{name}" for name in modules} <= set(layers.rank)
