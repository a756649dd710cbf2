"""Writing to the audit log: `record()` is the only way in."""

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEntry


def client_ip(request) -> str | None:
    """The client address as the first trusted hop sees it (REMOTE_ADDR; the proxy in front sets it right)."""
    return request.META.get("REMOTE_ADDR") if request is not None else None


def record(*, action: str, actor=None, obj: models.Model | None = None, request=None, **details) -> AuditEntry:
    """Append one entry. `actor` defaults to the request's authenticated user."""
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        actor = request.user if request.user.is_authenticated else None
    return AuditEntry.objects.create(
        actor=actor,
        actor_email=getattr(actor, "email", "") or details.pop("email", ""),
        action=action,
        object_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:300] if obj is not None else "",
        ip_address=client_ip(request),
        details=details,
    )
