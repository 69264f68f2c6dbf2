"""What each back-office role may see and add in the Django admin, as Django model permissions.

The admin shows a model to whoever holds one of its permissions, so each role sees only its own
work (``accounts.backoffice``). The permissions only open the admin's pages: every change there
still goes through a domain's service, which checks the actor's role itself (``accounts.actor``).
Names are ``app_label.codename`` strings, so the kernel names other domains' models without
importing them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.contrib.auth.models import Permission
from django.db.models import Q

from millet.accounts.actor import CLAIMS_HANDLER_GROUP, MERCHANDISER_GROUP, SUPPLY_PLANNER_GROUP


def _view(app: str, *models: str) -> tuple[str, ...]:
    return tuple(f"{app}.view_{model}" for model in models)


ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    SUPPLY_PLANNER_GROUP: (
        *_view(
            "inventory",
            "location",
            "stock",
            "stockmovement",
            "serialunit",
            "reservation",
            "backorder",
            "supplier",
            "purchaseorder",
            "stocktransfer",
        ),
        "inventory.add_supplier",
        "inventory.change_supplier",
        "inventory.add_purchaseorder",
        "inventory.add_stocktransfer",
    ),
    MERCHANDISER_GROUP: (
        *_view("catalog", "product", "sku", "price"),
        *_view("flashsale", "campaign", "claim", "waitlistentry"),
        "flashsale.add_campaign",
        *_view("sales", "voucher", "voucherredemption"),
        "sales.add_voucher",
        "sales.change_voucher",
    ),
    CLAIMS_HANDLER_GROUP: _view("insurance", "protectionplan", "policy", "claim"),
}


def permissions_named(names: Iterable[str]) -> list[Permission]:
    """The ``Permission`` rows for ``app_label.codename`` names; a name with no row is an error
    (``LookupError``), so a renamed model cannot silently take a role's page away."""
    names = set(names)
    query = Q()
    for name in names:
        app, codename = name.split(".", 1)
        query |= Q(content_type__app_label=app, codename=codename)
    rows = list(Permission.objects.filter(query).select_related("content_type"))
    missing = names - {f"{p.content_type.app_label}.{p.codename}" for p in rows}
    if missing:
        raise LookupError(f"no such permissions: {sorted(missing)}")
    return rows


def every_millet_permission() -> list[Permission]:
    """Every permission on a Millet domain's models: what the ``staff`` role holds in the admin (the
    admin's own pages still add or change only what each domain's admin allows)."""
    labels = [config.label for config in apps.get_app_configs() if config.name.startswith("millet.")]
    return list(Permission.objects.filter(content_type__app_label__in=labels))
