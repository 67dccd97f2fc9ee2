from django.urls import path

from saferhood.crime import views

urlpatterns = [
    path("upload/", views.upload, name="data-upload"),
    path("refresh/", views.refresh_now, name="data-refresh"),
]
