"""police.uk importers: street, outcomes and stop-and-search CSVs (files, folders, archive zips) and API JSON."""

from saferhood.crime.importers.police import import_police
from saferhood.crime.importers.summary import PoliceImportSummary, RunSummary

__all__ = ["import_police", "PoliceImportSummary", "RunSummary"]
