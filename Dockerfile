# syntax=docker/dockerfile:1
# Production image of DataCity. One image runs every app process of docker-compose.yml: the web server (the default
# command), the Celery worker, Celery beat and the owner's one-shot services (`migrate`, `backup`).
#
#   docker build -t datacity .
#
# The code runs from /app (templates/, static/ and manage.py live beside the packages, and settings compute BASE_DIR
# from their own path, PYTHONPATH makes `celery -A datacity` find it): the project itself is never pip-installed.
# Its runtime dependencies come from requirements/production.lock only, every file checked against the lock's
# SHA-256 hashes, so a build installs exactly the versions that were tested and audited (`make lock` writes it).

# Debian bookworm, named rather than left to the tag: its own archive has PostgreSQL 15's client (below), the major
# version of docker-compose's `db`; the next Debian release ships another.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- Dependencies ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /build
# Only the lock: this layer (the slow one) is rebuilt when dependencies change, not on every code change.
# --require-hashes refuses any file whose hash is not in the lock, --no-deps anything the lock does not name, and
# --only-binary wheels only, so no package's build code runs here (every locked package has a wheel for CPython 3.11
# on linux amd64; a platform without one fails at this step, never builds from source); `pip check` then proves the
# set is complete.
COPY requirements/production.lock ./
RUN pip install --require-hashes --no-deps --only-binary=:all: -r production.lock \
    && pip check

# --- Runtime --------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=datacity.settings.production \
    MEDIA_ROOT=/var/lib/datacity/media

# PostgreSQL 15's client programs, the major version of docker-compose's `db` (Debian bookworm's own): pg_dump and
# pg_restore for `manage.py backup`/`restore` (they must match the server's major version), psql for
# `manage.py dbshell`, which creates the application's database role before `migrate`.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install --yes --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

# An unprivileged user; the code and the collected static files stay owned by root, so the processes cannot change
# them. The writable places are MEDIA_ROOT, used when no S3 bucket is configured, and /backups, where the `backup`
# service's volume is mounted (a new named volume takes this folder's owner).
RUN groupadd --system --gid 10001 datacity \
    && useradd --system --uid 10001 --gid datacity --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin datacity \
    && install --directory --owner datacity --group datacity --mode 0750 /var/lib/datacity /var/lib/datacity/media \
    && install --directory --owner datacity --group datacity --mode 0700 /backups

COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
COPY . .

# Static files are collected (hashed and compressed for WhiteNoise) at build time. Production settings refuse to
# load without these variables, so throwaway values are given to this one command only: nothing here reaches the
# image's environment, no database or Redis is contacted, and the real values come from docker-compose.yml.
RUN SECRET_KEY=build-only-collectstatic-placeholder-never-a-real-secret-0123456789 \
    ALLOWED_HOSTS=build.invalid \
    DATABASE_URL=postgres://build@build.invalid:5432/build \
    REDIS_URL=redis://build.invalid:6379/0 \
    python manage.py collectstatic --noinput \
    && python -m compileall -q /app

USER datacity:datacity
EXPOSE 8000
# The web service's command in docker-compose.yml with its defaults (README, "gunicorn" explains each flag): compose
# passes its own, this one serves `docker run datacity` the same way.
CMD ["gunicorn", "datacity.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--worker-class", "sync", "--worker-tmp-dir", "/dev/shm", "--timeout", "120", "--graceful-timeout", "30", \
     "--keep-alive", "5", "--max-requests", "1000", "--max-requests-jitter", "100", \
     "--forwarded-allow-ips", "127.0.0.1", "--access-logfile", "-"]
