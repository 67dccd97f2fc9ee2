"""The Django admin is closed to personal data and to the audit trail (issue 13 item 6).

The lists are generated, not written by hand: every model the admin registers, and every
personal-data model the project has (``audit.personal_models``), so a new case model is covered.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.core.checks import run_checks
from django.urls import reverse

from saferhood.accounts.models import Agency
from saferhood.accounts.roles import RoleCode
from saferhood.accounts.services import create_note
from saferhood.accounts.tests.conftest import make_user
from saferhood.core import audit
from saferhood.core.admin_guard import problems_in
from saferhood.core.models import AuditAction, AuditEvent

CLOSED_TO_ADMIN = [*audit.personal_models(), AuditEvent]


def test_every_personal_data_model_is_known() -> None:
    labels = {m._meta.label_lower for m in audit.personal_models()}
    assert {"accounts.confidentialnote", "tasking.closedcase"} <= labels


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label_lower)
def test_no_registered_admin_model_holds_personal_data(model) -> None:
    assert model is not AuditEvent and not audit.is_personal(model)


def test_the_system_check_refuses_a_personal_model_in_the_admin() -> None:
    assert not [e for e in run_checks() if e.id == "saferhood.E001"]
    site = AdminSite(name="trial")
    for model in CLOSED_TO_ADMIN:
        site.register(model)
    assert {e.obj for e in problems_in(site)} == set(CLOSED_TO_ADMIN)


@pytest.mark.parametrize("model", CLOSED_TO_ADMIN, ids=lambda m: m._meta.label_lower)
def test_a_staff_system_admin_finds_no_admin_page_for_it(client, db, model) -> None:
    sysadmin = make_user("sys-sam", "csp-team", RoleCode.SYSTEM_ADMIN)
    sysadmin.is_staff = sysadmin.is_superuser = True
    sysadmin.save()
    housing = Agency.objects.get(slug="housing")
    note = create_note(by_user=sysadmin, owner_agency=housing, subject_name="Ada Example", text="x")
    event = audit.record(AuditAction.VIEW, user=sysadmin, obj=note)
    pk = {"accounts.confidentialnote": note.pk, "core.auditevent": event.pk}.get(model._meta.label_lower, 1)
    client.force_login(sysadmin)
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    for path in (base, f"{base}{pk}/change/", f"{base}{pk}/delete/", f"{base}add/"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"{base}{pk}/delete/", {"post": "yes"}).status_code == 404
    assert model._meta.label_lower not in client.get(reverse("admin:index")).content.decode()
    # Nothing was deleted or changed behind the audit trail's back.
    assert type(note).objects.for_system("test").filter(pk=note.pk).exists()
    assert audit.verify_chain()[1] is None


def test_the_admin_shows_no_second_factor_secret(client, db) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    sysadmin = make_user("sys-sue", "csp-team", RoleCode.SYSTEM_ADMIN)
    sysadmin.is_staff = sysadmin.is_superuser = True
    sysadmin.save()
    colleague = make_user("phone-lost", "housing", RoleCode.OFFICER)
    device = TOTPDevice.objects.create(user=colleague, name="Authenticator app", confirmed=True)
    client.force_login(sysadmin)
    base = "/admin/otp_totp/totpdevice/"
    change = client.get(f"{base}{device.pk}/change/")
    assert change.status_code == 200 and device.key not in change.content.decode()
    for path in (f"{base}{device.pk}/config/", f"{base}{device.pk}/qrcode/", f"{base}999999/config/"):
        assert client.get(path).status_code == 403, path  # refused, and no 500 for a missing device
    # A lost phone's device can still be removed, so its owner can set up a new one.
    assert client.post(f"{base}{device.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
