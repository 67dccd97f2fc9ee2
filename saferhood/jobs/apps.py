from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "saferhood.jobs"
    label = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from saferhood.core.health import register_readiness_check
        from saferhood.jobs.liveness import worker_readiness

        # Job kinds register themselves when their app's tasks module is imported.
        autodiscover_modules("tasks")
        register_readiness_check("worker", worker_readiness)
