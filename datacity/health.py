"""/health/: whether the database, Redis and the program clock work, for a load balancer or a monitor.

Plain JSON, 200 when all is well and 503 otherwise, never a 500: each check catches its own failure. It reads no
session and sets no cookie, is not cached, and leaves nothing in the audit log (it is asked every few seconds).
"""

import logging
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from datacity.notifications.models import CLOCK_HEARTBEAT, Heartbeat

logger = logging.getLogger(__name__)

# A monitor asks again soon: one that hangs on a dead Redis is worse than an answer saying so.
REDIS_TIMEOUT_SECONDS = 2


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.warning("Health: the database does not answer.", exc_info=True)
        return "error"
    return "ok"


def check_redis() -> str:
    """The broker (Celery's Redis, where the outbox's dispatches and the clock's ticks go)."""
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception:
        logger.warning("Health: Redis does not answer.", exc_info=True)
        return "error"
    return "ok"


def check_clock(*, database_ok: bool) -> dict[str, Any]:
    """When the tick last ran to its end; late when that is more than CLOCK_LATE_SECONDS ago, or never."""
    last_run_at = None
    if database_ok:
        try:
            last_run_at = Heartbeat.objects.filter(name=CLOCK_HEARTBEAT).values_list("last_run_at", flat=True).first()
        except Exception:
            logger.warning("Health: the clock's heartbeat cannot be read.", exc_info=True)
    if last_run_at is None:
        return {"last_tick": None, "seconds_ago": None, "late": True}
    seconds_ago = max(0, int((timezone.now() - last_run_at).total_seconds()))
    return {
        "last_tick": last_run_at.isoformat(),
        "seconds_ago": seconds_ago,
        "late": seconds_ago > settings.CLOCK_LATE_SECONDS,
    }


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    database = check_database()
    answer: dict[str, Any] = {
        "database": database,
        "redis": check_redis(),
        "clock": check_clock(database_ok=database == "ok"),
    }
    healthy = answer["database"] == answer["redis"] == "ok" and not answer["clock"]["late"]
    answer["status"] = "ok" if healthy else "error"
    return JsonResponse(answer, status=200 if healthy else 503)
