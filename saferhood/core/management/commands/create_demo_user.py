"""``saferhood create_demo_user``: the analyst account ``make run`` prints, for local demos only.

The user belongs to the CSP team agency with the analyst role; running it again updates the
same user (password, agency, roles) rather than adding another.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from saferhood.accounts.models import Agency, Membership, Role
from saferhood.accounts.roles import RoleCode

DEFAULT_PASSWORD = "sandwell-demo-2026"


class Command(BaseCommand):
    help = "Create or update the demo sign-in (dev profile only). Password from DEMO_PASSWORD."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="analyst")
        parser.add_argument(
            "--password",
            default=None,
            help=f"default: the DEMO_PASSWORD environment variable, else '{DEFAULT_PASSWORD}'",
        )

    def handle(self, *args, username: str, password: str | None, **options) -> None:
        if not settings.DEV:
            # A well-known password must never reach a production database.
            raise CommandError("create_demo_user runs only with SAFERHOOD_PROFILE=dev")
        password = password or os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        user_model = get_user_model()
        with transaction.atomic():
            user, created = user_model.objects.get_or_create(
                username=username, defaults={"first_name": "Demo", "last_name": "Analyst"}
            )
            user.set_password(password)
            user.is_active = True
            user.save()
            agency, _ = Agency.objects.get_or_create(slug="csp-team", defaults={"name": "CSP team"})
            membership, _ = Membership.objects.update_or_create(user=user, defaults={"agency": agency})
            role, _ = Role.objects.get_or_create(code=RoleCode.ANALYST)
            membership.roles.set([role])
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} user '{username}' ({agency.name}, analyst) with password '{password}'")
