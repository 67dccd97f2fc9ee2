"""Object scoping, enforced once: who may view, change or export a confidential record.

Every model that holds personal data subclasses ``ConfidentialRecord``. Its only manager,
``objects``, returns a ``RestrictedQuerySet`` that refuses to fetch, count or change rows until
visibility is chosen with ``.restrict(user, action)`` (or, for a system job that acts for
nobody, ``.for_system(purpose)``). Views use ``ScopedObjectMixin``; the API uses
``scoped_object`` / ``scoped_search``; both audit the view, search or export, and the denied
attempt. No view filters by agency by hand.

The rules (tested as a table in ``tests/test_matrix.py``):

- a role allows actions (``roles.ROLE_ACTIONS``): viewer views; analyst views and exports;
  officer views and changes; tasking chair, agency admin and system admin do all three;
- a system admin may act on every record;
- otherwise the record's sharing decides whom it reaches:
  OWN_AGENCY — the owner agency's users; SHARED — plus users of the named agencies (view only);
  PARTNERSHIP — every agency's users (others view only); CLOSED — only the members of the
  closed meeting, whichever their agency (view and change; export only by the owner agency's
  members). Change and export are otherwise for the owner agency's users only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest

from saferhood.accounts.roles import Action, allowed_actions, is_system_admin, membership_of


class Sharing(models.TextChoices):
    OWN_AGENCY = "own", "Own agency only"
    SHARED = "shared", "Shared with named agencies"
    PARTNERSHIP = "partnership", "Partnership-wide"
    CLOSED = "closed", "Closed meeting members only"


class UnscopedQueryError(RuntimeError):
    """A confidential queryset was evaluated before choosing visibility."""


class RestrictedQuerySet(models.QuerySet):
    """A queryset that must be restricted before it gives rows (NetBox's ``restrict``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._scope: tuple[Any, ...] | None = None

    def _clone(self) -> RestrictedQuerySet:
        clone = super()._clone()
        clone._scope = self._scope
        return clone

    def _require_scope(self) -> None:
        if self._scope is None:
            raise UnscopedQueryError(
                f"{self.model._meta.label} is confidential: call .restrict(user, action) "
                "(or .for_system(purpose) in a system job) before reading it"
            )

    def restrict(self, user: Any, action: str = Action.VIEW) -> RestrictedQuerySet:
        """Only the rows ``user`` may ``action`` (view, change or export)."""
        condition = visibility(self.model, user, action)
        qs = self.none() if condition is None else self.filter(condition)
        qs._scope = ("user", getattr(user, "pk", None), str(action))
        return qs

    def for_system(self, purpose: str) -> RestrictedQuerySet:
        """Every row, for a job that acts for nobody (retention, subject access). Name why."""
        if not purpose:
            raise ValueError("for_system needs a purpose")
        qs = self._chain()
        qs._scope = ("system", purpose)
        return qs

    # Every way Django reads or writes rows goes through one of these.
    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._require_scope()
        super()._fetch_all()

    def iterator(self, *args: Any, **kwargs: Any):
        self._require_scope()
        return super().iterator(*args, **kwargs)

    def count(self) -> int:
        self._require_scope()
        return super().count()

    def exists(self) -> bool:
        self._require_scope()
        return super().exists()

    def contains(self, obj: models.Model) -> bool:
        self._require_scope()
        return super().contains(obj)

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._require_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        self._require_scope()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._require_scope()
        return super().delete()

    def explain(self, *args: Any, **kwargs: Any) -> str:
        self._require_scope()
        return super().explain(*args, **kwargs)


class RestrictedManager(models.Manager.from_queryset(RestrictedQuerySet)):
    pass


class ConfidentialRecord(models.Model):
    """Abstract base of every model that holds personal data.

    ``closed_meeting_q`` is the hook for CLOSED sharing: by default the record's own
    ``meeting_members``; a later model (a tasking case) overrides it to mean "attends the
    closed part of the meeting this case is on".
    """

    owner_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    sharing = models.CharField(max_length=16, choices=Sharing.choices, default=Sharing.OWN_AGENCY)
    shared_with = models.ManyToManyField(
        "accounts.Agency", blank=True, related_name="+", help_text="for 'shared with named agencies'"
    )
    meeting_members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", help_text="for 'closed meeting members only'"
    )

    objects = RestrictedManager()

    class Meta:
        abstract = True

    @classmethod
    def _through_exists(cls, field: str, target_id: int) -> Exists:
        m2m = cls._meta.get_field(field)
        through = m2m.remote_field.through
        return Exists(
            through.objects.filter(
                **{
                    f"{m2m.m2m_field_name()}_id": OuterRef("pk"),
                    f"{m2m.m2m_reverse_field_name()}_id": target_id,
                }
            )
        )

    @classmethod
    def closed_meeting_q(cls, user: Any) -> Q:
        return Q(cls._through_exists("meeting_members", user.pk))

    @classmethod
    def shared_with_q(cls, agency_id: int) -> Q:
        return Q(cls._through_exists("shared_with", agency_id))


