"""The credit-model registry: trained scorecard artifacts, and the one approved version that decides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.core.errors import Conflict, NotFound
from millet.lending.credit.scorecard import Scorecard
from millet.lending.models import (
    CreditModel,
)

# --- model registry ------------------------------------------------------------------------------

_scorecards: dict[str, Scorecard] = {}  # by version: an artifact's content is its version, never edited


def register_model(artifact: Mapping[str, Any], *, metrics: Mapping[str, float] | None = None) -> CreditModel:
    """Keep a trained artifact in the database, so every worker can load the same approved version.

    Registering the same version again is a no-op that returns the stored row. An artifact that
    reads a protected attribute is refused (422 ``invalid_artifact``).
    """
    scorecard = Scorecard(dict(artifact))  # refuses a malformed, tampered or protected-input artifact (422)
    if metrics is None:  # the training command's held-out figures travel inside the artifact
        validation = artifact.get("cross_validation") or {}
        names = ("auc", "auc_with_protected", "gini", "ks", "folds")
        metrics = {name: validation[name] for name in names if name in validation}
        metrics |= {
            f"four_fifths_{attribute.replace(' ', '_')}": figures["ratio"]
            for attribute, figures in (validation.get("four_fifths") or {}).items()
        }
    model, _ = CreditModel.objects.get_or_create(
        version=scorecard.version, defaults={"artifact": dict(artifact), "metrics": dict(metrics)}
    )
    return model


def approve_model(actor: Actor, version: str) -> CreditModel:
    """Make ``version`` the one that decides; the previously approved one is retired."""
    actor.require_risk_officer()
    with transaction.atomic():
        # Every version locked, in one order: two approvals at once (of different versions) are taken
        # one after the other, so the second retires the first's rather than meeting it in the
        # one-approved constraint (an IntegrityError).
        list(CreditModel.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        model = CreditModel.objects.filter(version=version).first()
        if model is None:
            raise NotFound(f"no model version {version!r}", code="unknown_model")
        if model.status == CreditModel.Status.APPROVED:
            return model
        CreditModel.objects.filter(status=CreditModel.Status.APPROVED).update(
            status=CreditModel.Status.RETIRED
        )
        model.status = CreditModel.Status.APPROVED
        model.approved_at = timezone.now()
        model.approved_by_id = actor.user_id
        model.save(update_fields=["status", "approved_at", "approved_by"])
    return model


def list_models(actor: Actor) -> QuerySet[CreditModel]:
    """Every registered version, newest first (risk officers only)."""
    actor.require_risk_officer()
    return CreditModel.objects.order_by("-registered_at", "-pk")


def scorecard_for(model: CreditModel) -> Scorecard:
    card = _scorecards.get(model.version)
    if card is None:
        card = _scorecards[model.version] = Scorecard(model.artifact)
    return card


def approved_model() -> CreditModel:
    model = CreditModel.objects.filter(status=CreditModel.Status.APPROVED).first()
    if model is None:
        raise Conflict("no credit model is approved; credit is not offered", code="no_approved_model")
    return model
