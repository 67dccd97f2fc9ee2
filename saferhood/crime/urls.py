from django.urls import path

from saferhood.crime import views

urlpatterns = [
    path("upload/", views.upload, name="data-upload"),
]
