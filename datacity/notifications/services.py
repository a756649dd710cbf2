"""Writing notices into the outbox and sending them: every mail of the platform leaves through here.

`notify()` and `notify_mail()` are called inside the transaction of the event that causes the notice, so the notice
exists exactly when the event does. After commit a dispatch task is enqueued; if that message is lost (Redis
restarted, worker killed), the minute sweep finds the rows still pending and enqueues another.
"""

import json
import logging
import random
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse, translate_url
from django.utils import timezone, translation

from datacity.audit.services import record

from . import kinds
from .kinds import Delivery, Kind
from .models import Digest, MailState, Notification, Preference

logger = logging.getLogger(__name__)


def _object_fields(obj: models.Model | None) -> dict[str, Any]:
    if obj is None:
        return {"content_type": None, "object_id": None}
    return {"content_type": ContentType.objects.get_for_model(obj), "object_id": obj.pk}


def notify(
    *,
    kind: Kind,
    recipients: Iterable[Any] | models.QuerySet,
    obj: models.Model | None = None,
    key: str = "",
    url: str = "",
    context: Mapping[str, Any] | None = None,
) -> int:
    """One notice of `kind` about `obj` to each recipient (users, or a queryset of them), in the caller's transaction.

    A recipient who already has this notice gets no second one (the database's uniqueness, not a check that could
    race). Each person's preference for the kind decides the mail: now, in the daily digest, or none. Returns the
    number of notices written.
    """
    if not isinstance(recipients, models.QuerySet):
        from django.contrib.auth import get_user_model

        recipients = get_user_model()._default_manager.filter(pk__in=[user.pk for user in recipients])
    written = _insert_from(recipients, kind=kind, key=key, url=url, context=dict(context or {}), **_object_fields(obj))
    if written:
        transaction.on_commit(enqueue_dispatch)
    return written


def _insert_from(recipients: models.QuerySet, *, kind: Kind, **values: Any) -> int:
    """INSERT ... SELECT: the notices of one event written by the database from the recipients' query, each person's
    preference joined in, so that a call's close for 20,000 people takes one statement rather than 20,000 model
    instances and their parameters (about ten times faster, and in the same transaction as the event).
    """
    now = timezone.now()
    people_sql, people_params = recipients.order_by().values("pk", "email", "language").query.sql_with_params()
    constants: dict[str, Any] = {
        "kind": kind.name,
        "key": values["key"],
        "url": values["url"],
        "context": json.dumps(values["context"], cls=DjangoJSONEncoder),
        "content_type_id": values["content_type"].pk if values["content_type"] else None,
        "object_id": values["object_id"],
        "subject": "",
        "body_text": "",
        "body_html": "",
        "created_at": now,
        "next_attempt_at": now,
        "attempts": 0,
        "last_error": "",
    }
    table = Notification._meta.db_table
    columns = ["recipient_id", "email", "language", "mail_state", *constants]
    mail_state = "%s"
    params: list[Any] = [MailState.PENDING]
    join = ""
    if kind.optional:
        # Each person's choice for the kind, else the kind's default, decides the mail.
        mail_state = "CASE COALESCE(p.delivery, %s) WHEN %s THEN %s WHEN %s THEN %s ELSE %s END"
        params = [
            kind.default,
            Delivery.IMMEDIATELY,
            MailState.PENDING,
            Delivery.DIGEST,
            MailState.DIGEST,
            MailState.NONE,
        ]
        join = f"LEFT JOIN {Preference._meta.db_table} p ON p.user_id = people.id AND p.kind = %s"
    select = ", ".join(["people.id", "people.email", "COALESCE(NULLIF(people.language, ''), %s)", mail_state])
    select += ", " + ", ".join("%s::jsonb" if name == "context" else "%s" for name in constants)
    # Names come from the model and the recipients' compiled query; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {select} FROM ({people_sql}) AS people(id, email, language) {join} "
        "ON CONFLICT DO NOTHING"
    )
    all_params = [settings.LANGUAGE_CODE, *params, *constants.values(), *people_params]
    if join:
        all_params.append(kind.name)
    with connection.cursor() as cursor:
        cursor.execute(sql, all_params)
        return cursor.rowcount


