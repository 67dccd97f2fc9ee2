from django.apps import AppConfig


class TaskingConfig(AppConfig):
    name = "saferhood.tasking"
    label = "tasking"
    verbose_name = "Town and Borough Tasking"

    def ready(self) -> None:
        # Closed-part cases hold personal data: retention and subject access must cover them.
        from saferhood.accounts import privacy
        from saferhood.tasking.models import ClosedCase

        privacy.register(
            ClosedCase, name_field="subject", person_id_field="subject_ref", date_field="recorded_on"
        )
