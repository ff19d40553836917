# The two commands a new user needs: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

# First interpreter >= 3.12 that answers: on PATH, then pyenv's.
PYTHON ?= $(shell for p in python3.13 python3.12 \
	$$(pyenv root 2>/dev/null)/versions/3.13*/bin/python \
	$$(pyenv root 2>/dev/null)/versions/3.12*/bin/python python3; do \
	  "$$p" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1 && { echo "$$p"; break; }; \
	done)

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/care2
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help run test lint format venv services chromium axe migrate demo check-migrations check-layers bench bench-petitions worker

help:
	@echo "make run    - set up and serve the site with demo content at http://$(HOST):$(PORT)"
	@echo "make test   - the whole test suite on PostgreSQL + Redis + headless Chromium"
	@echo "make lint   - ruff check and format check"
	@echo "make bench  - benchmarks (see bench/README.md)"

$(STAMP): requirements.lock pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
	  echo "error: Python 3.12 or newer is needed. Install python3.13 or python3.12 (e.g. 'apt-get install python3.13' or 'pyenv install 3.13'), or run 'make PYTHON=/path/to/python3.12 ...'." >&2; \
	  exit 1; fi
	@test -x $(PY) || { echo "Creating $(VENV) with $(PYTHON)"; "$(PYTHON)" -m venv $(VENV); }
	$(PIP) install --quiet --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-*; touch $@

venv: $(STAMP)

migrate: venv
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

# The embedded default: SQLite under var/, Celery tasks run eagerly, e-mail to the console.
# Links in e-mails point at HOST:PORT (SITE_URL); error pages are the site's own, and
# DJANGO_DEBUG=1 brings Django's debug pages back for developers.
RUN_ENV = SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} \
	DJANGO_ALLOWED_HOSTS=$${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost,[::1],$(HOST)} \
	SERVE_MEDIA=$${SERVE_MEDIA:-1} LOG_FORMAT=$${LOG_FORMAT:-text}

run: venv
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py load_demo
	@echo ""
	@echo "  Care2 News is at http://$(HOST):$(PORT)/"
	@echo "  Demo member:  demo@care2.example / care2-demo-pass"
	@echo "  Moderator:    moderator@care2.example / care2-moderator-pass  (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "  E-mails the site sends are printed below."
	@echo ""
	$(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

services:
	@bash .ci/ensure-services

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

# axe-core for the accessibility browser tests (tests/e2e/test_accessibility.py).
node_modules/axe-core/axe.min.js: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "Installing Debian's npm for the accessibility tests"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm; }
	npm ci --no-audit --no-fund
	@touch $@

axe: node_modules/axe-core/axe.min.js

check-migrations: venv
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) manage.py makemigrations --check --dry-run

# After the whole suite, the fast tests once more with every test starting at a hard
# instant (tests/clock.py): 00:01 in America/New_York, the day after clocks went forward.
# `make test PYTEST_ARGS=...` runs only what it is given; CLOCK_INSTANT= skips the second run.
CLOCK_INSTANT ?= 2026-03-09T04:01:00Z
CLOCK_MARKERS := not e2e and not journey and not worker and not slow and not real_clock
TEST_ENV = DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) CELERY_TASK_ALWAYS_EAGER=1

# The layer picture (README, Architecture): imports by import-linter (pyproject.toml),
# templates and string references by .ci/check_layers.py.
check-layers: venv
	$(VENV)/bin/lint-imports --no-cache
	$(PY) .ci/check_layers.py

# The whole suite runs in TEST_WORKERS pytest-xdist processes (one per core, at most 4),
# each with a PostgreSQL test database, a Redis database (tests/xdist_worker.py), a live
# server and a browser of its own; TEST_WORKERS=1 runs it in one process.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ "$$n" -gt 4 ] && n=4; echo $$n)
XDIST = $(if $(filter-out 0 1,$(TEST_WORKERS)),-p tests.xdist_worker -n $(TEST_WORKERS) --dist loadgroup)

test: venv chromium services axe
	$(TEST_ENV) $(PY) -m pytest $(if $(PYTEST_ARGS),$(PYTEST_ARGS),$(XDIST))
	@if [ -z "$(PYTEST_ARGS)" ] && [ -n "$(CLOCK_INSTANT)" ]; then \
	  echo "The fast tests again, each starting at $(CLOCK_INSTANT)"; \
	  $(TEST_ENV) TEST_CLOCK=$(CLOCK_INSTANT) $(PY) -m pytest -q $(XDIST) -m "$(CLOCK_MARKERS)"; \
	fi

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: venv
	$(VENV)/bin/celery -A care2 worker -B --loglevel=INFO

bench: venv services
	$(PY) bench/run.py

bench-petitions: venv services
	$(PY) bench/petitions_surge.py