def notify_mail(
    *,
    kind: Kind,
    message: EmailMessage,
    recipient: Any = None,
    obj: models.Model | None = None,
    key: str | None = None,
) -> Notification | None:
    """A mail already written (in the language of the moment), to leave through the outbox like every other.

    allauth's mails and invitations are written where their one-time link exists; they are stored as they are and
    sent by the dispatcher, so a mail relay that is down never fails the web request. `key` defaults to a new value:
    every such mail is its own event (a second password reset is a second mail).
    """
    html = ""
    if isinstance(message, EmailMultiAlternatives):
        html = next((str(content) for content, mimetype in message.alternatives if mimetype == "text/html"), "")
    row = Notification(
        recipient=recipient,
        email=message.to[0],
        language=translation.get_language() or settings.LANGUAGE_CODE,
        kind=kind.name,
        key=uuid.uuid4().hex if key is None else key,
        subject=" ".join(str(message.subject).split())[:300],
        body_text=str(message.body),
        body_html=html,
        mail_state=MailState.PENDING,
        **_object_fields(obj),
    )
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: a repeated event leaves the caller's transaction usable
                row.save(force_insert=True)
        except IntegrityError:
            return None
        transaction.on_commit(enqueue_dispatch)
    return row


def enqueue_dispatch() -> None:
    """Ask a worker to send what is pending; a broker that is down is only logged (the minute sweep catches up)."""
    from .tasks import dispatch

    try:
        dispatch.delay()
    except Exception:
        logger.warning("Could not enqueue the notification dispatch; the sweep will.", exc_info=True)


# --- Sending --------------------------------------------------------------------------------------------------


def absolute(url: str) -> str:
    return settings.SITE_URL.rstrip("/") + url if url.startswith("/") else url


def in_language(path: str, language: str) -> str:
    """A page's path in `language` (/ar/..., /en/..., the default language without prefix), whatever language it was
    written in; a path Django cannot resolve is returned as it is."""
    if not path.startswith("/"):
        return path
    for code, _name in settings.LANGUAGES:
        if path.startswith(f"/{code}/"):
            path = path.removeprefix(f"/{code}")
            break
    with translation.override(settings.LANGUAGE_CODE):
        return translate_url(path, language)


def _template_context(notification: Notification) -> dict[str, Any]:
    """What a kind's templates see: the notice's own context, its object, and absolute links to the pages in the
    recipient's language."""
    language = notification.language
    return {
        **notification.context,
        "notification": notification,
        "object": notification.target,
        "link": absolute(in_language(notification.url, language)) if notification.url else "",
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "centre_link": absolute(in_language(reverse("notifications:centre"), language)),
        "preferences_link": absolute(in_language(reverse("notifications:preferences"), language)),
    }


def _subject_from_template(kind: Kind, context: Mapping[str, Any]) -> str:
    return " ".join(render_to_string(f"{kind.template}_subject.txt", dict(context)).split())


def render_subject(notification: Notification, *, language: str | None = None) -> str:
    """A notice's subject on one line, without its mail: the stored one of a mail written in advance, else its kind's
    subject template in `language` (the recipient's by default; the notification centre passes the page's)."""
    if notification.subject:
        return notification.subject
    with translation.override(language or notification.language):
        return _subject_from_template(kinds.get(notification.kind), _template_context(notification))


Content = tuple[str, str, str]  # subject, plain text, HTML


def compose(notification: Notification, shared: dict[tuple, Content] | None = None) -> Content:
    """The subject, text and HTML of a notice's mail, in the recipient's language, with absolute links.

    The notices of one event (a phase closing for 20,000 people) read the same for everyone who shares a language,
    unless their kind is `personal`: `shared` keeps what was rendered once for the others of a batch.
    """
    if notification.subject:
        return notification.subject, notification.body_text, notification.body_html
    kind = kinds.get(notification.kind)
    key: tuple | None = None
    if shared is not None and not kind.personal:
        key = (kind.name, notification.content_type_id, notification.object_id, notification.key, notification.language)
        key += (notification.url,)
        if key in shared:
            return shared[key]
    context = _template_context(notification)
    with translation.override(notification.language):
        subject = _subject_from_template(kind, context)
        text = render_to_string(f"{kind.template}_body.txt", context)
        html = render_to_string("notifications/mail.html", {**context, "subject": subject, "text": text})
    if key is not None and shared is not None:
        shared[key] = (subject, text, html)
    return subject, text, html


