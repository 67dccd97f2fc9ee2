"""The tasking pack: what the data says about a meeting's area, written before the meeting.

``build_pack`` gathers it from the same functions as the dashboard and the API (profiles,
alerts, hotspots, repeat locations) plus the meeting's own agenda, as plain JSON-able data with
the charts as SVG, so the pack can be frozen when issued (``services.issue_pack``) and shown or
printed (HTML, PDF) exactly as the meeting saw it.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.utils import timezone
from ninja import Schema

from saferhood.evidence import analyses, analysis_figures, figures
from saferhood.evidence.analyses import GridParams
from saferhood.evidence.period import Period
from saferhood.evidence.profiles import build_profile
from saferhood.tasking.models import Meeting
from saferhood.tasking.services import agenda

HATE_CRIME_NOTE = (
    "police.uk does not mark hate crimes, and no partner hate crime data set is loaded yet, so the pack "
    "cannot count them; report them from the third-party reporting centres' returns."
)


def _problem(p) -> dict[str, Any]:
    return {
        "id": p.pk,
        "title": p.title,
        "place": p.place,
        "theme": p.get_theme_display(),
        "town": p.town.name,
        "lead_agency": p.lead_agency.name,
        "status": p.get_status_display(),
        "opened_on": p.opened_on.isoformat(),
        "level": p.get_level_display(),
    }


def _action(a, on) -> dict[str, Any]:
    return {
        "id": a.pk,
        "problem_id": a.problem_id,
        "problem": a.problem.title,
        "description": a.description,
        "owner": f"{a.owner_name} ({a.owner_agency.name})",
        "due": a.due.isoformat(),
        "overdue": a.is_overdue(on),
    }


def _cctv_due(meeting: Meeting) -> list[dict[str, Any]]:
    """Deployable cameras due for review in the area (when the CCTV app is installed)."""
    if not apps.is_installed("saferhood.cctv"):
        return []
    from saferhood.cctv.services import deployments_due_for_review

    return [
        {"id": d.pk, "camera": d.camera.asset_tag, "place": d.place_name, "start": d.start.isoformat(),
         "review_due": d.review_due.isoformat()}
        for d in deployments_due_for_review(meeting.area, meeting.date)
    ]  # fmt: skip


def meeting_period(meeting: Meeting) -> Period:
    """The pack's period: the meeting's months, compared with the months just before."""
    return Period(meeting.period_from, meeting.period_to)


def _json(part: Schema | None) -> dict[str, Any] | None:
    """A part of the typed profile as the pack stores it (JSON, ``from``/``to`` as the API writes them)."""
    return None if part is None else part.model_dump(mode="json", by_alias=True)


def build_pack(meeting: Meeting) -> dict[str, Any]:
    """Everything the pack shows, for the meeting's area and period (JSON-able, charts as SVG)."""
    area = meeting.area
    period = meeting_period(meeting)
    profile = build_profile(area, period)
    asb = build_profile(area, period, crime_type="asb")
    hs = analysis_figures.hotspot_grid(area, period, profile.type.key)
    alerts = analyses.alerts_for(area, period.last_month(), None)
    repeat = analyses.repeat_locations_for(area, period, "asb", top=10, points=None)
    items = agenda(meeting)
    children = sorted(profile.children, key=lambda c: -(c.rate_per_1000 or 0))
    previous = profile.previous
    return {
        "meeting": {
            "id": meeting.pk,
            "title": str(meeting),
            "kind": meeting.get_kind_display(),
            "date": meeting.date.isoformat(),
            "chairs": meeting.chairs,
        },  # fmt: skip
        "area": {"code": area.code, "name": area.name, "level": area.level},
        "period": _json(profile.period),
        "previous": _json(previous.period),
        "built_at": timezone.now().isoformat(timespec="minutes"),
        "headline": {
            "crimes": profile.crimes,
            "asb": profile.asb,
            "rate_per_1000": profile.rate_per_1000,
            "previous_crimes": previous.crimes,
            "previous_asb": previous.asb,
            "change": _json(profile.change),
            "asb_change": _json(asb.change),  # the ASB profile's change compares and tests ASB
            "gaps": profile.gaps,
            "gap_reasons": [_json(g) for g in profile.gap_reasons],
            "no_data_reason": profile.no_data_reason,  # every figure above is None
            "previous_no_data_reason": previous.no_data_reason,
            "sources": [_json(s) for s in profile.sources],
        },
        "by_type": [
            {"type": t, "count": n, "previous": previous.by_type.get(t)} for t, n in profile.by_type.items()
        ],
        "trend_svg": figures.trend_svg(area.name, profile),
        "by_type_svg": figures.by_type_svg(area.name, profile),
        "alerts": alerts["alerts"],
        "alert_tests": alerts["tests"],
        "alert_method": alerts["method"],
        "alert_baseline": alerts["baseline"],  # what "expected" means, said beside the alerts
        "hotspot_svg": None if hs.empty else analysis_figures.hotspot_svg(area.name, hs),
        "hot_cells": None if hs.empty else analysis_figures.hot_cells(hs, limit=10).rows,
        "hotspot_caveats": hs.points.caveats,
        "repeat_locations": repeat["locations"],
        "snap_point_caveat": repeat["snap_point_caveat"],
        "asb_demand": {
            "count": asb.asb,
            "previous": asb.previous.asb,
            "no_data_reason": asb.no_data_reason,
            "series": [{"month": p.month, "asb": p.asb} for p in asb.series],
            "by_area": [
                {"code": c.code, "name": c.name, "asb": c.asb, "per_1000": c.asb_rate_per_1000}
                for c in asb.children
            ],  # fmt: skip
        },
        "hate_crime_note": HATE_CRIME_NOTE,
        "impact_areas": [
            {
                "code": c.code,
                "name": c.name,
                "crimes": c.crimes,
                "rate_per_1000": c.rate_per_1000,
                "no_data_reason": c.no_data_reason,
                "alerts": [a["crime_type"] for a in alerts["alerts"] if a["area"]["code"] == c.code],
            }
            for c in children[:5]
        ],  # fmt: skip
        "problems": [_problem(p) for p in items["problems"]],
        "overdue_actions": [_action(a, meeting.date) for a in items["overdue_actions"]],
        "open_actions": [_action(a, meeting.date) for a in items["open_actions"]],
        "escalated": [
            {
                "problem": e.problem.title,
                "town": e.problem.town.name,
                "reason": e.reason,
                "on": e.on.date().isoformat(),
            }
            for e in items["escalated"]
        ],
        "cctv_due": _cctv_due(meeting),
        "commentary": meeting.commentary,
        "grid_defaults": GridParams().__dict__,
    }
