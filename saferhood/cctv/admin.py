from django.contrib import admin

from saferhood.cctv.models import Camera, Deployment, DeploymentRequest

# Read-only in the admin: changes go through services.py, which checks the role and audits them.


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


admin.site.register(Camera, ReadOnly)
admin.site.register(DeploymentRequest, ReadOnly)
admin.site.register(Deployment, ReadOnly)
