"""Template helpers for Saferhood pages."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def partnership_name() -> str:
    return settings.SAFERHOOD_PARTNERSHIP_NAME


@register.filter
def number(value: object) -> str:
    """A count with thousands separators; an en dash where there is no figure."""
    if value is None or value == "":
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@register.filter
def number_or_no_data(value: object) -> str:
    """A count, or "No data" where none is loaded (a figure that is None is never a zero)."""
    return "No data" if value is None else number(value)


@register.filter
def signed(value: object) -> str:
    """A change with its sign (+12, −3); an en dash where there is none."""
    if value is None:
        return "–"
    if isinstance(value, float):
        text = f"{abs(value):,.1f}"
    else:
        text = f"{abs(int(value)):,}"
    if value > 0:
        return f"+{text}"
    if value < 0:
        return f"−{text}"
    return text


LEVEL_NAMES = {
    "lsoa": "LSOA",
    "ward": "Ward",
    "town": "Town",
    "lad": "Local authority",
    "csp": "Community safety partnership",
    "pfa": "Police force area",
}


@register.filter
def p_value(value: float | None) -> str:
    """ "p = 0.042" or "p < 0.001": a p-value is never printed as 0."""
    from saferhood.analytics.change import p_value_text  # here: it loads scipy, pages need it rarely

    return p_phrase(p_value_text(value))


@register.filter
def p_phrase(text: str | None) -> str:
    """A p-value already written as text ("0.042", "< 0.001") as a phrase: "p = 0.042", "p < 0.001"."""
    if not text:
        return ""
    return f"p {text}" if text.startswith("<") else f"p = {text}"


@register.filter
def level_name(level: str) -> str:
    return LEVEL_NAMES.get(level, level)


@register.filter
def month_spans(months: list[str]) -> str:
    """Gap months in words: '2018-07 to 2023-06, 2024-09'."""
    from saferhood.core.months import spans

    return ", ".join(a if a == b else f"{a} to {b}" for a, b in spans(months))


@register.filter
def error_items(form, non_field_target: str = "main-content") -> list[dict[str, str]]:
    """A bound form's errors as GOV.UK error-summary items (see ``core.forms.error_summary``)."""
    from saferhood.core.forms import error_summary

    return error_summary(form, non_field_target=non_field_target)
