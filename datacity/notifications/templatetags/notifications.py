from dataclasses import dataclass, field

from django import template

from ..models import Digest
from ..services import absolute, render_subject

register = template.Library()


@dataclass
class DigestGroup:
    """The notices of one digest about one object: a line each, newest first, under the object's link."""

    link: str
    subjects: list[str] = field(default_factory=list)


@register.filter
def digest_groups(digest: Digest) -> list[DigestGroup]:
    """A digest's notices grouped by what they are about, the most recently active object first (in the digest's
    language: the notices are the same person's)."""
    notices = digest.notifications.order_by("-created_at", "-pk").prefetch_related("target")
    groups: dict[tuple[int | None, int | None, str], DigestGroup] = {}
    for notice in notices:
        group_key = (notice.content_type_id, notice.object_id, notice.url)
        if notice.object_id is None:
            group_key = (None, notice.pk, notice.url)
        group = groups.setdefault(group_key, DigestGroup(absolute(notice.url) if notice.url else ""))
        group.subjects.append(render_subject(notice))
    return list(groups.values())
