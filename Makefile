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

.PHONY: help install run test lint pytest bench system-packages messages clean

help:
	@echo "make run    start the platform with demo data (web, Celery worker and beat; Ctrl-C stops all)"
	@echo "make test   lint and run the whole test suite"
	@echo "make lint   ruff, mypy, makemigrations --check, check --deploy on production settings"
	@echo "make bench  time the public pages on the demo edition (budgets: p95 and query count) and the outbox"
	@echo "            (notices of one event to 20,000 people: written in 5 s, dispatched at 500/s or more) and the"
	@echo "            applications' CSV export (10,000 and 100,000 rows: 20,000 rows/s or more, memory not growing), and"
	@echo "            a 1 GiB dataset file uploaded to the real web process (peak under 100 MiB above idle)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

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

# Debian packages the tests need: chromium for the browser tests (Playwright drives it; never `playwright install`,
# it downloads) and gettext, whose xgettext the catalogue test runs.
system-packages:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v xgettext >/dev/null 2>&1 || missing="$$missing gettext"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "Install Debian's packages:$$missing (sudo apt-get install$$missing)."; exit 1; fi; fi

# Server-side time and query count of the public pages on the demo edition, then the outbox's write and dispatch
# rates (bench_notifications starts its own two-process Celery worker), then the rate and memory of the applications'
# CSV export, then the web process's memory while a 1 GiB dataset file is uploaded; fails when any misses a target.
bench: install
	$(LOCAL) exec -- sh -c 'DEBUG=false $(PY) manage.py migrate --noinput -v 0 && $(PY) manage.py load_demo >/dev/null \
		&& { DEBUG=false $(PY) manage.py bench_pages; pages=$$?; DEBUG=false $(PY) manage.py bench_notifications; \
		notices=$$?; DEBUG=false $(PY) manage.py bench_application_export; csv=$$?; \
		DEBUG=false $(PY) manage.py bench_dataset_upload; upload=$$?; \
		[ $$pages -eq 0 ] && [ $$notices -eq 0 ] && [ $$csv -eq 0 ] && [ $$upload -eq 0 ]; }'

messages: install
	cd $(CURDIR) && $(PY) manage.py makemessages --locale fr --locale ar --ignore '.venv/*' --ignore '.data/*' --ignore 'tests/*' --ignore 'templates/account/*' --no-obsolete
	$(PY) manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) staticfiles
