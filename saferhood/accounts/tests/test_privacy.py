"""Retention (archive, erase, audited, never under the minimum) and subject-access export."""

from __future__ import annotations

import csv
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from saferhood.accounts.models import Agency, ConfidentialNote
from saferhood.accounts.privacy import REGISTRY
from saferhood.accounts.roles import RoleCode
from saferhood.accounts.services import create_note
from saferhood.accounts.tests.conftest import make_user
from saferhood.core.models import AuditEvent


def _notes():
    housing = Agency.objects.get(slug="housing")
    officer = make_user("ret-officer", housing, RoleCode.OFFICER)
    old = create_note(
        by_user=officer, owner_agency=housing, subject_name="Old Person", subject_ref="P-1", text="old"
    )
    new = create_note(
        by_user=officer, owner_agency=housing, subject_name="New Person", subject_ref="P-2", text="new"
    )
    ConfidentialNote._base_manager.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=800))
    return old, new


def _all_ids() -> set[int]:
    return set(ConfidentialNote.objects.for_system("test").values_list("pk", flat=True))


def test_the_note_is_registered_as_personal_data() -> None:
    assert "accounts.confidentialnote" in REGISTRY


def test_retention_dry_run_changes_nothing(db, settings, tmp_path, capsys) -> None:
    settings.SAFERHOOD_RETENTION_DAYS = {"accounts.confidentialnote": 730}
    old, new = _notes()
    call_command("apply_retention", "--dry-run", "--archive-dir", str(tmp_path))
    assert "1 older than 730 days" in capsys.readouterr().out
    assert _all_ids() >= {old.pk, new.pk} and not list(tmp_path.iterdir())


def test_retention_archives_then_erases_and_audits(db, settings, tmp_path) -> None:
    settings.SAFERHOOD_RETENTION_DAYS = {"accounts.confidentialnote": 730}
    old, new = _notes()
    call_command("apply_retention", "--archive-dir", str(tmp_path))
    assert old.pk not in _all_ids() and new.pk in _all_ids()
    (archive,) = tmp_path.iterdir()
    archived = json.loads(archive.read_text())
    assert [row["pk"] for row in archived] == [old.pk]
    assert archived[0]["fields"]["subject_name"] == "Old Person"
    event = AuditEvent.objects.get(action="delete", object_type="accounts.confidentialnote")
    assert event.detail["ids"] == [old.pk] and event.detail["archive"] == str(archive)


def test_retention_refuses_an_age_under_the_hard_minimum(db, settings, tmp_path) -> None:
    settings.SAFERHOOD_RETENTION_DAYS = {"accounts.confidentialnote": 30}
    old, new = _notes()
    with pytest.raises(CommandError, match="under the hard minimum of 365 days"):
        call_command("apply_retention", "--archive-dir", str(tmp_path))
    assert _all_ids() >= {old.pk, new.pk}


@pytest.mark.parametrize("suffix", ["json", "csv"])
def test_subject_access_export_holds_the_records_and_their_audit(db, tmp_path, suffix: str) -> None:
    old, new = _notes()
    out = tmp_path / f"sar.{suffix}"
    call_command("subject_access_export", "--name", "old person", "--output", str(out), "--operator", "dpo")
    if suffix == "json":
        found = json.loads(out.read_text())
        (record,) = found["records"]["accounts.confidentialnote"]
        assert record["subject_name"] == "Old Person" and record["text"] == "old"
        assert [e["action"] for e in found["audit_events"]] == ["create"]
    else:
        rows = list(csv.DictReader(out.open()))
        assert {"record", "audit"} == {r["section"] for r in rows}
        assert not any(r["value"] == "New Person" for r in rows)
    event = AuditEvent.objects.get(action="export", object_type="subject-access")
    counts = event.detail["records"]
    assert event.username == "dpo" and counts["accounts.confidentialnote"] == 1
    assert sum(counts.values()) == 1  # every other registered personal-data model: none about them
    by_id = tmp_path / f"by-id.{suffix}"
    call_command("subject_access_export", "--person-id", "P-2", "--output", str(by_id))
    assert "New Person" in by_id.read_text() and "Old Person" not in by_id.read_text()


def test_subject_access_covers_tasking_closed_part_cases(db, tmp_path) -> None:
    """A person discussed in a tasking meeting's closed part is in their subject-access export."""
    import datetime

    from saferhood.accounts.models import Agency
    from saferhood.areas.models import Area
    from saferhood.tasking.models import ClosedCase, Meeting

    meeting = Meeting.objects.create(kind="town", area=Area.objects.get(code="tipton"), date=datetime.date(2026, 4, 14),
                                     chairs="x", period_from="2026-01", period_to="2026-03")  # fmt: skip
    ClosedCase.objects.create(meeting=meeting, owner_agency=Agency.objects.get(slug="police"), sharing="closed",
                              subject="Jane Doe", subject_ref="ASB-1", role="victim", summary="harassed")  # fmt: skip
    out = tmp_path / "sar.json"
    call_command("subject_access_export", "--name", "jane doe", "--output", str(out), "--operator", "dpo")
    (case,) = json.loads(out.read_text())["records"]["tasking.closedcase"]
    assert case["subject"] == "Jane Doe" and case["summary"] == "harassed"
