"""The authorization matrix, as data: role × the user's relation to the record × sharing × action.

Every user is checked against every record, so a record showing up where the table says it
must not is a leak, whatever the path. A later personal-data model joins by adding a
``make`` function to ``MODELS``.

Relations (of the user to the record):
  own         the user's agency owns the record; the user is not in its closed meeting
  own+member  the user's agency owns it and the user is in its closed meeting
  named       another agency, named in the record's "shared with" list
  member      another agency, not named, but the user is in the record's closed meeting
  other       another agency, neither named nor a member
Cells: v = view, c = change, e = export, - = nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from saferhood.accounts.models import Agency, ConfidentialNote
from saferhood.accounts.roles import Action, RoleCode
from saferhood.accounts.scoping import Sharing, can
from saferhood.accounts.tests.conftest import make_user
from saferhood.tasking.models import ClosedCase

MATRIX = """
sharing      relation    | viewer  analyst  officer  tasking_chair  agency_admin  system_admin
own          own         | v       ve       vc       vce            vce           vce
own          own+member  | v       ve       vc       vce            vce           vce
own          named       | -       -        -        -              -             vce
own          member      | -       -        -        -              -             vce
own          other       | -       -        -        -              -             vce
shared       own         | v       ve       vc       vce            vce           vce
shared       own+member  | v       ve       vc       vce            vce           vce
shared       named       | v       v        v        v              v             vce
shared       member      | -       -        -        -              -             vce
shared       other       | -       -        -        -              -             vce
partnership  own         | v       ve       vc       vce            vce           vce
partnership  own+member  | v       ve       vc       vce            vce           vce
partnership  named       | v       v        v        v              v             vce
partnership  member      | v       v        v        v              v             vce
partnership  other       | v       v        v        v              v             vce
closed       own         | -       -        -        -              -             vce
closed       own+member  | v       ve       vc       vce            vce           vce
closed       named       | -       -        -        -              -             vce
closed       member      | v       v        vc       vc             vc            vce
closed       other       | -       -        -        -              -             vce
"""
ACTION_LETTERS = {"v": Action.VIEW, "c": Action.CHANGE, "e": Action.EXPORT}
RELATIONS = ["own", "own+member", "named", "member", "other"]


def parse_matrix(text: str) -> dict[tuple[str, str, str], frozenset[str]]:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    roles = lines[0].split("|")[1].split()
    table = {}
    for line in lines[1:]:
        left, right = line.split("|")
        sharing, relation = left.split()
        for role, cell in zip(roles, right.split(), strict=True):
            table[(sharing, relation, role)] = frozenset(ACTION_LETTERS[c] for c in cell if c != "-")
    return table


TABLE = parse_matrix(MATRIX)


def test_the_table_covers_every_role_relation_and_sharing() -> None:
    expected = {(s, r, role) for s in Sharing.values for r in RELATIONS for role in RoleCode.values}
    assert set(TABLE) == expected


# --- the models under test: make(owner, sharing, shared_with, meeting_members) -> record ---------


def make_note(owner: Agency, sharing: str, shared_with: list[Agency], members: list[Any]) -> ConfidentialNote:
    note = ConfidentialNote.objects.create(
        owner_agency=owner, sharing=sharing, subject_name="Jo Bloggs", text="x"
    )
    note.shared_with.set(shared_with)
    note.meeting_members.set(members)
    return note


def make_closed_case(owner: Agency, sharing: str, shared_with: list[Agency], members: list[Any]) -> Any:
    """A tasking closed-part case: "meeting member" means attending that meeting's closed part."""
    import datetime

    from saferhood.areas.models import Area
    from saferhood.tasking.models import Meeting

    meeting = Meeting.objects.create(
        kind="town", area=Area.objects.get(code="tipton"), date=datetime.date(2026, 4, 14), chairs="x",
        period_from="2026-01", period_to="2026-03",
    )  # fmt: skip
    meeting.closed_members.set(members)
    case = ClosedCase.objects.create(
        meeting=meeting, owner_agency=owner, sharing=sharing, subject="Jo Bloggs", role="victim", summary="x"
    )
    case.shared_with.set(shared_with)
    return case


