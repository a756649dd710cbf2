from dataclasses import dataclass

from django import template

from ..models import Digest
from ..services import absolute, render

register = template.Library()


@dataclass(frozen=True)
class DigestItem:
    subject: str
    link: str


@register.filter
def digest_items(digest: Digest) -> list[DigestItem]:
    """The notices a digest gathers, newest first, each by its own subject (in the digest's language)."""
    notices = digest.notifications.order_by("-created_at", "-pk").prefetch_related("target")
    return [DigestItem(str(render(notice).subject), absolute(notice.url) if notice.url else "") for notice in notices]
