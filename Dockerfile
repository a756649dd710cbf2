# syntax=docker/dockerfile:1
# Production image of DataCity. One image runs every app process of docker-compose.yml: the web server (the default
# command), the Celery worker, Celery beat and the one-shot `migrate`.
#
#   docker build -t datacity .
#
# The code runs from /app (templates/, static/ and manage.py live beside the packages, and settings compute BASE_DIR
# from their own path), so `pip install .` is used for what it is good at here: resolving and installing the runtime
# dependencies declared in pyproject.toml (no dev or local extras) into /opt/venv.

ARG PYTHON_IMAGE=python:3.11-slim

# --- Dependencies ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /build
# Only the project metadata: this layer (the slow one) is rebuilt when dependencies change, not on every code change.
# With no package directories present the wheel of `datacity` itself is empty; it is removed right after, so the one
# copy of the code is /app.
COPY pyproject.toml README.md ./
RUN pip install . \
    && pip uninstall --yes datacity

# --- Runtime --------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=datacity.settings.production \
    MEDIA_ROOT=/var/lib/datacity/media

# An unprivileged user; the code and the collected static files stay owned by root, so the processes cannot change
# them. The only writable place is MEDIA_ROOT, used when no S3 bucket is configured.
RUN groupadd --system --gid 10001 datacity \
    && useradd --system --uid 10001 --gid datacity --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin datacity \
    && install --directory --owner datacity --group datacity --mode 0750 /var/lib/datacity /var/lib/datacity/media

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
# docker-compose.yml gives each service its own command; this default serves the web application.
CMD ["gunicorn", "datacity.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--worker-tmp-dir", "/dev/shm", "--access-logfile", "-"]
