from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    """The evidence base's read model: area profiles, coverage, analyses, their API and figures."""

    name = "saferhood.evidence"
    label = "evidence"
