from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "saferhood.core"
    label = "core"
