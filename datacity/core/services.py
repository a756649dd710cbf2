"""Generic audited writes: save or delete one object and record what changed, from what, to what.

Domain services build on these (adding their own rules and actions); the admin's default write path calls them
for models that have no rule of their own beyond `full_clean()`.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from modeltranslation.translator import NotRegistered, translator

from datacity.audit.services import record

# Never written to the audit log, only the fact that they changed.
SECRET_FIELDS = frozenset({"password", "token_hash"})
_IGNORED_FIELDS = frozenset({"created_at", "updated_at", "last_login"})


def jsonable(value: Any) -> Any:
    """A value as the audit log's JSON keeps it: models by primary key and name, files by name."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return {"id": value.pk, "repr": str(value)[:200]}
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, Iterable) and not isinstance(value, bytes):
        return [jsonable(item) for item in value]
    return str(value)


def audited_field_names(model: type[models.Model]) -> list[str]:
    """Concrete fields whose changes are recorded: for a translated field, its per-language columns only."""
    try:
        translated = set(translator.get_options_for_model(model).all_fields)
    except NotRegistered:
        translated = set()
    return [
        field.attname
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in translated and field.name not in _IGNORED_FIELDS
    ]


def _change(name: str, before: Any, after: Any) -> dict[str, Any]:
    if name in SECRET_FIELDS:
        return {"changed": True}
    return {"from": jsonable(before), "to": jsonable(after)}


def field_changes(instance: models.Model, *, m2m: Mapping[str, Iterable[models.Model]] | None = None) -> dict:
    """What saving `instance` (changed in memory) would change in its row, and what setting `m2m` would change.

    One query for the row (locked until the end of the transaction), one per many-to-many field given.
    """
    names = audited_field_names(type(instance))
    stored: dict[str, Any] = {}
    if instance.pk is not None and not instance._state.adding:
        stored = type(instance)._default_manager.select_for_update().filter(pk=instance.pk).values(*names).first() or {}
    changes: dict[str, Any] = {}
    for name in names:
        after = getattr(instance, name)
        before = stored.get(name)
        if isinstance(after, FieldFile):
            after = after.name or ""
            before = before or ""
        if before != after and not (before in (None, "") and after in (None, "")):
            changes[name] = _change(name, before, after)
    for name, new in (m2m or {}).items():
        before_pks = set() if not stored else set(getattr(instance, name).values_list("pk", flat=True))
        after_objects = list(new)
        if before_pks != {obj.pk for obj in after_objects}:
            changes[name] = {"from": sorted(before_pks), "to": sorted(obj.pk for obj in after_objects)}
    return changes


def assign(instance: models.Model, data: Mapping[str, Any]) -> None:
    """Set form-cleaned values on `instance` the way model forms do (a cleared file is `False`, for example)."""
    for name, value in data.items():
        field = instance._meta.get_field(name)
        assert isinstance(field, models.Field), f"{name} is not a concrete field"  # noqa: S101
        field.save_form_data(instance, value)


def action_name(instance: models.Model, verb: str) -> str:
    return f"{instance._meta.model_name}.{verb}"


@transaction.atomic
def audited_save(
    *,
    instance: models.Model,
    actor: Any,
    m2m: Mapping[str, Iterable[models.Model]] | None = None,
    action: str = "",
    validate: bool = True,
) -> dict[str, Any]:
    """Validate and save `instance` (and its many-to-many `m2m`), recording the changes; returns them.

    Nothing is recorded when nothing changed.
    """
    created = instance.pk is None or instance._state.adding
    changes = field_changes(instance, m2m=m2m)
    if validate:
        instance.full_clean()
    instance.save()
    for name, values in (m2m or {}).items():
        getattr(instance, name).set(values)
    if created or changes:
        verb = "created" if created else "updated"
        record(action=action or action_name(instance, verb), actor=actor, obj=instance, changes=changes)
    return changes


@transaction.atomic
def audited_delete(*, instance: models.Model, actor: Any, action: str = "") -> None:
    """Delete `instance`, recording what it was (its repr and primary key stay in the entry)."""
    record(action=action or action_name(instance, "deleted"), actor=actor, obj=instance)
    instance.delete()
