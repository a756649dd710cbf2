"""Posting the admin's own forms in tests: the data a browser would send for a change page as it is shown."""

from typing import Any

from django.forms import BaseForm, BoundField


def _bound_value(bound: BoundField) -> Any:
    value = bound.value()
    widget = bound.field.widget
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if hasattr(widget, "widgets"):  # a split date/time widget: one input per part
        return value
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return value


def form_data(form: BaseForm) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in form.fields:
        bound = form[name]
        value = _bound_value(bound)
        widget = bound.field.widget
        if hasattr(widget, "widgets") and not isinstance(value, list | tuple | str):
            parts = widget.decompress(value)
            for index, part in enumerate(parts):
                data[f"{bound.html_name}_{index}"] = "" if part is None else str(part)
            continue
        if value != "" and not hasattr(value, "url"):  # an existing file is kept by sending nothing
            data[bound.html_name] = value
    return data


def admin_change_data(response) -> dict[str, Any]:
    """Everything the change (or add) page at `response` would post unchanged: the form, then each inline."""
    data = form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= form_data(formset.management_form)
        for form in formset.forms:
            data |= form_data(form)
    return data
