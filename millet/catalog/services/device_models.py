"""Device models: the MIoT-style spec a connected product's units speak (services, properties, actions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from modeltranslation.utils import build_localized_fieldname

from millet.accounts.actor import Actor
from millet.catalog.device_spec import SpecLike, checked_spec
from millet.catalog.images import drawing_url
from millet.catalog.models import DeviceModel, Product
from millet.catalog.spec_sheet import spec_labels
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.core.integrity import taken_or_raise

# --- device models -----------------------------------------------------------------------------


LABEL_LENGTH = 128  # a label in one language, as the spec sheet shows it


def checked_text(value: str, field: str, max_length: int) -> str:
    value = value.strip()
    if not value or len(value) > max_length:
        raise Unprocessable(
            f"{field} must be 1 to {max_length} characters",
            code=f"invalid_{field}",
            facts={"limit": max_length},
        )
    return value


def check_language(language: str) -> None:
    """422 ``unknown_language`` unless ``language`` is one the catalog is translated into."""
    if language not in settings.MODELTRANSLATION_LANGUAGES:
        raise Unprocessable(
            f"language must be one of {list(settings.MODELTRANSLATION_LANGUAGES)}", code="unknown_language"
        )


def create_device_model(urn: str, name: str, spec: Mapping[str, Any], *, actor: Actor) -> DeviceModel:
    """Register the spec a connected product's units will speak; refused whole if any part is invalid.

    Staff only.
    """
    actor.require_staff()
    urn = checked_text(urn, "urn", 128)
    checked_spec(spec)
    name = checked_text(name, "name", 128)
    taken, duplicate = (
        DeviceModel.objects.filter(urn=urn),
        Conflict(f"device model {urn!r} exists", code="duplicate_urn"),
    )
    with taken_or_raise(taken, duplicate):  # a twin sent at once passed the check too: the URN is unique
        return DeviceModel.objects.create(urn=urn, name=name, spec=dict(spec))


def get_device_model(urn: str) -> DeviceModel:
    model = DeviceModel.objects.filter(urn=urn).first()
    if model is None:
        raise NotFound(f"unknown device model {urn!r}", code="unknown_device_model")
    return model


@dataclass(frozen=True)
class ProductFace:
    """How a connected unit looks to its owner: the product's name (in the active language) and picture."""

    name: str
    image_url: str


def product_faces(urns: Iterable[str]) -> dict[str, ProductFace]:
    """Device model URN -> the face of the product sold with that model (the first active one; else
    the model's own name and the smart-home drawing). Unknown URNs are left out. Two queries."""
    urns = set(urns)
    faces = {
        urn: ProductFace(name, drawing_url("", Product.Category.HOME))
        for urn, name in DeviceModel.objects.filter(urn__in=urns).values_list("urn", "name")
    }
    products = Product.objects.filter(device_model__urn__in=urns, is_active=True).select_related(
        "device_model"
    )
    for product in products.order_by("-pk"):  # the first product of a model wins
        image = product.image.url if product.image else drawing_url(product.drawing, product.category)
        faces[product.device_model.urn] = ProductFace(product.name, image)
    return faces


def device_model_urns(ids: Iterable[int]) -> dict[int, str]:
    """Device model id -> URN, for rows other domains keep (firmware, devices)."""
    return dict(DeviceModel.objects.filter(pk__in=set(ids)).values_list("pk", "urn"))


def update_device_model(urn: str, name: str, spec: Mapping[str, Any], *, actor: Actor) -> DeviceModel:
    """Replace a device model's name and spec (staff only)."""
    actor.require_staff()
    model = get_device_model(urn)
    checked_spec(spec)
    model.name, model.spec = checked_text(name, "name", 128), dict(spec)
    model.save(update_fields=["name", "spec"])
    return model


def check_spec_labels(spec: SpecLike, labels: object) -> dict[str, str]:
    """A device model's labels in one language as stored: an object mapping English labels the
    spec's sheet shows (``spec_sheet.spec_labels``: services, properties, their choices, actions,
    alerts) to the language's, each 1 to 128 characters (stripped); a label left out shows in
    English, so ``{}`` needs no spec. 422 ``invalid_label`` for another shape or an empty or long
    text, ``unknown_label`` for a key the spec does not show, ``invalid_spec`` for a spec refused
    itself. ``translate_device_model`` and the back office's device model form check them here."""
    if not isinstance(labels, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
    ):
        raise Unprocessable(
            'labels are an object of English label -> text, like {"Fan level": "风扇档位"}',
            code="invalid_label",
            facts={"limit": LABEL_LENGTH},
        )
    if not labels:
        return {}
    unknown = set(labels) - spec_labels(checked_spec(spec))
    if unknown:
        raise Unprocessable(
            f"the spec shows no label {sorted(unknown)}",
            code="unknown_label",
            facts={"labels": ", ".join(sorted(unknown))},
        )
    return {key: checked_text(text, "label", LABEL_LENGTH) for key, text in labels.items()}


def translate_device_model(
    urn: str, language: str, labels: Mapping[str, str], *, actor: Actor
) -> DeviceModel:
    """Set how the spec's names read in ``language`` (``translate_product``'s languages): ``labels``
    as ``check_spec_labels`` checks them. Staff only. NotFound ``unknown_device_model``; 422
    ``unknown_language``, and ``check_spec_labels``'s ``invalid_label`` and ``unknown_label``."""
    actor.require_staff()
    check_language(language)
    model = get_device_model(urn)
    column = build_localized_fieldname("spec_labels", language)
    setattr(model, column, check_spec_labels(model.spec, labels))
    model.save(update_fields=[column])
    return model