def visibility(model: type[ConfidentialRecord], user: Any, action: str) -> Q | None:
    """The condition on ``model`` rows that ``user`` may ``action``; None means nothing."""
    if action not in Action.values:
        raise ValueError(f"unknown action {action!r}")
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if is_system_admin(user):
        return Q()
    if action not in allowed_actions(user):
        return None
    membership = membership_of(user)
    if membership is None or not membership.agency.active:
        return None
    agency_id = membership.agency_id
    own = Q(owner_agency_id=agency_id) & ~Q(sharing=Sharing.CLOSED)
    closed_member = Q(sharing=Sharing.CLOSED) & model.closed_meeting_q(user)
    if action == Action.VIEW:
        return (
            own
            | (Q(sharing=Sharing.SHARED) & model.shared_with_q(agency_id))
            | Q(sharing=Sharing.PARTNERSHIP)
            | closed_member
        )
    if action == Action.CHANGE:
        return own | closed_member
    return own | (closed_member & Q(owner_agency_id=agency_id))  # export


def can(user: Any, obj: ConfidentialRecord, action: str) -> bool:
    """Whether ``user`` may ``action`` this one record (the same rule as ``restrict``)."""
    return type(obj).objects.restrict(user, action).filter(pk=obj.pk).exists()


# --- the one way views and the API reach a record -------------------------------------------


def _audit(action: str, request: HttpRequest, **kwargs: Any) -> None:
    from saferhood.core import audit

    audit.record(action, request=request, **kwargs)


_AUDIT_FOR_ACTION = {Action.VIEW: "view", Action.CHANGE: "change", Action.EXPORT: "export"}


def scoped_object(
    request: HttpRequest,
    model: type[ConfidentialRecord],
    pk: Any,
    action: str = Action.VIEW,
    *,
    audit: bool = True,
) -> ConfidentialRecord:
    """The record, if the request's user may ``action`` it; else 404 (existence is not revealed).

    A successful view is audited as ``view`` (set ``audit=False`` where the caller records a
    richer event, e.g. a change with old → new values); a refusal is always audited as ``denied``.
    """
    try:
        obj = model.objects.restrict(request.user, action).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        _audit(
            "denied",
            request=request,
            object_type=model._meta.label_lower,
            object_id=str(pk)[:64],
            detail={"wanted": str(action), "path": request.path},
        )
        raise Http404("No such record") from None
    if audit and action == Action.VIEW:
        _audit("view", request=request, obj=obj, detail={"path": request.path})
    return obj


def scoped_search(
    request: HttpRequest, model: type[ConfidentialRecord], criteria: dict[str, Any], action: str = Action.VIEW
) -> RestrictedQuerySet:
    """The rows the user may ``action``; audits the search (or the export) and its criteria."""
    qs = model.objects.restrict(request.user, action)
    event = "export" if action == Action.EXPORT else "search"
    _audit(
        event,
        request=request,
        object_type=model._meta.label_lower,
        detail={"criteria": {k: v for k, v in criteria.items() if v not in (None, "")}, "path": request.path},
    )
    return qs


class ScopedObjectMixin(LoginRequiredMixin):
    """For class-based views of a confidential model: ``get_object`` goes through scoping.

    Set ``model`` and ``scope_action`` (view by default). ``get_queryset`` is restricted too,
    so list views built on it only ever see what the user may see.
    """

    model: type[ConfidentialRecord]
    scope_action: str = Action.VIEW
    audit_view = True

    def get_queryset(self) -> RestrictedQuerySet:
        return self.model.objects.restrict(self.request.user, self.scope_action)

    def get_object(self, queryset: Any = None) -> ConfidentialRecord:
        return scoped_object(
            self.request,
            self.model,
            self.kwargs.get(getattr(self, "pk_url_kwarg", "pk")),
            self.scope_action,
            audit=self.audit_view,
        )
