from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "saferhood.core"
    label = "core"

    def ready(self) -> None:
        from saferhood.core import admin_guard  # noqa: F401 - registers its system check
        from saferhood.core.process_exit import skip_final_collection

        skip_final_collection()
