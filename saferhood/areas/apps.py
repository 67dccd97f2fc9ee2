from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "saferhood.areas"
    label = "areas"
