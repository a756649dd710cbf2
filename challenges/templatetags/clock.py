"""Dates in notices: stored as ISO strings in a notice's context, shown in the edition's time zone, zone named."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.formats import get_format

register = template.Library()


@register.filter
def program_time(value: str | datetime, zone: str) -> str:
    """`value` (a datetime or its ISO form) in time zone `zone`, e.g. "25 mars 2026, 18:00 (Africa/Casablanca)"."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = timezone.localtime(moment, ZoneInfo(zone))
    return f"{format_date(local, get_format('DATETIME_FORMAT'))} ({zone})"
