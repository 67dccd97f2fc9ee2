"""Admin views of police.uk imports and records: read-only, since imports own these rows."""

from __future__ import annotations

from django.contrib import admin

from saferhood.crime.models import CrimeRecord, ImportRun, MonthlyCount, OutcomeRecord, StopSearchRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    # Records change only by re-importing their force-month; edits here would drift from MonthlyCount.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = ["kind", "force", "month", "status", "rows_stored", "rows_replaced", "created_on"]
    list_filter = ["kind", "status", "force"]
    search_fields = ["force", "month", "file_name"]


@admin.register(CrimeRecord)
class CrimeRecordAdmin(ReadOnlyAdmin):
    list_display = ["month", "crime_type", "location", "ward_code", "lad_code", "placement"]
    list_filter = ["crime_type", "placement", "month"]
    search_fields = ["crime_id", "location", "published_lsoa_code"]
    list_select_related = ["run"]


@admin.register(OutcomeRecord)
class OutcomeRecordAdmin(ReadOnlyAdmin):
    list_display = ["month", "crime_id", "outcome_type", "lad_code", "placement"]
    list_filter = ["outcome_type", "month"]
    search_fields = ["crime_id"]


@admin.register(StopSearchRecord)
class StopSearchRecordAdmin(ReadOnlyAdmin):
    list_display = ["date", "search_type", "object_of_search", "outcome", "lad_code"]
    list_filter = ["search_type", "month"]


@admin.register(MonthlyCount)
class MonthlyCountAdmin(ReadOnlyAdmin):
    list_display = ["month", "source", "crime_type", "lsoa_code", "ward_code", "lad_code", "count"]
    list_filter = ["source", "crime_type", "month"]
    search_fields = ["lsoa_code", "ward_code", "lad_code"]
