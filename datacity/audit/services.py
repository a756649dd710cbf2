"""Writing to the audit log: `record()` is the only way in, `audited_transaction` keeps refusals on record."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from datacity import pagecache

from .context import current
from .models import AuditEntry

P = ParamSpec("P")
R = TypeVar("R")


class Refused(Exception):
    """A change refused by the platform's rules. The message is shown to the person as it is; `action`, when
    given, is what the audit log records about the attempt (see `audited_transaction`)."""

    def __init__(self, message: str, *, action: str = "", obj: models.Model | None = None, **details: Any):
        super().__init__(message)
        self.action, self.obj, self.details = action, obj, details


def record(*, action: str, actor: Any = None, obj: models.Model | None = None, **details: Any) -> AuditEntry:
    """Append one entry. Who, from where and under which request id come from the audit context when the
    caller does not say who acted."""
    context = current()
    if actor is None:
        actor = context.actor
    actor_email = getattr(actor, "email", "") or details.pop("email", "")
    if not actor_email and context.system:
        actor_email = f"system:{context.system}"
    # Every audited write passes here: once it commits, the public pages kept in the cache are out of date.
    pagecache.content_changed(action)
    return AuditEntry.objects.create(
        actor=actor,
        actor_email=actor_email[:254],
        action=action,
        object_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:300] if obj is not None else "",
        ip_address=context.ip_address,
        request_id=context.request_id,
        details=details,
    )


def audited_transaction(func: Callable[P, R]) -> Callable[P, R]:
    """Run a service in its own transaction; when it raises `Refused` with an action, the transaction is rolled
    back first and the refusal is recorded after, so the entry survives the rollback it causes."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with transaction.atomic():
                return func(*args, **kwargs)
        except Refused as refusal:
            if refusal.action:
                record(action=refusal.action, obj=refusal.obj, reason=str(refusal), **refusal.details)
            raise

    return wrapper
