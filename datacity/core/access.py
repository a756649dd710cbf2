"""Fetching objects through a visibility rule: "forbidden" and "does not exist" both answer 404, and the refusal
of an object that does exist is audited."""

from typing import Any, TypeVar

from django.db import models
from django.http import Http404

from datacity.audit.context import current
from datacity.audit.services import record

M = TypeVar("M", bound=models.Model)


def visible_or_404(visible: "models.QuerySet[M]", **lookup: Any) -> M:
    """The object of `visible` matching `lookup`; otherwise 404, audited if the object exists for someone else."""
    found = visible.filter(**lookup).first()
    if found is not None:
        return found
    hidden = visible.model._default_manager.filter(**lookup).first()
    if hidden is not None:
        record(action="access.refused", obj=hidden, path=current().path)
    raise Http404
