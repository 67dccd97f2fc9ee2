from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "saferhood.dashboard"
    label = "dashboard"
