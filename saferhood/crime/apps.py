from django.apps import AppConfig


class CrimeConfig(AppConfig):
    name = "saferhood.crime"
    label = "crime"
