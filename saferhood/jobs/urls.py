from django.urls import path

from saferhood.jobs import views

urlpatterns = [
    path("", views.job_list, name="jobs"),
    path("<int:pk>/", views.job_detail, name="jobs-detail"),
    path("<int:pk>/retry/", views.job_retry, name="jobs-retry"),
]