def render(notification: Notification, shared: dict[tuple, Content] | None = None) -> EmailMultiAlternatives:
    """The mail of a notice (see `compose`), with a Message-ID of its own so that a relay can spot a repeat."""
    subject, text, html = compose(notification, shared)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[notification.email],
        headers={"Message-ID": f"<notification-{notification.pk}@{settings.SITE_URL.split('://')[-1].split('/')[0]}>"},
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: about 30 s, 1, 2, 4... minutes, at most an hour, each drawn at random
    between half and all of it so that many failed mails do not all come back at the same second."""
    ceiling = min(
        settings.NOTIFICATION_RETRY_MAX_SECONDS, settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** (attempts - 1)
    )
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 - jitter, not a secret


def claim_batch(*, now: datetime, size: int) -> tuple[uuid.UUID, list[int]]:
    """Take up to `size` due rows for this dispatcher: rows another dispatcher holds are skipped, not waited for.

    The claim is a lease (NOTIFICATION_CLAIM_SECONDS): if this worker dies, the rows become due again when it ends.
    """
    claim = uuid.uuid4()
    with transaction.atomic():
        ids = list(
            Notification.objects.due(now)
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:size]
        )
        if ids:
            lease = now + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)
            Notification.objects.filter(pk__in=ids).update(claim=claim, claimed_until=lease)
    return claim, ids


def _failed(notification: Notification, claim: uuid.UUID, error: BaseException) -> None:
    attempts = notification.attempts + 1
    message = f"{type(error).__name__}: {error}"[:2000]
    if attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        Notification.objects.filter(pk=notification.pk, claim=claim).update(
            mail_state=MailState.FAILED, attempts=attempts, last_error=message, claim=None, claimed_until=None
        )
        logger.error("Notification %s to %s failed for good: %s", notification.pk, notification.email, message)
        record(action="notification.failed", obj=notification, kind=notification.kind, error=message)
        return
    Notification.objects.filter(pk=notification.pk, claim=claim).update(
        attempts=attempts,
        last_error=message,
        next_attempt_at=timezone.now() + retry_delay(attempts),
        claim=None,
        claimed_until=None,
    )
    logger.warning(
        "Notification %s to %s failed (attempt %s): %s", notification.pk, notification.email, attempts, message
    )


def _renew(claim: uuid.UUID, ids: list[int], now: datetime) -> tuple[datetime, set[int]]:
    """Extend this dispatcher's lease on rows it has not sent yet; returns the lease's new end and the rows still its
    own. A row whose lease has already run out is left: another dispatcher may have claimed it since."""
    until = now + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)
    Notification.objects.filter(pk__in=ids, claim=claim, claimed_until__gt=now).update(claimed_until=until)
    return until, set(
        Notification.objects.filter(pk__in=ids, claim=claim, claimed_until=until).values_list("pk", flat=True)
    )


def send_batch(claim: uuid.UUID, ids: list[int]) -> int:
    """Send the claimed rows over one mail connection, each marked sent the moment it has left.

    A batch may outlast its lease (a slow relay): the lease is renewed when half of it is left, so that no other
    dispatcher claims these rows while this one may still send them (one send must stay under half the lease).
    """
    rows = list(Notification.objects.filter(pk__in=ids, claim=claim).order_by("pk").prefetch_related("target"))
    lease = timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)
    held_until = min((row.claimed_until for row in rows if row.claimed_until), default=timezone.now())
    mine = {row.pk for row in rows}
    sent = 0
    shared: dict[tuple, Content] = {}
    connection = get_connection()
    try:
        connection.open()
    except Exception as error:
        for notification in rows:
            _failed(notification, claim, error)
        return 0
    try:
        for index, notification in enumerate(rows):
            now = timezone.now()
            if held_until - now < lease / 2:
                held_until, mine = _renew(claim, [row.pk for row in rows[index:]], now)
            if notification.pk not in mine:
                continue
            try:
                message = render(notification, shared)
                message.connection = connection
                message.send()
            except SoftTimeLimitExceeded:
                raise  # the task's time is up: the rows left are released when the lease ends
            except Exception as error:
                _failed(notification, claim, error)
                continue
            done = {"mail_state": MailState.SENT, "sent_at": timezone.now(), "claim": None, "claimed_until": None}
            if kinds.KINDS.get(notification.kind, kinds.DIGEST).secret:
                done |= {"body_text": "", "body_html": ""}
            Notification.objects.filter(pk=notification.pk, claim=claim).update(**done)
            logger.info("Sent notification %s (%s) to %s", notification.pk, notification.kind, notification.email)
            sent += 1
    finally:
        connection.close()
    return sent


def dispatch_pending(*, batch_size: int = 50, seconds: float | None = None) -> tuple[int, bool]:
    """Send due mails, batch after batch, for about `seconds`; returns (sent, whether due rows may be left)."""
    budget = settings.NOTIFICATION_DISPATCH_SECONDS if seconds is None else seconds
    started = timezone.now()
    sent = 0
    while True:
        now = timezone.now()
        if (now - started).total_seconds() >= budget:
            return sent, True
        claim, ids = claim_batch(now=now, size=batch_size)
        if not ids:
            return sent, False
        sent += send_batch(claim, ids)


def sweep(*, now: datetime | None = None) -> int:
    """Enqueue a dispatch when due rows wait (a lost task message, a retry whose time has come); returns their count."""
    waiting = Notification.objects.due(now or timezone.now()).count()
    if waiting:
        enqueue_dispatch()
    return waiting


# --- Digests --------------------------------------------------------------------------------------------------


def send_digests(*, now: datetime | None = None) -> int:
    """Gather each person's notices waiting for the digest into one mail (itself an outbox row); once a day each."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    waiting = (
        Notification.objects.filter(mail_state=MailState.DIGEST, created_at__lte=now)
        .values("recipient")
        .annotate(n=Count("pk"))
        .values_list("recipient", flat=True)
    )
    made = 0
    for user_id in waiting.iterator():
        with transaction.atomic():
            digest, created = Digest.objects.get_or_create(user_id=user_id, day=day)
            if not created:
                continue
            Notification.objects.filter(recipient_id=user_id, mail_state=MailState.DIGEST, created_at__lte=now).update(
                mail_state=MailState.SENT, digest=digest, sent_at=now
            )
            notify(kind=kinds.DIGEST, recipients=digest_recipient(user_id), obj=digest, url="/notifications/")
            made += 1
    return made


