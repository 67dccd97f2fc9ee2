"""Admin: look areas and populations up by code or name (boundaries are long, so kept read-only)."""

from __future__ import annotations

from django.contrib import admin

from saferhood.areas.models import Area, LsoaChange, Population


class PopulationInline(admin.TabularInline):
    model = Population
    extra = 0


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "vintages", "boundary_source"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]  # a select of 45k areas would not render
    readonly_fields = ["boundary"]
    inlines = [PopulationInline]


@admin.register(Population)
class PopulationAdmin(admin.ModelAdmin):
    list_display = ["area", "vintage", "count"]
    list_filter = ["vintage", "area__level"]
    search_fields = ["area__code", "area__name"]
    raw_id_fields = ["area"]


@admin.register(LsoaChange)
class LsoaChangeAdmin(admin.ModelAdmin):
    list_display = ["lsoa11", "lsoa21", "change"]
    list_filter = ["change"]
    search_fields = ["lsoa11", "lsoa21"]
