from django.urls import path

from saferhood.cctv import views

urlpatterns = [
    path("", views.index, name="cctv-index"),
    path("requests/", views.create_request, name="cctv-request-create"),
    path("deployments/", views.deploy, name="cctv-deploy"),
    path("deployments/<int:pk>/", views.deployment_detail, name="cctv-deployment"),
    path("deployments/<int:pk>/end/", views.end, name="cctv-deployment-end"),
]
