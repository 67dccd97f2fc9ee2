from django.urls import path

from saferhood.tasking import views

urlpatterns = [
    path("", views.meetings, name="tasking-meetings"),
    path("meetings/<int:pk>/", views.meeting, name="tasking-meeting"),
    path("meetings/<int:pk>/minutes/", views.minutes, name="tasking-minutes"),
    path("meetings/<int:pk>/minutes/add/", views.add_minute, name="tasking-add-minute"),
    path("meetings/<int:pk>/closed/", views.closed_part, name="tasking-closed"),
    path("meetings/<int:pk>/pack/", views.pack, name="tasking-pack"),
    path("meetings/<int:pk>/pack.pdf", views.pack_pdf, name="tasking-pack-pdf"),
    path("problems/<int:pk>/", views.problem, name="tasking-problem"),
    path("actions/<int:pk>/update/", views.update_action, name="tasking-update-action"),
]
