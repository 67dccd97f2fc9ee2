"""Passwords: a signed-in person changes their own; an admin sets a temporary one.

A password someone else chose (a first password, or a reset by an agency or system admin) is
temporary: ``TemporaryPassword`` marks it, and every page sends its owner to change it
(``accounts.middleware``) until they have. Changing a password signs out the person's other
sessions (Django checks a hash of the password on every request).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import password_validation, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from saferhood.accounts import lockout
from saferhood.accounts.models import TemporaryPassword
from saferhood.accounts.rules import may_manage
from saferhood.accounts.signin import safe_next
from saferhood.core import audit
from saferhood.core.forms import error_summary
from saferhood.core.models import AuditAction

PASSWORD_HINT = "At least 12 characters, not a common password, not all numbers and not like your name"


class ChangePasswordForm(PasswordChangeForm):
    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": "Your current password is not right: enter the password you signed in with",
        "password_mismatch": "The new passwords do not match: type the same new password in both boxes",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["old_password"].error_messages["required"] = "Enter your current password"
        self.fields["new_password1"].label = "New password"
        self.fields["new_password1"].help_text = PASSWORD_HINT
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].label = "New password again"
        self.fields["new_password2"].help_text = ""
        self.fields["new_password2"].error_messages["required"] = "Enter the new password again"

    def clean(self) -> dict[str, Any]:
        # Django puts the validators' verdict on the second box; it is about the first.
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        new = self.cleaned_data.get("new_password1")
        if new and self.user.check_password(new):
            self.add_error("new_password1", "Choose a new password, not the one you have now")
        return forms.Form.clean(self)


class TemporaryPasswordForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput,
        label="Temporary password",
        help_text=f"{PASSWORD_HINT}. They must change it when they next sign in.",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        password_validation.validate_password(password, self.user)
        return password


def must_change_password(user: Any) -> bool:
    return bool(getattr(user, "pk", None)) and TemporaryPassword.objects.filter(user_id=user.pk).exists()


def set_temporary_password(target: Any, password: str, *, by_user: Any, request: HttpRequest | None) -> None:
    """Give ``target`` a password ``by_user`` chose; they must change it at their next sign-in.

    Their current sessions end (the password hash changes) and any sign-in wait is lifted.
    """
    if not may_manage(by_user, target):
        audit.record(
            AuditAction.DENIED, request=request, user=by_user, obj=target, detail={"wanted": "password"}
        )
        raise PermissionDenied("You may not set this person's password")
    with transaction.atomic():
        target.set_password(password)
        target.save(update_fields=["password"])
        TemporaryPassword.objects.update_or_create(user=target, defaults={"set_by": by_user})
        lockout.unlock(target.get_username())
        audit.record(AuditAction.CHANGE, request=request, user=by_user, obj=target,
                     detail={"password": "temporary password set"})  # fmt: skip


def mark_temporary(user: Any, *, by_user: Any) -> None:
    """A first password chosen by an admin is temporary too."""
    TemporaryPassword.objects.update_or_create(user=user, defaults={"set_by": by_user})


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
@login_required
def change_password(request: HttpRequest) -> HttpResponse:
    user = request.user
    forced = must_change_password(user)
    form = ChangePasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            TemporaryPassword.objects.filter(user_id=user.pk).delete()
            audit.record(AuditAction.CHANGE, request=request, obj=user,
                         detail={"password": "changed", "was_temporary": forced})  # fmt: skip
        update_session_auth_hash(request, form.user)  # this session stays; the others end
        messages.success(
            request,
            "Your password has been changed. Anywhere else you were signed in, you are now signed out.",
        )
        return redirect(safe_next(request, request.GET.get("next"), resolve_url("home")))
    errors = error_summary(form)
    context = {"form": form, "errors": errors, "forced": forced}
    return render(request, "accounts/password_change.html", context, status=400 if errors else 200)
