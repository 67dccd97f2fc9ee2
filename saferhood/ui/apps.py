from django.apps import AppConfig


class UiConfig(AppConfig):
    """Shared presentation: the SVG chart kit and project-wide template tags (no domain imports)."""

    name = "saferhood.ui"
    label = "ui"
