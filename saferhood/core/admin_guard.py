"""The Django admin stays closed to personal data: a system check that fails if it is not.

The admin reads and writes rows without record scoping and without the audit trail. Rather
than teach every ModelAdmin both, Saferhood keeps personal-data models (``audit.is_personal``:
every ``ConfidentialRecord``) and the audit trail itself out of it. This check runs with
``manage.py check``, ``migrate`` and ``runserver``, so a later ``admin.register(Case)`` stops
the project from starting instead of opening an unaudited path.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.core.checks import Error, Tags, register

from saferhood.core import audit
from saferhood.core.models import AuditEvent


def problems_in(site: AdminSite) -> list[Error]:
    """An error for each personal-data model (or the audit trail) registered with ``site``."""
    return [
        Error(
            f"{model._meta.label} holds personal data and is registered in the Django admin, "
            "which bypasses record scoping and the audit trail.",
            hint="Remove its admin.register: reach it through scoped, audited views and services.",
            obj=model,
            id="saferhood.E001",
        )
        for model in site._registry
        if model is AuditEvent or audit.is_personal(model)
    ]


@register(Tags.security)
def personal_data_not_in_admin(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from django.contrib import admin

    return problems_in(admin.site)
