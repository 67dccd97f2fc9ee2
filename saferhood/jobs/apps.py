from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "saferhood.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
