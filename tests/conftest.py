"""Shared fixtures: a real Celery worker on this xdist worker's own queue, Debian's chromium for Playwright."""

import os
import shutil

import pytest
from django.conf import settings

# Playwright's sync API keeps an event loop running in the main thread for the whole session once a browser test
# has run; Django's ORM refuses to run beside it (in tests and in the database flush after them) without this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session", autouse=True)
def _no_connection_left_on_the_test_database(django_db_setup, django_db_blocker):
    """Dropping the test database at the end fails if a session is still connected to it.

    A thread that ends with its connection open (a request thread of a test server, the worker thread stopped
    between two tasks) leaves it open until the garbage collector frees Django's connection objects, which hold
    reference cycles. Torn down before `django_db_setup` (it depends on it), this collects them first; a session
    still there after that is ended and named in a warning, so a leak is seen instead of failing the run.
    """
    import gc
    import warnings

    from django.db import connection

    yield
    if not connection.settings_dict["NAME"].startswith("test_"):
        return  # the database setup did not run (no test asked for it): never end sessions on a real database
    gc.collect()
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, application_name, state, left(query, 200) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        leftovers = cursor.fetchall()
        for pid, *_ in leftovers:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    connection.close()
    if leftovers:
        warnings.warn(f"sessions left on the test database, ended: {leftovers}", stacklevel=1)


@pytest.fixture(scope="session")
def celery_app():
    from datacity.celery import app

    return app


@pytest.fixture(scope="session")
def celery_worker(celery_app, django_db_setup, django_db_blocker):
    """A real worker thread consuming this xdist worker's queue (see datacity/settings/test.py).

    Tests using it need `django_db(transaction=True)`: the worker has its own database connection and must see
    the test's committed rows.
    """
    from celery.contrib.testing.worker import start_worker

    celery_app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with celery_app.connection_for_write() as connection:
        # Leftovers of an interrupted run would be consumed by this run's worker.
        celery_app.amqp.queues[settings.CELERY_TASK_DEFAULT_QUEUE].bind(connection.default_channel).purge()
    with (
        django_db_blocker.unblock(),
        start_worker(
            celery_app,
            pool="solo",
            concurrency=1,
            queues=[settings.CELERY_TASK_DEFAULT_QUEUE],
            # The ping check reads a task result, and the platform has no result backend by design (tasks record
            # their outcome in the database); start_worker still waits until the consumer is ready.
            perform_ping_check=False,
            shutdown_timeout=30,
        ) as worker,
    ):
        yield worker


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium, never a downloaded browser; no background traffic towards the internet."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "Debian's chromium is not installed: `make system-packages` (or `apt-get install chromium`) installs it."
        )
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters live in the cache (this xdist worker's own Redis database): each test starts clean."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def page_logged_in_as(live_server, browser):
    """A browser page whose session belongs to `user` (a session made by the test client, its cookie handed over)."""
    from django.test import Client

    def open_page(user):
        client = Client()
        client.force_login(user)
        context = browser.new_context()
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        return context.new_page()

    return open_page


@pytest.fixture(autouse=True)
def _default_language():
    """A request in /ar/ or /en/ leaves its language active in the thread: each test starts in the default one."""
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)
