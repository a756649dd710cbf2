"""Helpers for tests: counting the queries a page makes, sending and reading mails, translated fields."""

import re
import time
from typing import cast

from django.core import mail
from django.core.mail import EmailMessage
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from modeltranslation.utils import build_localized_fieldname

from datacity.notifications.models import MailState, Notification
from datacity.notifications.services import dispatch_pending


def get_counting_queries(client, url: str):
    """GET `url`, return (response, number of queries), the response fully rendered."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        response.content  # noqa: B018 - render lazily-evaluated template parts inside the capture
    return response, len(queries)


def assert_constant_queries(client, url: str, grow, *, at_most: int):
    """The page makes the same number of queries with 5 and with 50 rows, and no more than `at_most`.

    `grow(n)` must bring the page's rows to n.
    """
    grow(5)
    small, small_count = get_counting_queries(client, url)
    grow(50)
    large, large_count = get_counting_queries(client, url)
    assert small.status_code == large.status_code == 200
    assert small_count == large_count, f"{url}: {small_count} queries with 5 rows, {large_count} with 50"
    assert large_count <= at_most, f"{url}: {large_count} queries, budget {at_most}"
    return large


def send_outbox(*, timeout: float = 10) -> list[EmailMessage]:
    """Send what the outbox holds due (as the dispatch task would) and return `mail.outbox`.

    Every mail leaves through the outbox, so a test reads `mail.outbox` after this. In a transactional test a
    Celery worker thread may be sending some of the rows at the same moment: wait until none is due any more.
    """
    deadline = time.monotonic() + timeout
    while True:
        dispatch_pending(seconds=timeout)
        due = Notification.objects.filter(mail_state=MailState.PENDING, next_attempt_at__lte=timezone.now())
        if not due.exists() or time.monotonic() > deadline:
            return mail.outbox
        time.sleep(0.05)


def group_in_mail(pattern: str | re.Pattern[str], message: EmailMessage, group: int = 1) -> str:
    """`group` of the first match of `pattern` in the body of `message`; the test fails if the mail has none."""
    body = str(message.body)
    match = re.search(pattern, body)
    assert match is not None, body
    return match.group(group)


def translated(instance: Model, field: str, language: str) -> str:
    """The `language` version of a field django-modeltranslation translates (`pitch_fr`), which it adds at run time
    where the type checker cannot see it."""
    return cast(str, getattr(instance, build_localized_fieldname(field, language)))
