from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "saferhood.accounts"
    label = "accounts"
    verbose_name = "Agencies, users and access"

    def ready(self) -> None:
        # Sign-in, failed sign-in and sign-out reach the audit trail through Django's auth
        # signals: the only way to see the admin's and every other sign-in path too.
        from saferhood.accounts import privacy, signals  # noqa: F401
        from saferhood.accounts.models import ConfidentialNote
        from saferhood.accounts.scoping import ConfidentialRecord
        from saferhood.core import audit

        # Every confidential model, now and later, reaches the audit trail as digests only.
        audit.register_personal_data(ConfidentialRecord)

        privacy.register(
            ConfidentialNote,
            name_field="subject_name",
            person_id_field="subject_ref",
            date_field="created_at",
        )
