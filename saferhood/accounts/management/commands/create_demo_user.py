"""``saferhood create_demo_user``: the analyst account ``make run`` prints, for local demos only.

The user belongs to the CSP team agency with the analyst role; running it again updates the
same user (password, agency, roles) rather than adding another.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from saferhood.accounts.models import Agency, Membership, Role
from saferhood.accounts.roles import RoleCode

DEFAULT_PASSWORD = "sandwell-demo-2026"


def _password_stamp(password: str, stored_hash: str) -> str:
    """Marks a stored hash as made from ``password`` by this command, checked without re-hashing.

    Hashing (or checking) a password costs most of a second by design, and ``make run`` sets the
    same two passwords every time. A changed password (the sign-in form, the admin) changes the
    stored hash, so the stamp no longer matches and the password is set again.
    """
    message = f"{password}\0{stored_hash}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


class Command(BaseCommand):
    help = "Create or update the demo sign-in (dev profile only). Password from DEMO_PASSWORD."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="analyst")
        parser.add_argument("--agency", default="csp-team", help="agency slug (default csp-team)")
        parser.add_argument(
            "--role", default=RoleCode.ANALYST, choices=RoleCode.values, help="default analyst"
        )
        parser.add_argument(
            "--password",
            default=None,
            help=f"default: the DEMO_PASSWORD environment variable, else '{DEFAULT_PASSWORD}'",
        )

    def handle(self, *args, username: str, password: str | None, agency: str, role: str, **options) -> None:
        if not settings.DEV:
            # A well-known password must never reach a production database.
            raise CommandError("create_demo_user runs only with SAFERHOOD_PROFILE=dev")
        password = password or os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        user_model = get_user_model()
        with transaction.atomic():
            user, created = user_model.objects.get_or_create(
                username=username, defaults={"first_name": "Demo", "last_name": "Analyst"}
            )
            stamp_key = f"saferhood:demo-password:{username}"
            if created or cache.get(stamp_key) != _password_stamp(password, user.password):
                user.set_password(password)
            user.is_active = True
            user.save()
            found = Agency.objects.filter(slug=agency).first()
            if found is None:
                raise CommandError(
                    f"no agency {agency!r}: one of {', '.join(Agency.objects.values_list('slug', flat=True))}"
                )
            membership, _ = Membership.objects.update_or_create(user=user, defaults={"agency": found})
            membership.roles.set([Role.objects.get_or_create(code=role)[0]])
        cache.set(stamp_key, _password_stamp(password, user.password), timeout=None)
        verb = "Created" if created else "Updated"
        label = RoleCode(role).label.lower()
        self.stdout.write(f"{verb} user '{username}' ({found.name}, {label}) with password '{password}'")
