"""An agency's users, managed by its agency admin (a system admin may manage any agency's).

Agency admins add people to their own agency, set their roles (never system admin), switch
them off and set a temporary password; every change is audited with old → new values. People
are never deleted: their audit history must stay attached to them. Who may change whom is one
rule (``rules.may_manage``): only a system admin changes a system admin.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from saferhood.accounts.models import Agency, Membership, Role
from saferhood.accounts.passwords import TemporaryPasswordForm, mark_temporary, set_temporary_password
from saferhood.accounts.roles import (
    RoleCode,
    forget_membership,
    is_agency_admin,
    is_system_admin,
    membership_of,
)
from saferhood.accounts.rules import may_manage, may_manage_member
from saferhood.core import audit
from saferhood.core.forms import error_summary

GRANTABLE = [(c, label) for c, label in RoleCode.choices if c != RoleCode.SYSTEM_ADMIN]


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150, label="Username")
    first_name = forms.CharField(max_length=150, label="First name")
    last_name = forms.CharField(max_length=150, label="Last name")
    email = forms.EmailField(required=False, label="Email")
    password = forms.CharField(widget=forms.PasswordInput, label="First password",
                               help_text="At least 12 characters. It is temporary: they must choose their own when they first sign in")  # fmt: skip
    roles = forms.MultipleChoiceField(choices=GRANTABLE, widget=forms.CheckboxSelectMultiple, label="Roles")

    def clean_username(self) -> str:
        name = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=name).exists():
            raise forms.ValidationError("That username is taken")
        return name

    def clean(self):
        data = super().clean()
        if data.get("password"):
            user = get_user_model()(username=data.get("username", ""), first_name=data.get("first_name", ""))
            try:
                password_validation.validate_password(data["password"], user)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


def managed_agency(request: HttpRequest) -> Agency:
    """The agency whose people the user may manage: their own (agency admin) or any (system admin)."""
    user = request.user
    if is_system_admin(user) and request.GET.get("agency"):
        agency = Agency.objects.filter(slug=request.GET["agency"]).first()
        if agency is None:
            raise Http404("No such agency")
        return agency
    membership = membership_of(user)
    if membership is not None and (is_agency_admin(user) or is_system_admin(user)):
        return membership.agency
    audit.record("denied", request=request, object_type="accounts.membership", detail={"path": request.path})
    raise PermissionDenied("Only agency admins manage their agency's people")


def _roles(membership: Membership) -> list[str]:
    return sorted(membership.roles.values_list("code", flat=True))


@transaction.atomic
def add_member(agency: Agency, data: dict[str, Any], *, request: HttpRequest) -> Membership:
    user = get_user_model().objects.create_user(
        data["username"], email=data.get("email", ""), password=data["password"],
        first_name=data["first_name"], last_name=data["last_name"],
    )  # fmt: skip
    membership = Membership.objects.create(user=user, agency=agency)
    membership.roles.set(Role.objects.filter(code__in=data["roles"]))
    mark_temporary(user, by_user=request.user)  # the admin knows it: the person must replace it
    audit.record("create", request=request, obj=membership,
                 detail={"username": user.username, "agency": agency.slug, "roles": sorted(data["roles"])})  # fmt: skip
    return membership


def change_member(membership: Membership, *, roles: list[str], active: bool, request: HttpRequest) -> None:
    if not may_manage(request.user, membership.user):
        audit.record("denied", request=request, obj=membership, detail={"wanted": "change"})
        raise PermissionDenied("Only a system admin can change a system admin")
    if RoleCode.SYSTEM_ADMIN in roles and not is_system_admin(request.user):
        raise PermissionDenied("Only a system admin can make a system admin")
    _apply_change(membership, roles=roles, active=active, request=request)


@transaction.atomic
def _apply_change(membership: Membership, *, roles: list[str], active: bool, request: HttpRequest) -> None:
    before = {"roles": _roles(membership), "active": membership.user.is_active}
    # The People page never offers the system admin role, so saving it keeps one already held.
    kept = [RoleCode.SYSTEM_ADMIN] if RoleCode.SYSTEM_ADMIN in before["roles"] else []
    membership.roles.set(Role.objects.filter(code__in=[*roles, *kept]))
    membership.user.is_active = active
    membership.user.save(update_fields=["is_active"])
    forget_membership(membership.user)
    after = {"roles": _roles(membership), "active": active}
    audit.record("change", request=request, obj=membership, changes=audit.changes_between(before, after))


@login_required
def members(request: HttpRequest) -> HttpResponse:
    agency = managed_agency(request)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        add_member(agency, form.cleaned_data, request=request)
        return redirect(request.get_full_path())
    people = list(Membership.objects.filter(agency=agency).select_related("user").prefetch_related("roles"))
    for person in people:
        person.manageable = may_manage_member(request.user, person)
    audit.record("view", request=request, object_type="accounts.membership", detail={"agency": agency.slug})
    errors = error_summary(form)
    context = {"agency": agency, "people": people, "form": form, "errors": errors, "grantable": GRANTABLE,
               "agencies": Agency.objects.all() if is_system_admin(request.user) else None}  # fmt: skip
    return render(request, "accounts/members.html", context, status=400 if errors else 200)


def _member(request: HttpRequest, agency: Agency, pk: int) -> Membership:
    membership = Membership.objects.filter(pk=pk, agency=agency).select_related("user").first()
    if membership is None:  # another agency's person: not revealed
        audit.record("denied", request=request, object_type="accounts.membership", object_id=pk,
                     detail={"path": request.path})  # fmt: skip
        raise Http404("No such person")
    return membership


def _back(request: HttpRequest, agency: Agency) -> str:
    back = reverse("agency-members")
    return f"{back}?agency={agency.slug}" if is_system_admin(request.user) else back


@login_required
@require_POST
def change(request: HttpRequest, pk: int) -> HttpResponse:
    agency = managed_agency(request)
    membership = _member(request, agency, pk)
    roles = [r for r in request.POST.getlist("roles") if r in RoleCode.values]
    change_member(membership, roles=roles, active=request.POST.get("active") == "yes", request=request)
    messages.success(request, f"Saved {membership.user.username}.")
    return redirect(_back(request, agency))


@sensitive_post_parameters("password")
@never_cache
@login_required
def reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    """Set a temporary password for one of the agency's people (they change it at next sign-in)."""
    agency = managed_agency(request)
    membership = _member(request, agency, pk)
    person = membership.user
    if not may_manage(request.user, person):
        audit.record("denied", request=request, obj=membership, detail={"wanted": "password"})
        raise PermissionDenied("Only a system admin can change a system admin")
    form = TemporaryPasswordForm(request.POST or None, user=person)
    if request.method == "POST" and form.is_valid():
        set_temporary_password(person, form.cleaned_data["password"], by_user=request.user, request=request)
        messages.success(request, f"{person.username} has a temporary password. Give it to them in person: "
                                  "they must choose their own when they next sign in.")  # fmt: skip
        return redirect(_back(request, agency))
    errors = error_summary(form)
    context = {"agency": agency, "person": person, "form": form, "errors": errors,
               "back": _back(request, agency)}  # fmt: skip
    return render(request, "accounts/member_password.html", context, status=400 if errors else 200)
