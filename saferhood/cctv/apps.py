from django.apps import AppConfig


class CctvConfig(AppConfig):
    name = "saferhood.cctv"
    verbose_name = "Deployable CCTV"
