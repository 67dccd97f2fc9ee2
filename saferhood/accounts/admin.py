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


admin.site.unregister(User)


@admin.register(User)
class SaferhoodUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "agency", "is_active"]
    list_filter = ["is_active", "membership__agency", "membership__roles"]

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
