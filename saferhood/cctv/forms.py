"""The form for a CCTV deployment request (rendered by hand in GOV.UK markup)."""

from __future__ import annotations

from django import forms

from saferhood.accounts.models import Agency
from saferhood.core.forms import error_summary


class _CctvForm(forms.Form):
    """The CCTV templates give each control the field's own name as its id."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)


class RequestForm(_CctvForm):
    place_name = forms.CharField(
        max_length=200,
        error_messages={"required": "Enter the name of the place, for example a street or park"},
    )
    longitude = forms.FloatField(
        min_value=-9,
        max_value=2,
        error_messages={
            "required": "Enter the longitude, for example -2.1166",
            "invalid": "Longitude must be a number, for example -2.1166",
            "min_value": "Longitude must be between -9 and 2 (Great Britain)",
            "max_value": "Longitude must be between -9 and 2 (Great Britain)",
        },
    )
    latitude = forms.FloatField(
        min_value=49,
        max_value=61,
        error_messages={
            "required": "Enter the latitude, for example 52.8067",
            "invalid": "Latitude must be a number, for example 52.8067",
            "min_value": "Latitude must be between 49 and 61 (Great Britain)",
            "max_value": "Latitude must be between 49 and 61 (Great Britain)",
        },
    )
    requesting_agency = forms.ModelChoiceField(
        queryset=Agency.objects.filter(active=True),
        error_messages={
            "required": "Select the agency asking for the camera",
            "invalid_choice": "Select an agency from the list",
        },
    )
    reason = forms.CharField(
        max_length=4000, error_messages={"required": "Say why a camera is needed there (places, not people)"}
    )
    requested_on = forms.DateField(
        error_messages={
            "required": "Enter the date of the request, for example 2022-12-01",
            "invalid": "The date of the request must be a date like 2022-12-01",
        }
    )
    meeting_reference = forms.CharField(max_length=200, required=False)

    def error_items(self) -> list[dict[str, str]]:
        """GOV.UK error-summary items, in the form's order, each linking to its field."""
        return error_summary(self, non_field_target="place_name")


DATE_ERRORS = {"required": "Enter a date, for example 2022-05-01", "invalid": "Enter a date like 2022-05-01"}


class DeployForm(_CctvForm):
    """Deploy an available camera for a pending or approved request."""

    deploy_request = forms.ModelChoiceField(
        queryset=None,
        error_messages={"required": "Select the request", "invalid_choice": "Select a request from the list"},
    )
    camera = forms.ModelChoiceField(
        queryset=None,
        error_messages={
            "required": "Select an available camera",
            "invalid_choice": "Select an available camera",
        },
    )
    start = forms.DateField(error_messages=DATE_ERRORS)
    review_due = forms.DateField(error_messages=DATE_ERRORS)

    def __init__(self, *args, **kwargs) -> None:
        from saferhood.cctv.models import Camera, CameraStatus, DeploymentRequest, RequestStatus

        super().__init__(*args, **kwargs)
        self.fields["deploy_request"].queryset = DeploymentRequest.objects.filter(
            status__in=[RequestStatus.PENDING, RequestStatus.APPROVED]
        )
        self.fields["camera"].queryset = Camera.objects.filter(status=CameraStatus.AVAILABLE)

    def error_items(self) -> list[dict[str, str]]:
        return error_summary(self)


class EndForm(_CctvForm):
    end = forms.DateField(error_messages=DATE_ERRORS)

    def error_items(self) -> list[dict[str, str]]:
        return error_summary(self)
