from django.urls import path

from saferhood.dashboard import views

urlpatterns = [
    path("", views.home, name="home"),
    path("areas/<str:code>/", views.area_profile, name="area-profile"),
    path(
        "areas/<str:code>/download/<slug:name>.<str:fmt>",
        views.area_download,
        name="area-download",
    ),
]
