from django.urls import path

from saferhood.accounts import members, passwords, signin, views

urlpatterns = [
    path("sign-in/code/", signin.sign_in_code, name="sign-in-code"),
    path("account/two-factor/", signin.two_factor, name="two-factor"),
    path("account/password/", passwords.change_password, name="password-change"),
    path("notes/", views.note_search, name="note-search"),
    path("notes/<int:pk>/", views.NoteDetailView.as_view(), name="note-detail"),
    path("audit/", views.audit_search, name="audit"),
    path("agency/people/", members.members, name="agency-members"),
    path("agency/people/<int:pk>/", members.change, name="agency-member-change"),
    path("agency/people/<int:pk>/password/", members.reset_password, name="agency-member-password"),
    path("audit/export.csv", views.audit_export, name="audit-export"),
]
