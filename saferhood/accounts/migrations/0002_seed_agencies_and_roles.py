"""Seeds the partner agencies of a typical CSP and the six roles. Agencies are editable in the admin."""

from django.db import migrations

AGENCIES = [
    ("police", "Police"),
    ("council-asb", "Council ASB team"),
    ("housing", "Housing"),
    ("youth-justice", "Youth justice service"),
    ("probation", "Probation"),
    ("health", "Health"),
    ("fire", "Fire and rescue"),
    ("education", "Education"),
    ("voluntary-sector", "Voluntary sector"),
    ("csp-team", "CSP team"),
]
ROLES = ["viewer", "analyst", "officer", "tasking_chair", "agency_admin", "system_admin"]


def seed(apps, schema_editor):
    Agency = apps.get_model("accounts", "Agency")
    Role = apps.get_model("accounts", "Role")
    for slug, name in AGENCIES:
        Agency.objects.get_or_create(slug=slug, defaults={"name": name})
    for code in ROLES:
        Role.objects.get_or_create(code=code)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
