import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(db_index=True)),
                ("username", models.CharField(blank=True, db_index=True, max_length=150)),
                ("actor_agency", models.CharField(blank=True, db_index=True, max_length=64)),
                ("ip_address", models.GenericIPAddressField(blank=True, null=True)),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("sign-in", "Signed in"),
                            ("sign-in-failed", "Failed sign-in"),
                            ("sign-out", "Signed out"),
                            ("view", "Viewed"),
                            ("search", "Searched"),
                            ("create", "Created"),
                            ("change", "Changed"),
                            ("delete", "Erased"),
                            ("export", "Exported"),
                            ("download", "Downloaded"),
                            ("denied", "Denied"),
                        ],
                        db_index=True,
                        max_length=20,
                    ),
                ),
                ("object_type", models.CharField(blank=True, db_index=True, max_length=100)),
                ("object_id", models.CharField(blank=True, db_index=True, max_length=64)),
                ("detail", models.JSONField(blank=True, default=dict)),
                (
                    "changes",
                    models.JSONField(blank=True, help_text="{field: [old, new]} for a change", null=True),
                ),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64, unique=True)),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-id"],
                "indexes": [models.Index(fields=["object_type", "object_id"], name="core_audit_object_idx")],
            },
        ),
    ]
