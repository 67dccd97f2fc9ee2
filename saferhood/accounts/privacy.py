"""Privacy duties: the registry of personal-data models, retention, subject access.

Every model holding personal data registers itself (in its app's ``AppConfig.ready``):

    privacy.register(Case, name_field="person_name", person_id_field="person_ref", date_field="closed_at")

``apply_retention`` and ``subject_access_export`` then cover it with no change of their own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import serializers
from django.db import models, transaction
from django.utils import timezone

from saferhood.core import audit, csv_safe
from saferhood.core.models import AuditAction, AuditEvent


@dataclass(frozen=True)
class PersonalData:
    model: type[models.Model]
    name_field: str
    person_id_field: str
    date_field: str

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def rows(self, purpose: str) -> Any:
        manager = self.model._default_manager
        qs = manager.all()
        return qs.for_system(purpose) if hasattr(qs, "for_system") else qs


REGISTRY: dict[str, PersonalData] = {}


def register(model: type[models.Model], *, name_field: str, person_id_field: str, date_field: str) -> None:
    entry = PersonalData(model, name_field, person_id_field, date_field)
    REGISTRY[entry.label] = entry


class RetentionError(ValueError):
    pass


@dataclass
class RetentionResult:
    label: str
    days: int
    cutoff: str
    count: int
    archive: str | None


def retention_plan() -> list[tuple[PersonalData, int]]:
    """(source, days) for each registered type; refuses a configured age under its hard minimum."""
    plan = []
    for label, entry in sorted(REGISTRY.items()):
        days = settings.SAFERHOOD_RETENTION_DAYS.get(label)
        if days is None:
            continue  # kept until a retention age is configured
        minimum = settings.SAFERHOOD_RETENTION_MINIMUM_DAYS.get(label)
        if minimum is None:
            raise RetentionError(
                f"{label} has a retention age but no hard minimum in SAFERHOOD_RETENTION_MINIMUM_DAYS"
            )
        if days < minimum:
            raise RetentionError(
                f"{label}: retention of {days} days is under the hard minimum of {minimum} days"
            )
        plan.append((entry, days))
    return plan


def apply_retention(
    *, dry_run: bool, archive_dir: Path | None = None, only: str | None = None
) -> list[RetentionResult]:
    """Archive to JSON then erase the records older than their retention age; audited."""
    archive_dir = Path(archive_dir or settings.SAFERHOOD_ARCHIVE_DIR)
    now = timezone.now()
    results = []
    for entry, days in retention_plan():
        if only and entry.label != only:
            continue
        cutoff = now - timedelta(days=days)
        qs = entry.rows("retention").filter(**{f"{entry.date_field}__lt": cutoff}).order_by("pk")
        count = qs.count()
        archive_path = None
        if count and not dry_run:
            archive_dir.mkdir(parents=True, exist_ok=True)
            archive_path = archive_dir / f"retention-{entry.label}-{now:%Y%m%dT%H%M%S}.json"
            with transaction.atomic():
                ids = list(qs.values_list("pk", flat=True))
                archive_path.write_text(serializers.serialize("json", list(qs), indent=1))
                qs.delete()
                audit.record(
                    AuditAction.DELETE,
                    user=None,
                    username="apply_retention",
                    object_type=entry.label,
                    detail={
                        "retention_days": days,
                        "cutoff": cutoff.isoformat(),
                        "ids": ids,
                        "archive": str(archive_path),
                    },
                )
        results.append(
            RetentionResult(
                entry.label, days, cutoff.isoformat(), count, str(archive_path) if archive_path else None
            )
        )
    return results


def _value(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    return value


def subject_access(*, name: str | None = None, person_id: str | None = None) -> dict[str, Any]:
    """Everything held about one person: each registered model's matching records, and the audit events about them."""
    if not name and not person_id:
        raise ValueError("give a name or a person id")
    found: dict[str, Any] = {"records": {}, "audit_events": []}
    for label, entry in sorted(REGISTRY.items()):
        condition = models.Q()
        if name:
            condition |= models.Q(**{f"{entry.name_field}__iexact": name.strip()})
        if person_id:
            condition |= models.Q(**{entry.person_id_field: person_id.strip()})
        rows = list(entry.rows("subject access request").filter(condition).order_by("pk"))
        found["records"][label] = [
            {f.name: _value(getattr(obj, f.name)) for f in obj._meta.concrete_fields}
            | {f.name: [str(x) for x in getattr(obj, f.name).all()] for f in obj._meta.many_to_many}
            for obj in rows
        ]
        ids = [str(obj.pk) for obj in rows]
        for event in AuditEvent.objects.filter(object_type=label, object_id__in=ids).order_by("id"):
            found["audit_events"].append(
                {
                    "id": event.id,
                    "at": event.at,
                    "username": event.username,
                    "agency": event.actor_agency,
                    "action": event.action,
                    "object_type": event.object_type,
                    "object_id": event.object_id,
                    "detail": event.detail,
                    "changes": event.changes,
                }
            )
    return found


def write_subject_access(found: dict[str, Any], path: Path, fmt: str) -> None:
    if fmt == "json":
        path.write_text(json.dumps(found, indent=1, default=str, ensure_ascii=False))
        return
    with path.open("w", newline="") as handle:
        writer = csv_safe.writer(handle)
        writer.writerow(["section", "record_type", "record_id", "field", "value"])
        for label, rows in found["records"].items():
            for row in rows:
                for field, value in row.items():
                    writer.writerow(
                        [
                            "record",
                            label,
                            row.get("id"),
                            field,
                            json.dumps(value, default=str, ensure_ascii=False)
                            if isinstance(value, (list, dict))
                            else value,
                        ]
                    )
        for event in found["audit_events"]:
            for field, value in event.items():
                writer.writerow(
                    [
                        "audit",
                        event["object_type"],
                        event["object_id"],
                        field,
                        json.dumps(value, default=str) if isinstance(value, (list, dict)) else value,
                    ]
                )
