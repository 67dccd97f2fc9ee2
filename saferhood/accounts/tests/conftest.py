"""Users with an agency and roles, for the access tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from saferhood.accounts.models import Agency, Membership, Role

PASSWORD = "correct-horse-battery-2026"


def make_user(username: str, agency: str | Agency | None, *roles: str, password: str | None = None) -> Any:
    user = get_user_model().objects.create(username=username)
    if password:
        user.set_password(password)
        user.save()
    if agency is not None:
        if isinstance(agency, str):
            agency = Agency.objects.get(slug=agency)
        membership = Membership.objects.create(user=user, agency=agency)
        membership.roles.set([Role.objects.get(code=r) for r in roles])
    return user


@pytest.fixture
def user_factory(db) -> Callable[..., Any]:
    return make_user


@pytest.fixture
def agencies(db) -> dict[str, Agency]:
    return {a.slug: a for a in Agency.objects.all()}
