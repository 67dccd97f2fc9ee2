"""URL routes."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from saferhood.accounts.signin import SignInView, admin_sign_in
from saferhood.api import api
from saferhood.core.health import healthz, readyz

urlpatterns = [
    # Load-balancer probes: public, no session, nothing personal.
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    # The admin has no sign-in of its own: it sends people to Saferhood's (password, then code).
    path("admin/login/", admin_sign_in, name="admin-sign-in"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # Password, lock-out, then the TOTP code for users who enrolled one.
    path("sign-in/", SignInView.as_view(), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("saferhood.accounts.urls")),
    path("cctv/", include("saferhood.cctv.urls")),
    path("tasking/", include("saferhood.tasking.urls")),
    path("jobs/", include("saferhood.jobs.urls")),
    path("", include("saferhood.dashboard.urls")),
]