def digest_recipient(user_id: int) -> models.QuerySet:
    from django.contrib.auth import get_user_model

    return get_user_model()._default_manager.filter(pk=user_id)


# --- The person's side ----------------------------------------------------------------------------------------


def set_preferences(*, user: Any, choices: Mapping[str, str], language: str | None = None) -> None:
    """Store a person's choices for optional kinds (a choice equal to the default is stored too: it is explicit) and,
    when given, the language of their mails (`User.language`); one audit entry says what was chosen.

    An unknown kind, delivery or language raises ValueError: the preferences form refuses them before.
    """
    unknown = [name for name in choices if name not in kinds.KINDS]
    if unknown:
        raise ValueError(f"Unknown notification kinds: {unknown!r}")
    if any(delivery not in Delivery.values for delivery in choices.values()):
        raise ValueError(f"Unknown delivery in {dict(choices)!r}")
    if language is not None and language not in dict(settings.LANGUAGES):
        raise ValueError(f"Unknown language {language!r}")
    with transaction.atomic():
        for name, delivery in choices.items():
            kind = kinds.get(name)
            if not kind.optional:
                continue
            Preference.objects.update_or_create(user=user, kind=name, defaults={"delivery": delivery})
        details: dict[str, Any] = {"choices": dict(choices)}
        if language is not None:
            people = get_user_model()._default_manager.select_for_update().filter(pk=user.pk)
            stored = people.values_list("language", flat=True).get()
            if stored != language:
                people.update(language=language)
                details["language"] = {"from": stored, "to": language}
            user.language = language
        record(action="notifications.preferences_changed", actor=user, obj=user, **details)


def mark_read(*, user: Any, notifications: models.QuerySet | None = None) -> int:
    """Mark a person's notices read (all of them when `notifications` is None); others' rows are never touched."""
    queryset = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notifications is not None:
        queryset = queryset.filter(pk__in=notifications.values("pk"))
    return queryset.update(read_at=timezone.now())


def delivery_for(user: Any) -> dict[str, str]:
    """Each optional kind's delivery for `user`: their choice, else the kind's default."""
    chosen = dict(Preference.objects.filter(user=user).values_list("kind", "delivery"))
    return {kind.name: chosen.get(kind.name, kind.default) for kind in kinds.optional_kinds()}


def send_again(*, notifications: models.QuerySet, actor: Any) -> int:
    """Put failed mails back in the queue, as new (staff, once the cause is fixed); recorded in the audit log."""
    with transaction.atomic():
        ids = list(notifications.filter(mail_state=MailState.FAILED).values_list("pk", flat=True))
        Notification.objects.filter(pk__in=ids).update(
            mail_state=MailState.PENDING, attempts=0, next_attempt_at=timezone.now(), claim=None, claimed_until=None
        )
        if ids:
            record(action="notification.sent_again", actor=actor, notifications=ids)
            transaction.on_commit(enqueue_dispatch)
    return len(ids)
