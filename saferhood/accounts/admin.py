"""Admin pages: agencies, users with their agency and roles, lock-outs.

The admin is closed to personal data (issue 13): confidential records and the audit trail are
not registered here, because every look at them must go through record scoping and leave an
audit event, and a second, generic path that had to repeat both is one more place to get it
wrong. ``saferhood.core.admin_guard`` refuses to start (system check) if any app's admin
registers a personal-data model or the audit trail; notes are read on their own pages and
changed through ``services``, the audit trail is searched on ``/audit/``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from saferhood.accounts.models import Agency, Membership, SignInThrottle
from saferhood.accounts.roles import is_system_admin
from saferhood.accounts.rules import may_manage

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