MODELS: list[tuple[type, Callable[..., Any]]] = [
    (ConfidentialNote, make_note),
    (ClosedCase, make_closed_case),
]

# The owner agency (A), a named partner (B), a meeting member's agency (C), another agency (D).
AGENCY_OF = {"A": "police", "B": "housing", "C": "probation", "D": "health"}


def relation(user_agency: str, record: Any, member_ids: set[int], user_id: int, named: set[str]) -> str:
    owner = record.owner_agency.slug
    if user_agency == owner:
        return "own+member" if user_id in member_ids else "own"
    if user_agency in named:
        return "named"
    return "member" if user_id in member_ids else "other"


@pytest.mark.parametrize(("model", "make"), MODELS, ids=[m.__name__ for m, _ in MODELS])
def test_authorization_matrix_has_no_leaks(db, model: type, make: Callable[..., Any]) -> None:
    agencies = {key: Agency.objects.get(slug=slug) for key, slug in AGENCY_OF.items()}
    users = {
        (key, role): make_user(f"{role}-{key}", agencies[key], role)
        for key in AGENCY_OF
        for role in RoleCode.values
    }
    members_from = {"own+member": "A", "member": "C"}
    records = []
    for sharing in Sharing.values:
        for rel in RELATIONS:
            member_key = members_from.get(rel)
            members = [u for (key, _), u in users.items() if key == member_key]
            named = [agencies["B"]] if rel == "named" else []
            record = make(agencies["A"], sharing, named, members)
            records.append((record, {u.pk for u in members}, {a.slug for a in named}))

    checked, leaks, refusals = 0, [], []
    covered = set()
    for (key, role), user in users.items():
        for action in Action.values:
            got = set(model.objects.restrict(user, action).values_list("pk", flat=True))
            for record, member_ids, named in records:
                rel = relation(agencies[key].slug, record, member_ids, user.pk, named)
                allowed = action in TABLE[(record.sharing, rel, role)]
                covered.add((record.sharing, rel, role, action))
                checked += 1
                case = f"{role} of {key} / {rel} / {record.sharing} / {action}"
                if record.pk in got and not allowed:
                    leaks.append(case)
                if record.pk not in got and allowed:
                    refusals.append(case)
    assert leaks == [], f"{len(leaks)} leaks:\n" + "\n".join(leaks)
    assert refusals == [], f"{len(refusals)} wrongly refused:\n" + "\n".join(refusals)
    # Every cell of the table was exercised at least once.
    assert {(s, r, role) for s, r, role, _ in covered} == set(TABLE)
    assert checked == len(users) * len(Action.values) * len(records)


def test_can_agrees_with_restrict(db) -> None:
    police, housing = Agency.objects.get(slug="police"), Agency.objects.get(slug="housing")
    note = make_note(police, Sharing.SHARED, [housing], [])
    officer_h = make_user("officer-h", housing, RoleCode.OFFICER)
    officer_p = make_user("officer-p", police, RoleCode.OFFICER)
    assert can(officer_h, note, Action.VIEW) and not can(officer_h, note, Action.CHANGE)
    assert can(officer_p, note, Action.CHANGE) and not can(officer_p, note, Action.EXPORT)


def test_users_without_an_agency_inactive_or_anonymous_see_nothing(db) -> None:
    from django.contrib.auth.models import AnonymousUser

    note = make_note(Agency.objects.get(slug="police"), Sharing.PARTNERSHIP, [], [])
    nobody = make_user("no-agency", None)
    gone = make_user("gone", "police", RoleCode.TASKING_CHAIR)
    gone.is_active = False
    gone.save()
    for user in (nobody, gone, AnonymousUser(), None):
        assert not ConfidentialNote.objects.restrict(user, Action.VIEW).filter(pk=note.pk).exists()
    retired = make_user("retired-agency", "fire", RoleCode.VIEWER)
    Agency.objects.filter(slug="fire").update(active=False)
    assert not ConfidentialNote.objects.restrict(retired, Action.VIEW).exists()
