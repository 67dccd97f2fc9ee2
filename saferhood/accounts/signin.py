"""The one sign-in path (password, then the TOTP code when the user has one) and TOTP enrolment.

The admin's own sign-in page redirects here (``admin_sign_in``); ``accounts.middleware`` signs
out any session of a user with a device that was not verified by a code.
"""

from __future__ import annotations

import base64
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout, user_login_failed
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from saferhood.accounts import lockout
from saferhood.accounts.forms import SignInForm, TokenForm
from saferhood.core import audit
from saferhood.core.audit import client_ip
from saferhood.core.models import AuditAction

PENDING_KEY = "saferhood_pending_second_factor"
PENDING_SECONDS = 5 * 60


class SignInView(LoginView):
    template_name = "accounts/sign_in.html"
    form_class = SignInForm

    def form_valid(self, form: SignInForm) -> HttpResponse:
        user = form.get_user()
        if user_has_device(user, confirmed=True):
            # The password was right; the session is not signed in until the code is too
            # (login() is called only then). A session signed in as someone else ends first,
            # so it is never one person's with another's password step pending.
            if self.request.user.is_authenticated:
                logout(self.request)
            self.request.session[PENDING_KEY] = {
                "user": user.pk,
                "backend": user.backend,
                "at": int(time.time()),
                "next": self.get_success_url(),
            }
            return redirect("sign-in-code")
        return super().form_valid(form)


@sensitive_post_parameters("token")
@csrf_protect
@never_cache
def sign_in_code(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        messages.info(request, "Sign in again: the time to enter your code ran out.")
        return redirect("login")
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING_KEY, None)
        return redirect("login")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if lockout.wait_for(user.get_username(), client_ip(request)) is None:
            device = match_token(user, form.cleaned_data["token"])
        else:
            device = None
        if device is not None:
            request.session.pop(PENDING_KEY, None)
            user.backend = pending["backend"]
            request.saferhood_second_factor = True
            login(request, user)
            otp_login(request, device)
            return redirect(safe_next(request, pending.get("next"), resolve_url(settings.LOGIN_REDIRECT_URL)))
        request.saferhood_failed_step = "second factor"
        user_login_failed.send(
            sender=__name__, credentials={"username": user.get_username()}, request=request
        )
        wait = lockout.wait_for(user.get_username(), client_ip(request))
        if wait is not None:
            request.session.pop(PENDING_KEY, None)
            messages.error(request, wait.message())
            return redirect("login")
        form.add_error("token", "The code is not right: enter the code your app shows now")
    return render(request, "accounts/sign_in_code.html", {"form": form})


def safe_next(request: HttpRequest, target: str | None, default: str) -> str:
    """``target`` if it stays on this site, else ``default`` (no open redirect)."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@never_cache
def admin_sign_in(request: HttpRequest) -> HttpResponse:
    """The Django admin's sign-in page, replaced: one sign-in path, with the second factor."""
    target = safe_next(request, request.GET.get("next"), reverse("admin:index"))
    return redirect(f"{reverse('login')}?{urlencode({'next': target})}")


def _qr_data_uri(device: TOTPDevice) -> str:
    import segno  # only the set-up page draws a QR code: not loaded at start-up

    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


@login_required
@never_cache
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrol (or remove) an authenticator app for the signed-in user."""
    user = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    form = TokenForm(request.POST or None)
    if confirmed is not None:
        if request.method == "POST" and form.is_valid():
            if confirmed.verify_token(form.cleaned_data["token"]):
                TOTPDevice.objects.filter(user=user).delete()
                audit.record(AuditAction.CHANGE, request=request, obj=user, detail={"two_factor": "removed"})
                messages.success(request, "Two-factor sign-in is off.")
                return redirect("two-factor")
            form.add_error("token", "The code is not right: enter the code your app shows now")
        return render(request, "accounts/two_factor.html", {"form": form, "enrolled": True})

    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save()
            otp_login(request, device)
            audit.record(AuditAction.CHANGE, request=request, obj=user, detail={"two_factor": "enrolled"})
            messages.success(request, "Two-factor sign-in is on: you will be asked for a code each time.")
            return redirect(safe_next(request, request.GET.get("next"), reverse("two-factor")))
        form.add_error("token", "The code is not right: check the time on your phone and try the new code")
    context = {
        "form": form,
        "enrolled": False,
        "qr": _qr_data_uri(device),
        "secret": base64.b32encode(device.bin_key).decode(),
    }
    return render(request, "accounts/two_factor.html", context)


__all__ = ["SignInView", "admin_sign_in", "safe_next", "sign_in_code", "two_factor"]
