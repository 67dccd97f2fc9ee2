"""Forms for sign-in, the second factor, the audit search and notes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from saferhood.accounts import lockout
from saferhood.core.audit import client_ip
from saferhood.core.models import AuditAction


class SignInForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
        "locked": "%(message)s",
    }

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError:
            # This failure may be the one that started a wait: say until when, at once.
            wait = lockout.wait_for(self.cleaned_data.get("username"), client_ip(self.request))
            if wait is not None:
                raise forms.ValidationError(
                    self.error_messages["locked"], code="locked", params={"message": wait.message()}
                ) from None
            raise


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code from your authenticator app",
        min_length=6,
        max_length=8,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError("The code is 6 digits")
        return token


class AuditSearchForm(forms.Form):
    user = forms.CharField(label="Username", required=False, max_length=150)
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any action"), *AuditAction.choices]
    )
    start = forms.DateField(label="From (YYYY-MM-DD)", required=False, input_formats=["%Y-%m-%d"])
    end = forms.DateField(label="To (YYYY-MM-DD)", required=False, input_formats=["%Y-%m-%d"])
    object_type = forms.CharField(label="Record type", required=False, max_length=100)
    object_id = forms.CharField(label="Record id", required=False, max_length=64)
    # System admins only (the view drops it for others): personal values are kept as keyed
    # digests, so this finds events whose digest matches what is typed, never stores it.
    value = forms.CharField(label="Name or value searched or changed", required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The 'to' date must be the same as or after the 'from' date")
        return data
