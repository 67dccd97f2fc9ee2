"""Filters for the Jobs pages: durations people read, and the GOV.UK tag colour of a state."""

from __future__ import annotations

from django import template

register = template.Library()

STATE_TAG = {
    "queued": "govuk-tag--grey",
    "running": "govuk-tag--blue",
    "succeeded": "govuk-tag--green",
    "failed": "govuk-tag--red",
}


@register.filter
def state_tag(state: str) -> str:
    return STATE_TAG.get(state, "govuk-tag--grey")


@register.filter
def duration(seconds: float | None) -> str:
    """'45 s', '3 min 05 s', '2 h 04 min'; '' when the job has not started."""
    if seconds is None:
        return ""
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
