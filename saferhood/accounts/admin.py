"""Admin pages: agencies, users with their agency and roles, lock-outs, notes (scoped), the audit trail (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from saferhood.accounts.models import Agency, ConfidentialNote, Membership, SignInThrottle
from saferhood.accounts.roles import Action, is_system_admin
from saferhood.accounts.rules import may_manage
from saferhood.accounts.services import change_note
from saferhood.core import audit
from saferhood.core.models import AuditAction, AuditEvent

User = get_user_model()


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "active"]
    list_filter = ["active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = False
    filter_horizontal = ["roles"]
    extra = 1
    max_num = 1

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Only a system admin grants roles here (system admin among them) or moves people between agencies.
        return [] if is_system_admin(request.user) else ["agency", "roles"]


admin.site.unregister(User)


@admin.register(User)
class SaferhoodUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "agency", "is_active"]
    list_filter = ["is_active", "membership__agency", "membership__roles"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The one rule (accounts.rules): only a system admin changes a system admin.
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_manage(request.user, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or may_manage(request.user, obj))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not is_system_admin(request.user):  # nobody else makes a superuser or grants permissions
            fields += ["is_superuser", "is_staff", "groups", "user_permissions"]
        return fields

    @admin.display(description="Agency", ordering="membership__agency__name")
    def agency(self, obj: Any) -> str:
        membership = getattr(obj, "membership", None)
        return str(membership.agency) if membership else "–"


@admin.register(SignInThrottle)
class SignInThrottleAdmin(admin.ModelAdmin):
    list_display = ["key", "failures", "last_failure_at", "locked_until"]
    search_fields = ["key"]
    actions = ["unlock"]

    @admin.action(description="Unlock now")
    def unlock(self, request: HttpRequest, queryset: Any) -> None:
        queryset.update(failures=0, last_failure_at=None, locked_until=None)


@admin.register(ConfidentialNote)
class ConfidentialNoteAdmin(admin.ModelAdmin):
    """Even in the admin, a note is reached only through scoping."""

    list_display = ["id", "subject_name", "owner_agency", "sharing", "created_at"]
    list_filter = ["sharing", "owner_agency"]
    search_fields = ["subject_name", "subject_ref"]
    filter_horizontal = ["shared_with", "meeting_members"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return ConfidentialNote.objects.restrict(request.user, Action.VIEW)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if (
            obj is not None
            and not ConfidentialNote.objects.restrict(request.user, Action.CHANGE).filter(pk=obj.pk).exists()
        ):
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            fields = {
                name: form.cleaned_data[name]
                for name in ConfidentialNote.AUDITED_FIELDS
                if name in form.cleaned_data
            }
            original = ConfidentialNote.objects.restrict(request.user, Action.CHANGE).get(pk=obj.pk)
            change_note(original, by_user=request.user, request=request, **fields)
        else:
            obj.created_by = request.user
            super().save_model(request, obj, form, change)
            audit.record(AuditAction.CREATE, request=request, obj=obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_system_admin(request.user)  # erasure goes through apply_retention


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["id", "at", "username", "actor_agency", "action", "object_type", "object_id"]
    list_filter = ["action"]
    search_fields = ["username", "object_type", "object_id"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_system_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_system_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
