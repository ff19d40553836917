"""The project's own files: docker-compose, settings from the environment, layering."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.subprocess_django import django_python

ROOT = Path(__file__).resolve().parent.parent


def test_docker_compose_parses_and_runs_only_real_commands():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "migrate", "web", "worker", "beat"} <= set(services)
    assert (ROOT / "Dockerfile").exists()
    for name in ("migrate", "web", "worker", "beat"):
        command = services[name]["command"]
        if command[0] == "python":
            assert (ROOT / command[1]).exists()
        elif command[0] == "gunicorn":
            module, attribute = command[1].split(":")
            assert (
                ROOT / (module.replace(".", "/") + ".py")
            ).exists() and attribute == "application"
        elif command[0] == "celery":
            assert command[1:3] == ["-A", "care2"] and (ROOT / "care2" / "celery.py").exists()
        else:
            raise AssertionError(f"{name} runs an unknown command {command}")
        assert "healthcheck" in services[name] or name == "migrate"
    for name in ("db", "redis"):
        assert "healthcheck" in services[name]
    # One worker consumes every queue; the one beat keeps its schedule and lock in Redis.
    assert "-Q" not in services["worker"]["command"]
    assert "--schedule" not in services["beat"]["command"]
    assert "redbeat" in " ".join(services["beat"]["healthcheck"]["test"])


# Images the compose files may pull, besides the site's own (built from the Dockerfile).
REAL_IMAGES = {"postgres", "redis", "edoburu/pgbouncer", "nginx"}


def _check_site_command(name: str, command: list[str]) -> None:
    if command[0] == "python":
        assert (ROOT / command[1]).exists(), name
    elif command[0] == "gunicorn":
        module, attribute = command[1].split(":")
        assert (ROOT / (module.replace(".", "/") + ".py")).exists(), name
        assert attribute == "application", name
    elif command[0] == "celery":
        assert command[1:3] == ["-A", "care2"] and (ROOT / "care2" / "celery.py").exists()
    else:
        raise AssertionError(f"{name} runs an unknown command {command}")


def test_docker_compose_scale_shows_two_web_nodes_a_replica_and_the_pooler():
    """docker-compose.scale.yml: real images, the site's own commands, mounted files that
    exist, and the settings wired to the services that exist."""
    from urllib.parse import urlsplit

    from care2.celery import app as celery_app

    compose = yaml.safe_load((ROOT / "docker-compose.scale.yml").read_text())
    services = compose["services"]
    site = {name for name, service in services.items() if "build" in service}
    assert {"migrate", "web-a", "web-b", "beat"} <= site
    for name, service in services.items():
        if name in site:
            assert service["image"] == "care2-news"
            _check_site_command(name, service["command"])
        else:
            repository = service["image"].rsplit(":", 1)[0]
            assert repository in REAL_IMAGES, f"{name}: {service['image']}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).is_file(), f"{name} mounts a missing {source}"
        if name not in {"migrate", "lb"}:
            assert "healthcheck" in service, name
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} waits for a missing {dependency}"

    # The web nodes reach the primary and the replica through a PgBouncer each.
    env = services["web-a"]["environment"]
    assert env == services["web-b"]["environment"]
    primary_pooler = urlsplit(env["DATABASE_URL"]).hostname
    replica_pooler = urlsplit(env["DATABASE_REPLICA_URLS"]).hostname
    assert services[primary_pooler]["image"].startswith("edoburu/pgbouncer")
    assert services[replica_pooler]["image"].startswith("edoburu/pgbouncer")
    assert urlsplit(services[primary_pooler]["environment"]["DATABASE_URL"]).hostname == "db"
    replica = urlsplit(services[replica_pooler]["environment"]["DATABASE_URL"]).hostname
    assert services[replica]["entrypoint"] == ["sh", "/deploy/replica-entrypoint.sh"]
    assert services[primary_pooler]["environment"]["POOL_MODE"] == "transaction"
    assert env["DB_DISABLE_SERVER_SIDE_CURSORS"] == "1"
    assert env["TRUSTED_PROXY_COUNT"] == "1"
    # Migrations on the primary itself, never through the pooler or on a replica.
    migrate_env = services["migrate"]["environment"]
    assert urlsplit(migrate_env["DATABASE_URL"]).hostname == "db"
    assert migrate_env["DATABASE_REPLICA_URLS"] == ""
    # The load balancer proxies to the two web nodes.
    nginx = (ROOT / "deploy" / "nginx" / "care2.conf").read_text()
    assert "server web-a:8000" in nginx and "server web-b:8000" in nginx
    assert "$proxy_add_x_forwarded_for" in nginx

    # A worker for each of the site's queues.
    queues = {queue.name for queue in celery_app.conf.task_queues}
    consumed = set()
    for name in site:
        command = services[name]["command"]
        if command[:4] == ["celery", "-A", "care2", "worker"]:
            consumed.add(command[command.index("-Q") + 1])
    assert consumed == queues


def test_env_example_names_every_setting_read_from_the_environment():
    import re

    source = (ROOT / "care2" / "settings.py").read_text()
    pattern = r"(?:os\.environ\.get|os\.environ\[|env_int|env_bool|env_list)\(?\s*[\"']([A-Z0-9_]+)"
    read = set(re.findall(pattern, source))
    lines = (ROOT / ".env.example").read_text().splitlines()
    named = {line.split("=")[0] for line in lines if "=" in line and not line.startswith("#")}
    assert len(read) > 50
    assert read <= named, sorted(read - named)


def test_readme_documents_every_setting_read_from_the_environment():
    import re

    source = (ROOT / "care2" / "settings.py").read_text()
    pattern = r"(?:os\.environ\.get|os\.environ\[|env_int|env_bool|env_list)\(?\s*[\"']([A-Z0-9_]+)"
    read = set(re.findall(pattern, source))
    readme = (ROOT / "README.md").read_text()
    assert len(read) > 50
    assert not {name for name in read if f"`{name}`" not in readme}


def test_settings_use_embedded_defaults_when_unset(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER"}
    }
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='care2.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.cache.backends.locmem.LocMemCache",
    ]


def _imports(app: str) -> set[str]:
    found = set()
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
    return found


def test_layers_never_import_upwards():
    assert not _imports("stories") & {"comments", "petitions"}
    assert not _imports("credits") & {"stories", "comments", "petitions"}
    assert not (_imports("care2") - {"care2"}) & {"stories", "comments", "petitions", "credits"}


def test_production_settings_pass_check_deploy():
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "x" * 20 + "production-secret-key-that-is-long-and-random-9f8e7d",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "1",
        "DJANGO_SECURE_COOKIES": "1",
        "DJANGO_HSTS_SECONDS": "31536000",
        "DJANGO_ALLOWED_HOSTS": "care2.example",
        "SMTP_HOST": "smtp.care2.example",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_media_go_to_s3_when_a_bucket_is_configured():
    out = django_python(
        "from django.core.files.storage import storages; s = storages['default'];"
        "print(type(s).__module__ + '.' + type(s).__name__, s.bucket_name)",
        S3_BUCKET="care2-media",
        S3_ENDPOINT_URL="http://127.0.0.1:9",
    )
    assert out.split() == ["storages.backends.s3.S3Storage", "care2-media"]


def test_makefile_names_what_to_install_without_python_312():
    result = subprocess.run(
        ["make", "--no-print-directory", "-B", "venv", "PYTHON="],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Python 3.12 or newer is needed" in result.stderr
    assert "python3.13" in result.stderr and "python3.12" in result.stderr


def _env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def test_docker_compose_settings_serve_a_working_site(tmp_path):
    """What `docker compose up` runs, without Docker: the image's collectstatic line as the
    Dockerfile writes it, then the site with .env.example's values (and compose's
    database and broker swapped for SQLite and eager tasks): pages with hashed static
    files, /healthz over plain HTTP for the health check, uploaded pictures served."""
    env = {
        **os.environ,
        **{k: v for k, v in _env_example().items() if v},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    collect = next(
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if "collectstatic" in line
    )
    assert collect.startswith("RUN ")
    subprocess.run(
        ["sh", "-c", collect.removeprefix("RUN ").replace("python ", f"{sys.executable} ", 1)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    (tmp_path / "media" / "avatars").mkdir(parents=True)
    (tmp_path / "media" / "avatars" / "a.jpg").write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    code = """
import django, os, re
os.environ["DJANGO_SETTINGS_MODULE"] = "care2.settings"
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
client = Client(HTTP_HOST="localhost")
front = client.get("/")
assert front.status_code == 200, front.status_code
css = re.search(r'href="(/static/css/site\\.[0-9a-f]{12}\\.css)"', front.content.decode())
assert css, "no hashed stylesheet on the front page"
health = client.get("/healthz")
assert health.status_code == 200, (health.status_code, health.get("Location"))
media = client.get("/media/avatars/a.jpg")
assert media.status_code == 200 and b"".join(media.streaming_content).endswith(b"jpeg")
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.strip().endswith("ok"), result.stdout[-2000:] + result.stderr[-3000:]


def test_celery_keeps_the_json_log_lines():
    """A real worker would otherwise replace the root logger's JSON handler with its own
    coloured text lines."""
    out = django_python(
        "import logging; from care2.celery import app;"
        "app.log.setup_logging_subsystem(loglevel='INFO');"
        "print(type(logging.getLogger().handlers[0].formatter).__name__)",
        DJANGO_DEBUG="0",
        LOG_FORMAT="json",
    )
    assert out.strip() == "JsonFormatter"
