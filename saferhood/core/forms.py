"""What every form page shares: the GOV.UK error summary's items."""

from __future__ import annotations

from django import forms


def error_summary(form: forms.Form, *, non_field_target: str = "main-content") -> list[dict[str, str]]:
    """Error-summary items in the form's field order, each linking to its field's id.

    Errors that belong to no field link to ``non_field_target`` (an element id).
    """
    if form is None or not form.is_bound:
        return []
    items = [
        {"href": f"#{form[name].auto_id}", "text": str(message)}
        for name in form.fields
        for message in form.errors.get(name, [])
    ]
    return items + [{"href": f"#{non_field_target}", "text": str(m)} for m in form.non_field_errors()]
