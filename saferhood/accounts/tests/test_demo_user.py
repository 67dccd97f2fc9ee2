from __future__ import annotations

from django.core.management import call_command

from saferhood.accounts.models import Agency, Membership
from saferhood.accounts.roles import roles_of


def test_agencies_are_seeded(db) -> None:
    assert set(Agency.objects.values_list("slug", flat=True)) >= {
        "police",
        "council-asb",
        "housing",
        "youth-justice",
        "probation",
        "health",
        "fire",
        "education",
        "voluntary-sector",
        "csp-team",
    }


def test_demo_user_is_a_csp_team_analyst_and_the_command_is_idempotent(db, django_user_model) -> None:
    call_command("create_demo_user", "--password", "first-password-2026")
    call_command("create_demo_user", "--password", "second-password-2026")
    user = django_user_model.objects.get(username="analyst")
    assert Membership.objects.filter(user=user).count() == 1
    assert user.membership.agency.slug == "csp-team"
    assert roles_of(user) == {"analyst"}
    assert user.check_password("second-password-2026")


def test_demo_tasking_chair(db) -> None:
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    out = StringIO()
    call_command(
        "create_demo_user", "--username", "chair", "--agency", "police", "--role", "tasking_chair", stdout=out
    )
    assert "(Police, tasking chair)" in out.getvalue()
    membership = get_user_model().objects.get(username="chair").membership
    assert membership.agency.slug == "police" and [r.code for r in membership.roles.all()] == [
        "tasking_chair"
    ]
