# The two commands of the README: `make run` and `make test`. Everything else is a step they call.
# Services: DATABASE_URL / REDIS_URL when set, otherwise embedded PostgreSQL and Redis under .data/.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
LOCAL := $(PY) -m datacity.local
PYTEST_WORKERS ?= 2

# Production settings need these to import; `check --deploy` is run with throwaway values.
DEPLOY_CHECK_ENV := DJANGO_SETTINGS_MODULE=datacity.settings.production \
	SECRET_KEY=check-deploy-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ \
	ALLOWED_HOSTS=datacity.example.org DATABASE_URL=postgres://check@127.0.0.1:5432/check \
	REDIS_URL=redis://127.0.0.1:6379/0

.PHONY: help install lock run test lint pytest bench bench-packages system-packages backup restore messages clean

help:
	@echo "make run    start the platform with demo data (web, Celery worker and beat; Ctrl-C stops all)"
	@echo "make test   lint and run the whole test suite"
	@echo "make lint   ruff (with its security rules), mypy, makemigrations --check, check --deploy on production"
	@echo "            settings, pip-audit of the production lock file"
	@echo "make backup / make restore INPUT=folder   the database and the stored files (README, Backups)"
	@echo "make lock   rewrite requirements/*.lock from pyproject.toml (UPGRADE=1: newest allowed versions)"
	@echo "make bench  one table of every speed figure, fails when a target is missed: each public page's requests/s"
	@echo "            on gunicorn as a ratio of a minimal view's (demo data, then 100x: goal >= 0.5) and its queries"
	@echo "            (<= 10); the outbox (notices of one event to 20,000 people: written in 5 s, dispatched at 500/s"
	@echo "            or more); the applications' CSV export (10,000 and 100,000 rows: 20,000 rows/s or more, memory"
	@echo "            not growing); a 1 GiB dataset upload to gunicorn (peak under 100 MiB above idle); the deadline"
	@echo "            surge (300 startups: no error, no loss, late ones refused); Lighthouse (mobile) on every public"
	@echo "            page in fr/ar/en (performance >= 95, accessibility and best practices 100, no other host)."
	@echo "            Needs wrk, chromium, nodejs and npm (installed when run as root)."

# Every install takes the exact versions of the lock file, checked against their hashes; the project itself is then
# installed without dependencies. `make lock` rewrites the locks from pyproject.toml (README, "Dependencies").
DEV_LOCK := requirements/dev.lock
PRODUCTION_LOCK := requirements/production.lock
LOCK_OPTIONS := --universal --python-version 3.11 --generate-hashes --quiet

$(STAMP): pyproject.toml $(DEV_LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(DEV_LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# The development lock first (every extra), then the production one constrained by it: both pin the same versions.
# Known pins are kept; `make lock UPGRADE=1` moves every package to its newest allowed release.
lock: install
	$(PY) -m uv pip compile pyproject.toml --extra dev $(LOCK_OPTIONS) $(if $(UPGRADE),--upgrade) -o $(DEV_LOCK)
	$(PY) -m uv pip compile pyproject.toml $(LOCK_OPTIONS) -c $(DEV_LOCK) -o $(PRODUCTION_LOCK)

run: install
	$(LOCAL) run

test: install system-packages
	$(LOCAL) exec -- $(MAKE) --no-print-directory lint pytest

pytest: install
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run
	$(DEPLOY_CHECK_ENV) $(PY) manage.py check --deploy --fail-level WARNING
	$(PY) tools/audit_dependencies.py $(PRODUCTION_LOCK)

# Debian packages the tests need: chromium for the browser tests (Playwright drives it; never `playwright install`,
# it downloads) and gettext, whose xgettext the catalogue test runs.
system-packages:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v xgettext >/dev/null 2>&1 || missing="$$missing gettext"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "Install Debian's packages:$$missing (sudo apt-get install$$missing)."; exit 1; fi; fi

# Debian packages only the bench needs: wrk, the load generator bench_pages drives against gunicorn; Node.js and npm,
# which run Lighthouse (bench_lighthouse) at the version tools/lighthouse/package-lock.json pins.
bench-packages:
	@missing=""; command -v wrk >/dev/null 2>&1 || missing="$$missing wrk"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "Install Debian's packages:$$missing (sudo apt-get install$$missing)."; exit 1; fi; fi

LIGHTHOUSE_STAMP := tools/lighthouse/node_modules/.installed-stamp
$(LIGHTHOUSE_STAMP): tools/lighthouse/package.json tools/lighthouse/package-lock.json | bench-packages
	npm ci --prefix tools/lighthouse --no-audit --no-fund --loglevel=error
	touch $@

# Every command appends its figures to BENCH_REPORT (JSON lines, datacity/demo/benchreport.py); bench_report prints
# them as one table at the end and fails when a target is missed. The pages are measured twice: on the demo data
# (earlier bench copies removed first), then with 100 copies of it (generate_bench_data, left in place afterwards).
# Lighthouse runs on the demo data. Then the outbox's write and dispatch rates, the applications' CSV export, a
# 1 GiB dataset upload, and the deadline surge (BENCH_SURGE_STARTUPS startups saving and submitting with files in a
# call's last minute).
BENCH_REPORT ?= .data/bench-report.jsonl
BENCH_PAGE_SECONDS ?= 5
BENCH_SURGE_STARTUPS ?= 300
bench: install system-packages bench-packages $(LIGHTHOUSE_STAMP)
	@mkdir -p $(dir $(BENCH_REPORT)) && rm -f $(BENCH_REPORT)
	$(LOCAL) exec -- sh -c 'export DEBUG=false BENCH_REPORT=$(abspath $(BENCH_REPORT)); failed=0; \
		$(PY) manage.py migrate --noinput -v 0 && $(PY) manage.py load_demo >/dev/null \
		&& $(PY) manage.py generate_bench_data --remove >/dev/null || exit 1; \
		$(PY) manage.py bench_pages --data "demo data" --seconds $(BENCH_PAGE_SECONDS) || failed=1; \
		$(PY) manage.py bench_lighthouse || failed=1; \
		{ $(PY) manage.py generate_bench_data --times 100 && $(PY) manage.py bench_pages --data "100x data" --goal \
			--seconds $(BENCH_PAGE_SECONDS); } \
			|| failed=1; \
		$(PY) manage.py bench_notifications || failed=1; \
		$(PY) manage.py bench_application_export || failed=1; \
		$(PY) manage.py bench_dataset_upload || failed=1; \
		$(PY) manage.py bench_surge --startups $(BENCH_SURGE_STARTUPS) || failed=1; \
		$(PY) manage.py bench_report $(abspath $(BENCH_REPORT)) || failed=1; exit $$failed'

# A backup of the database and the stored files into a new folder (README, "Backups"); the restore refuses a
# database that is not empty unless FORCE=1. With no DATABASE_URL these use the embedded PostgreSQL of `make run`.
backup: install
	$(LOCAL) exec -- $(PY) manage.py backup --output $(or $(OUTPUT),.data/backups/$$(date -u +%Y%m%dT%H%M%SZ))

restore: install
	@test -n "$(INPUT)" || { echo "usage: make restore INPUT=path/to/backup-folder [FORCE=1]"; exit 1; }
	$(LOCAL) exec -- $(PY) manage.py restore --input $(INPUT) $(if $(FORCE),--force)

messages: install
	cd $(CURDIR) && $(PY) manage.py makemessages --locale fr --locale ar --ignore '.venv/*' --ignore '.data/*' --ignore 'tests/*' --ignore 'templates/account/*' --no-obsolete
	$(PY) manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) staticfiles
